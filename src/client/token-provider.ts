import { ErrorCodes } from '../errors/codes.js';
import { isKhalaSyncError, KhalaSyncError } from '../errors/khala-sync-error.js';
import { credentialFetch } from '../transport/credential-fetch.js';
import { assertSendableToken } from '../transport/sendable-token.js';
import { DEFAULT_MAX_RESPONSE_BYTES, readBodyText } from '../transport/read-body.js';
import { DEFAULT_HTTP_TIMEOUT_MS, requestDeadline } from '../transport/request-deadline.js';
import { retryAfterMs } from '../transport/retry-after.js';
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

export { MAX_TOKEN_CHARS } from '../transport/sendable-token.js';

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
  /** Time limit of one mint request, headers and body, ms; past it the call fails with `request_timeout`. Default 30 000. */
  timeoutMs?: number;
  /** Largest token endpoint response read, bytes; a larger one fails with `response_too_large`. Default 64 MiB. */
  maxResponseBytes?: number;
  /**
   * The owner's lifetime (the client's, aborted by `close()`): a mint request in flight is
   * aborted, and no new one is sent once it is aborted (the call fails with `client_closed`). Default none.
   */
  signal?: AbortSignal;
}

/** One minted credential and, when its source says so, how soon it should be replaced. */
export interface TokenGrant {
  token: string;
  /** The endpoint's `refresh_after_in`, in ms from when the grant was fetched; undefined when it gave none (or the source is not an endpoint). */
  refreshAfterMs: number | undefined;
}

/**
 * Turn a {@link TokenSource} into a function that yields a fresh token per call. A mint endpoint is
 * only called over a secure URL (`insecure_transport` otherwise, unless `allowInsecure`), and its
 * redirects are followed by `credentialFetch` (no `Authorization` to another origin). A mint
 * request is bounded by `policy.timeoutMs` and `policy.signal`.
 */
export function tokenProvider(source: TokenSource, policy: TokenFetchPolicy = {}): () => Promise<string> {
  const grant = tokenGrantProvider(source, policy);
  return async () => (await grant()).token;
}

/**
 * Like {@link tokenProvider}, but each call also yields the endpoint's `refresh_after_in` (seconds,
 * a positive finite number; anything else counts as absent), which drives the refresh ahead of expiry.
 * A token of any source that is empty, longer than {@link MAX_TOKEN_CHARS} or not printable ASCII
 * (a CR, LF, NUL, other control character, non-ASCII, a leading or trailing space) is refused as
 * `token_provider_failed`.
 */
export function tokenGrantProvider(source: TokenSource, policy: TokenFetchPolicy = {}): () => Promise<TokenGrant> {
  const grant = rawGrantProvider(source, policy);
  const from = typeof source === 'string' ? 'option' : typeof source === 'function' ? 'function' : 'endpoint';
  return async () => {
    const g = await grant();
    assertSendableToken(g.token, from);
    return g;
  };
}

/** The tokens of `source` as it gives them, unchecked. */
function rawGrantProvider(source: TokenSource, policy: TokenFetchPolicy): () => Promise<TokenGrant> {
  if (typeof source === 'string') return async () => ({ token: source, refreshAfterMs: undefined });
  const closed = (): KhalaSyncError => new KhalaSyncError('client', ErrorCodes.CLIENT_CLOSED, 'client closed: no token is minted');
  if (typeof source === 'function') {
    return async () => {
      if (policy.signal?.aborted) throw closed();
      return { token: String(await source()), refreshAfterMs: undefined };
    };
  }
  return async () => {
    const doFetch = source.fetch ?? policy.fetch ?? globalThis.fetch;
    if (policy.signal?.aborted) throw closed();
    const timeoutMs = policy.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
    const deadline = requestDeadline(policy.signal, timeoutMs);
    try {
      return await mint(source, doFetch, deadline.signal, policy.allowInsecure ?? false, policy.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
    } catch (err) {
      if (policy.signal?.aborted) throw closed();
      if (deadline.expired()) {
        throw new KhalaSyncError('client', ErrorCodes.REQUEST_TIMEOUT, `token endpoint did not answer within ${timeoutMs} ms`, { retryable: true, details: { timeoutMs } });
      }
      throw err;
    } finally {
      deadline.clear();
    }
  };
}

/** One `POST` to the mint endpoint, its body read under `signal`. */
async function mint(source: Extract<TokenSource, { url: string }>, doFetch: typeof fetch, signal: AbortSignal, allowInsecure: boolean, maxBytes: number): Promise<TokenGrant> {
  let res: Response;
  try {
    res = await credentialFetch(
      doFetch,
      source.url,
      { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...source.headers }, body: JSON.stringify(source.body ?? {}), signal },
      { allowInsecure, what: 'token endpoint' },
    );
  } catch (err) {
    if (isKhalaSyncError(err) || signal.aborted) throw err;
    throw new KhalaSyncError('client', ErrorCodes.TOKEN_PROVIDER_FAILED, `token endpoint unreachable: ${err instanceof Error ? err.message : String(err)}`, {
      retryable: true,
    });
  }
  if (res.status === 401) {
    await res.body?.cancel().catch(() => undefined);
    throw new SignInRequiredError();
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    // Its Retry-After (429, 503) floors the reconnect, capped by the client's maxRetryAfterMs.
    const retryAfter = retryAfterMs(res, Infinity);
    throw new KhalaSyncError('client', ErrorCodes.TOKEN_PROVIDER_FAILED, `token endpoint answered HTTP ${res.status}`, { retryable: res.status >= 500 || res.status === 429, details: { status: res.status, retryAfterMs: retryAfter } });
  }
  const read = await readBodyText(res, maxBytes);
  if (!read.ok && read.reason === 'too_large') {
    throw new KhalaSyncError('client', ErrorCodes.RESPONSE_TOO_LARGE, `token endpoint response larger than ${maxBytes} bytes; not read`, { retryable: true, details: { maxResponseBytes: maxBytes } });
  }
  if (!read.ok) throw new KhalaSyncError('client', ErrorCodes.TOKEN_PROVIDER_FAILED, 'token endpoint response is not UTF-8', { retryable: true });
  const parsed = safeJsonParse(read.text);
  const root = parsed.ok && isJsonObject(parsed.value) ? parsed.value : undefined;
  const data = root && isJsonObject(root['data']) ? root['data'] : root;
  const token = data?.['token'];
  // Its length and characters are checked with every other source's (assertSendableToken).
  if (typeof token !== 'string') throw new KhalaSyncError('client', ErrorCodes.TOKEN_PROVIDER_FAILED, 'token endpoint answered no token', { retryable: true, details: { length: 0 } });
  const refreshAfterIn = data?.['refresh_after_in'];
  const refreshAfterMs = typeof refreshAfterIn === 'number' && Number.isFinite(refreshAfterIn) && refreshAfterIn > 0 ? Math.round(refreshAfterIn * 1000) : undefined;
  return { token, refreshAfterMs };
}

/**
 * What a failed token fetch means for the connection: sign-in required stops with `auth_required`,
 * a clear-text token URL stops with `closed`; anything else (wrapped as `token_provider_failed`
 * unless already typed) is retried after the backoff (`stop` undefined).
 */
export function tokenFailure(err: unknown): { error: KhalaSyncError; stop?: ['auth_required' | 'closed', string] } {
  if (err instanceof SignInRequiredError) return { error: err, stop: ['auth_required', 'sign in required'] };
  if (isKhalaSyncError(err) && err.code === ErrorCodes.INSECURE_TRANSPORT) return { error: err, stop: ['closed', ErrorCodes.INSECURE_TRANSPORT] };
  return { error: isKhalaSyncError(err) ? err : new KhalaSyncError('client', ErrorCodes.TOKEN_PROVIDER_FAILED, `token provider failed: ${String(err)}`, { retryable: true }) };
}
