import { ErrorCodes } from '../errors/codes.js';
import { isKhalaSyncError } from '../errors/khala-sync-error.js';
import { SnapshotError } from '../errors/snapshot-error.js';
import { credentialFetch } from '../transport/credential-fetch.js';
import { safeJsonParse, type JsonValue } from '../util/json.js';

/** Retry policy for snapshot and hydration requests. */
export interface HttpRetryOptions {
  /** Attempts per request before giving up. Default 5. */
  attempts?: number;
  /** Delay before attempt `n` (1-based) when the server gives no `Retry-After`. Default 250·2^(n-1) ms, capped at 8 s. */
  retryDelay?: (attempt: number) => number;
  /** `fetch` to use. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Allow plain `http://` to a non-loopback host (the token travels in clear). Default false. */
  allowInsecure?: boolean;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

function retryAfterMs(res: Response): number | undefined {
  const h = res.headers.get('retry-after');
  if (h === null) return undefined;
  const secs = Number(h);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const at = Date.parse(h);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * GET JSON with the SDK_CONTRACTS §1 error rules: 401 → one retry with a fresh token; 403, 404 →
 * no retry; 429 and 5xx → retry honouring `Retry-After`; 410 → returned as `{ status: 410 }` for the
 * caller (snapshot generation moved). The token is only ever sent in the header, only over a
 * secure URL, and never to another origin a redirect points at (`credentialFetch`).
 */
export async function getJson(
  url: string,
  token: () => Promise<string>,
  signal: AbortSignal,
  options: HttpRetryOptions,
  topic: string,
): Promise<{ status: number; body: JsonValue | undefined }> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const attempts = options.attempts ?? 5;
  const delay = options.retryDelay ?? ((n: number) => Math.min(250 * 2 ** (n - 1), 8000));
  let authRetried = false;
  let lastProblem = 'no attempt made';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let res: Response;
    try {
      const headers = { authorization: `Bearer ${await token()}`, accept: 'application/json' };
      res = await credentialFetch(doFetch, url, { headers, signal }, { allowInsecure: options.allowInsecure ?? false, what: 'snapshot/hydration URL' });
    } catch (err) {
      if (signal.aborted || isKhalaSyncError(err)) throw err;
      lastProblem = `network error: ${err instanceof Error ? err.message : String(err)}`;
      if (attempt < attempts) await sleep(delay(attempt), signal);
      continue;
    }
    if (res.status === 401 && !authRetried) {
      authRetried = true;
      attempt--; // the auth retry does not consume a transient-failure attempt
      continue;
    }
    if (res.status === 429 || res.status >= 500) {
      lastProblem = `HTTP ${res.status}`;
      const wait = retryAfterMs(res) ?? delay(attempt);
      await res.body?.cancel();
      if (attempt < attempts) await sleep(wait, signal);
      continue;
    }
    if (res.status === 410) {
      await res.body?.cancel();
      return { status: 410, body: undefined };
    }
    if (res.status === 401 || res.status === 403 || res.status === 404) {
      await res.body?.cancel();
      const code = res.status === 403 ? ErrorCodes.FORBIDDEN_TOPIC : res.status === 401 ? ErrorCodes.UNAUTHORIZED : ErrorCodes.SNAPSHOT_FAILED;
      throw new SnapshotError(code, `${new URL(url).pathname} answered HTTP ${res.status}`, { topic, retryable: false, details: { status: res.status } });
    }
    const text = await res.text();
    if (res.status !== 200) throw new SnapshotError(ErrorCodes.SNAPSHOT_FAILED, `unexpected HTTP ${res.status}`, { topic, details: { status: res.status } });
    const parsed = safeJsonParse(text);
    if (!parsed.ok) throw new SnapshotError(ErrorCodes.BAD_SNAPSHOT, `response is not JSON: ${parsed.message}`, { topic });
    return { status: 200, body: parsed.value };
  }
  throw new SnapshotError(ErrorCodes.SNAPSHOT_FAILED, `gave up after ${attempts} attempts (${lastProblem})`, { topic, retryable: true });
}
