import { ErrorCodes } from '../errors/codes.js';
import { isKhalaSyncError } from '../errors/khala-sync-error.js';
import { SnapshotError } from '../errors/snapshot-error.js';
import { credentialFetch } from '../transport/credential-fetch.js';
import { assertSendableToken } from '../transport/sendable-token.js';
import { readBodyText } from '../transport/read-body.js';
import { requestDeadline } from '../transport/request-deadline.js';
import { retryAfterMs } from '../transport/retry-after.js';
import { safeJsonParse, type JsonValue } from '../util/json.js';
import { HTTP_DEFAULTS, type HttpOptions } from '../http/http-options.js';

/** Retry policy for snapshot and hydration requests. */
export interface HttpRetryOptions extends HttpOptions {
  /** Attempts per request before giving up (an attempt that runs out of `timeoutMs` is retried like a network error). Default 5. */
  attempts?: number;
  /** Delay before attempt `n` (1-based) when the server gives no `Retry-After`. Default 250·2^(n-1) ms, capped at 8 s. */
  retryDelay?: (attempt: number) => number;
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

/**
 * One token for several requests (the pages of a snapshot read, a burst of hydrations) instead of a
 * mint per request: `get(false)` reuses the token held, minting the first; `get(true)` mints a fresh
 * one (after a 401), which later requests then reuse. A failed mint is not kept.
 */
export function sharedToken(mint: () => Promise<string>): (fresh: boolean) => Promise<string> {
  let held: Promise<string> | undefined;
  return (fresh) => {
    if (fresh || held === undefined) {
      const minting = (held = mint());
      minting.catch(() => {
        if (held === minting) held = undefined;
      });
    }
    return held;
  };
}

/**
 * GET JSON with the SDK_CONTRACTS §1 error rules: 401 → one retry with a fresh token; 403, 404 →
 * no retry; 429 and 5xx → retry honouring `Retry-After` (capped); an attempt with no answer
 * within `timeoutMs` → retry; 410 → returned as `{ status: 410 }` for the caller (snapshot
 * generation moved). The token is only ever sent in the header, only over a secure URL, and never
 * to another origin a redirect points at (`credentialFetch`).
 */
export async function getJson(
  url: string,
  token: (fresh: boolean) => Promise<string>,
  signal: AbortSignal,
  options: HttpRetryOptions,
  topic: string,
): Promise<{ status: number; body: JsonValue | undefined }> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const attempts = options.attempts ?? HTTP_DEFAULTS.attempts;
  const timeoutMs = options.timeoutMs ?? HTTP_DEFAULTS.timeoutMs;
  const delay = options.retryDelay ?? ((n: number) => Math.min(250 * 2 ** (n - 1), 8000));
  const path = new URL(url).pathname;
  let authRetried = false;
  let fresh = false;
  let lastProblem = 'no attempt made';
  let timedOut = false;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const deadline = requestDeadline(signal, timeoutMs);
    let wait: number | undefined;
    try {
      const bearer = await token(fresh);
      fresh = false;
      // Also when the app built this source with its own token function: `fetch` would quote it in its error.
      assertSendableToken(bearer, 'source');
      const headers = { authorization: `Bearer ${bearer}`, accept: 'application/json' };
      const res = await credentialFetch(doFetch, url, { headers, signal: deadline.signal }, { allowInsecure: options.allowInsecure ?? HTTP_DEFAULTS.allowInsecure, what: 'snapshot/hydration URL' });
      if (res.status === 401 && !authRetried) {
        authRetried = fresh = true;
        attempt--; // the auth retry does not consume a transient-failure attempt
        await res.body?.cancel();
        continue;
      }
      if (res.status === 429 || res.status >= 500) {
        lastProblem = `HTTP ${res.status}`;
        timedOut = false;
        wait = retryAfterMs(res, options.maxRetryAfterMs ?? HTTP_DEFAULTS.maxRetryAfterMs);
        await res.body?.cancel();
      } else {
        return await answer(res, path, topic, options.maxResponseBytes ?? HTTP_DEFAULTS.maxResponseBytes);
      }
    } catch (err) {
      if (signal.aborted || (isKhalaSyncError(err) && !deadline.expired())) throw err;
      timedOut = deadline.expired();
      lastProblem = timedOut ? `no answer within ${timeoutMs} ms` : `network error: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      deadline.clear();
    }
    if (attempt < attempts) await sleep(wait ?? delay(attempt), signal);
  }
  const code = timedOut ? ErrorCodes.REQUEST_TIMEOUT : ErrorCodes.SNAPSHOT_FAILED;
  throw new SnapshotError(code, `${path}: gave up after ${attempts} attempts (${lastProblem})`, { topic, retryable: true, ...(timedOut ? { details: { timeoutMs } } : {}) });
}

/** A final answer (not 401-once, 429 or 5xx) as the caller's result, or the typed error it stands for. */
async function answer(res: Response, path: string, topic: string, maxBytes: number): Promise<{ status: number; body: JsonValue | undefined }> {
  if (res.status === 410) {
    await res.body?.cancel();
    return { status: 410, body: undefined };
  }
  if (res.status === 401 || res.status === 403 || res.status === 404) {
    await res.body?.cancel();
    const code = res.status === 403 ? ErrorCodes.FORBIDDEN_TOPIC : res.status === 401 ? ErrorCodes.UNAUTHORIZED : ErrorCodes.SNAPSHOT_FAILED;
    throw new SnapshotError(code, `${path} answered HTTP ${res.status}`, { topic, retryable: false, details: { status: res.status } });
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => undefined);
    throw new SnapshotError(ErrorCodes.SNAPSHOT_FAILED, `unexpected HTTP ${res.status}`, { topic, details: { status: res.status } });
  }
  const read = await readBodyText(res, maxBytes);
  if (!read.ok && read.reason === 'too_large') {
    throw new SnapshotError(ErrorCodes.RESPONSE_TOO_LARGE, `${path}: response body larger than ${maxBytes} bytes; not read`, { topic, retryable: false, details: { maxResponseBytes: maxBytes } });
  }
  if (!read.ok) throw new SnapshotError(ErrorCodes.BAD_SNAPSHOT, `${path}: response body is not UTF-8`, { topic });
  const parsed = safeJsonParse(read.text);
  if (!parsed.ok) throw new SnapshotError(ErrorCodes.BAD_SNAPSHOT, `response is not JSON: ${parsed.message}`, { topic });
  return { status: 200, body: parsed.value };
}
