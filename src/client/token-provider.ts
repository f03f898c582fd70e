import { ErrorCodes } from '../errors/codes.js';
import { isKhalaSyncError, KhalaSyncError } from '../errors/khala-sync-error.js';
import { credentialFetch } from '../transport/credential-fetch.js';
import { isJsonObject, safeJsonParse } from '../util/json.js';

/** Where tokens come from: a fixed token, a function, or a mint endpoint. */
export type TokenSource =
  | string
  | (() => string | Promise<string>)
  | {
      /** `POST` endpoint answering `{"data":{"token":...}}` or `{"token":...}` (KHALA_PROTOCOL §4.1). */
      url: string;
      /** Extra headers, e.g. the control-session `Authorization`. Default none. */
      headers?: Record<string, string>;
      /** JSON body. Default `{}`. */
      body?: Record<string, unknown>;
      /** `fetch` to use. Default `globalThis.fetch`. */
      fetch?: typeof fetch;
    };

/** Raised when minting is refused with 401: the app must sign in again. */
export class SignInRequiredError extends KhalaSyncError {
  constructor() {
    super('client', ErrorCodes.REAUTH_REQUIRED, 'the token endpoint answered 401: sign in required');
    this.name = 'SignInRequiredError';
  }
}

/** How a mint endpoint is reached. */
export interface TokenFetchPolicy {
  /** Allow plain `http://` to a non-loopback token endpoint. Default false. */
  allowInsecure?: boolean;
  /** `fetch` used when the source names none. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

/**
 * Turn a {@link TokenSource} into a function that yields a fresh token per call. A mint endpoint is
 * only called over a secure URL (`insecure_transport` otherwise, unless `allowInsecure`), and its
 * redirects are followed by `credentialFetch` (no `Authorization` to another origin).
 */
export function tokenProvider(source: TokenSource, policy: TokenFetchPolicy = {}): () => Promise<string> {
  if (typeof source === 'string') return async () => source;
  if (typeof source === 'function') return async () => String(await source());
  return async () => {
    const doFetch = source.fetch ?? policy.fetch ?? globalThis.fetch;
    let res: Response;
    try {
      res = await credentialFetch(
        doFetch,
        source.url,
        { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...source.headers }, body: JSON.stringify(source.body ?? {}) },
        { allowInsecure: policy.allowInsecure ?? false, what: 'token endpoint' },
      );
    } catch (err) {
      if (isKhalaSyncError(err)) throw err;
      throw new KhalaSyncError('client', ErrorCodes.TOKEN_PROVIDER_FAILED, `token endpoint unreachable: ${err instanceof Error ? err.message : String(err)}`, {
        retryable: true,
      });
    }
    if (res.status === 401) throw new SignInRequiredError();
    const text = await res.text();
    if (!res.ok) {
      throw new KhalaSyncError('client', ErrorCodes.TOKEN_PROVIDER_FAILED, `token endpoint answered HTTP ${res.status}`, { retryable: res.status >= 500 || res.status === 429, details: { status: res.status } });
    }
    const parsed = safeJsonParse(text);
    const root = parsed.ok && isJsonObject(parsed.value) ? parsed.value : undefined;
    const data = root && isJsonObject(root['data']) ? root['data'] : root;
    const token = data?.['token'];
    if (typeof token !== 'string' || token.length === 0) {
      throw new KhalaSyncError('client', ErrorCodes.TOKEN_PROVIDER_FAILED, 'token endpoint response has no token', { retryable: true });
    }
    return token;
  };
}
