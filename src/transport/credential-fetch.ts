import { ErrorCodes } from '../errors/codes.js';
import { KhalaSyncError } from '../errors/khala-sync-error.js';
import { assertSecureUrl } from './secure-url.js';

/** Redirects followed per credentialed request before giving up. Default 5. */
export const MAX_CREDENTIAL_REDIRECTS = 5;

/** How {@link credentialFetch} treats the URLs it is asked to send a credential to. */
export interface CredentialPolicy {
  /** Allow plain `http://` to a non-loopback host. Default false. */
  allowInsecure: boolean;
  /** Names the URL in error messages (`snapshot URL`, `token endpoint`...). */
  what: string;
}

const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** Only `Accept` goes to another origin: any other header may be the app's credential (an API key under any name). */
function acceptOnly(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === 'accept') out[k] = v;
  return out;
}

function refused(message: string, details: Record<string, unknown>): KhalaSyncError {
  return new KhalaSyncError('transport', ErrorCodes.REDIRECT_REFUSED, message, { details });
}

/**
 * `fetch` for a request that carries a credential (snapshot, hydration, token endpoint). The SDK
 * follows redirects itself (`redirect: 'manual'`) instead of trusting a runtime's defaults:
 * - every URL, the first and each redirect target, must pass the secure-URL rule;
 * - 303 (and 301/302 after a POST) turns into a body-less GET, as browsers do;
 * - a redirect to another origin (scheme, host or port) is followed with `Accept` as its only
 *   header (no `Authorization`, `Cookie` or app header), so no credential reaches a host it was not
 *   issued for; one that would carry the body there (307/308 after a POST: the body may hold a
 *   session credential) is refused with `redirect_refused` instead of being sent or silently dropped;
 * - more than {@link MAX_CREDENTIAL_REDIRECTS} hops, a 3xx without `Location`, or a runtime that
 *   hides the target (a browser's `opaqueredirect`) is refused with `redirect_refused`.
 */
export async function credentialFetch(
  doFetch: typeof fetch,
  url: string,
  init: { method?: string; headers: Record<string, string>; body?: string; signal?: AbortSignal },
  policy: CredentialPolicy,
): Promise<Response> {
  let current = new URL(url);
  assertSecureUrl(current, policy.allowInsecure, policy.what);
  const origin = current.origin;
  let method = init.method ?? 'GET';
  let body = init.body;
  let headers = init.headers;
  for (let hop = 0; ; hop++) {
    const res = await doFetch(current.toString(), { method, headers, ...(body === undefined ? {} : { body }), ...(init.signal ? { signal: init.signal } : {}), redirect: 'manual' });
    if (res.type === 'opaqueredirect') {
      throw refused(`the ${policy.what} redirected, and this runtime hides the target, so its origin cannot be checked`, { url: policy.what });
    }
    if (!REDIRECTS.has(res.status)) return res;
    const location = res.headers.get('location');
    await res.body?.cancel().catch(() => undefined);
    if (location === null) throw refused(`the ${policy.what} answered HTTP ${res.status} without a Location`, { status: res.status, url: policy.what });
    if (hop >= MAX_CREDENTIAL_REDIRECTS) throw refused(`the ${policy.what} redirected more than ${MAX_CREDENTIAL_REDIRECTS} times`, { url: policy.what });
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw refused(`the ${policy.what} redirected to an unparsable Location`, { url: policy.what });
    }
    if (next.protocol !== 'https:' && next.protocol !== 'http:') throw refused(`the ${policy.what} redirected to an unsupported scheme ${next.protocol}`, { url: policy.what });
    assertSecureUrl(next, policy.allowInsecure, `${policy.what} (redirect target)`);
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
    }
    if (next.origin !== origin) {
      if (body !== undefined) throw refused(`the ${policy.what} answered HTTP ${res.status} to another origin, which would receive the request body`, { status: res.status, url: policy.what });
      headers = acceptOnly(headers);
    }
    current = next;
  }
}
