import type { TokenContext, TokenFunction, TokenGrant } from '../client/token-provider.js';
import { ErrorCodes } from '../errors/codes.js';
import { isKhalaSyncError, KhalaSyncError } from '../errors/khala-sync-error.js';
import { credentialFetch } from '../transport/credential-fetch.js';
import { readBodyText } from '../transport/read-body.js';
import { requestDeadline } from '../transport/request-deadline.js';
import { retryAfterMs } from '../transport/retry-after.js';
import { assertSendableToken } from '../transport/sendable-token.js';
import { isJsonObject, safeJsonParse } from '../util/json.js';
import { checkHttpOptions, HTTP_DEFAULTS, type HttpOptions } from './http-options.js';

/** Options of {@link tokenEndpoint}. */
export interface TokenEndpointOptions extends HttpOptions {
  /** `POST` endpoint answering `{"data":{"token":...}}` or `{"token":...}` (KHALA_PROTOCOL §4.1). Required. */
  url: string;
  /** Extra headers, e.g. the control-session `Authorization`. Default none. */
  headers?: Record<string, string>;
  /** JSON body. Default `{}`. */
  body?: Record<string, unknown>;
}

/** A token function that mints at an endpoint; its `ctx` is optional when called directly. */
export interface TokenEndpoint extends TokenFunction {
  /** Mint one token; `ctx.signal` (default none) aborts the request. */
  (ctx?: TokenContext): Promise<TokenGrant>;
  /** The header values (and the credential after a scheme such as `Bearer`) the mint request sends. */
  readonly secrets: readonly string[];
}

/** Raised when minting is refused with 401 (`reauth_required`): the app must sign in again. */
export class SignInRequiredError extends KhalaSyncError {
  constructor() {
    super('client', ErrorCodes.REAUTH_REQUIRED, 'the token endpoint answered 401: sign in required');
    this.name = 'SignInRequiredError';
  }
}

/**
 * A mint endpoint as the client's `token`: each call `POST`s to `url` and yields the token and the
 * endpoint's `refresh_after_in` (seconds, a positive finite number; anything else counts as absent),
 * which drives the refresh ahead of expiry. The URL is checked when the plug-in is made
 * (`invalid_options`; `insecure_transport` for plain `http://` to a non-loopback host unless
 * `allowInsecure`), and again on every request and redirect, which `credentialFetch` follows
 * to another origin with `Accept` alone (a 307/308 there, which would carry the body, is
 * `redirect_refused`). A request is bounded by `timeoutMs`, `maxResponseBytes`
 * and `ctx.signal` (the client's `close()`). 401 is {@link SignInRequiredError} (the client stops in
 * `auth_required`); 429/5xx are `token_provider_failed` with `details.retryAfterMs` (the endpoint's
 * `Retry-After`, at most `maxRetryAfterMs`), which the client waits at least before reconnecting.
 * The header values are listed in `secrets`: the client scrubs them from what it reports.
 */
export function tokenEndpoint(options: TokenEndpointOptions): TokenEndpoint {
  checkHttpOptions('tokenEndpoint', 'url', options, 'token endpoint');
  const { url, headers, body, allowInsecure = HTTP_DEFAULTS.allowInsecure, timeoutMs = HTTP_DEFAULTS.timeoutMs } = options;
  const secrets: string[] = [];
  for (const value of Object.values(headers ?? {})) {
    if (typeof value !== 'string') continue;
    secrets.push(value);
    const credential = /^\s*\S+\s+(\S{4,})\s*$/.exec(value);
    if (credential) secrets.push(credential[1]!);
  }
  const mint = async (ctx?: TokenContext): Promise<TokenGrant> => {
    const deadline = requestDeadline(ctx?.signal, timeoutMs);
    const init = { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...headers }, body: JSON.stringify(body ?? {}), signal: deadline.signal };
    try {
      const doFetch = options.fetch ?? globalThis.fetch;
      let res: Response;
      try {
        res = await credentialFetch(doFetch, url, init, { allowInsecure, what: 'token endpoint' });
      } catch (err) {
        if (isKhalaSyncError(err) || deadline.signal.aborted) throw err;
        throw new KhalaSyncError('client', ErrorCodes.TOKEN_PROVIDER_FAILED, `token endpoint unreachable: ${err instanceof Error ? err.message : String(err)}`, { retryable: true });
      }
      return await answer(res, options.maxResponseBytes ?? HTTP_DEFAULTS.maxResponseBytes, options.maxRetryAfterMs ?? HTTP_DEFAULTS.maxRetryAfterMs);
    } catch (err) {
      if (deadline.expired()) {
        throw new KhalaSyncError('client', ErrorCodes.REQUEST_TIMEOUT, `token endpoint did not answer within ${timeoutMs} ms`, { retryable: true, details: { timeoutMs } });
      }
      throw err;
    } finally {
      deadline.clear();
    }
  };
  return Object.assign(mint, { secrets });
}

/** The mint endpoint's answer as a grant, or the typed error it stands for. */
async function answer(res: Response, maxBytes: number, maxRetryAfterMs: number): Promise<TokenGrant> {
  if (res.status === 401) {
    await res.body?.cancel().catch(() => undefined);
    throw new SignInRequiredError();
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    // Its Retry-After (429, 503) floors the client's reconnect.
    const retryAfter = retryAfterMs(res, maxRetryAfterMs);
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
  if (typeof token !== 'string') throw new KhalaSyncError('client', ErrorCodes.TOKEN_PROVIDER_FAILED, 'token endpoint answered no token', { retryable: true, details: { length: 0 } });
  // Checked here too, for an app that calls the plug-in itself; the client checks every source's.
  assertSendableToken(token, 'endpoint');
  const refreshAfterIn = data?.['refresh_after_in'];
  const refreshAfterMs = typeof refreshAfterIn === 'number' && Number.isFinite(refreshAfterIn) && refreshAfterIn > 0 ? Math.round(refreshAfterIn * 1000) : undefined;
  return { token, refreshAfterMs };
}
