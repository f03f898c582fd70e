import { ErrorCodes } from '../errors/codes.js';
import { isKhalaSyncError, KhalaSyncError } from '../errors/khala-sync-error.js';
import { assertSendableToken } from '../transport/sendable-token.js';

/** One credential and, when its source knows it, how soon it should be replaced. */
export interface TokenGrant {
  /** The token, sent at the socket upgrade (and to the snapshot and hydration endpoints). */
  token: string;
  /**
   * Ms from when the grant was fetched after which the socket is replaced with a fresh token
   * (see `tokenRefresh`); a finite number ≥ 0 (refreshes start at most once a second), anything
   * else counts as absent. Default none: the token is only replaced at the next reconnect.
   */
  refreshAfterMs?: number | undefined;
}

/** What a token function is given on each call. */
export interface TokenContext {
  /** The client's lifetime: aborted by `close()`, so a mint request in flight can be abandoned. */
  signal: AbortSignal;
}

/**
 * A function yielding a fresh token per connection attempt (and per refresh): a string, or a
 * {@link TokenGrant} when it knows how soon the token should be replaced. `tokenEndpoint()` from
 * `khala-sync/http` makes one for a mint endpoint.
 */
export interface TokenFunction {
  /** Yield a fresh token (or grant); a rejection is reported and retried after the reconnect backoff. */
  (ctx: TokenContext): string | TokenGrant | Promise<string | TokenGrant>;
  /**
   * Credentials the function sends that are not tokens it returns (a mint request's
   * `Authorization` header): the client learns them at construction and scrubs them from every
   * error, event and log line. Default none.
   */
  readonly secrets?: readonly string[];
}

/** Where tokens come from: a fixed token, or a function called once per connection attempt. */
export type TokenSource = string | TokenFunction;

export { MAX_TOKEN_CHARS } from '../transport/sendable-token.js';

/**
 * Turn a {@link TokenSource} into a function that yields a checked {@link TokenGrant} per call.
 * The function is given `signal()` (read per call); once it is aborted no call is made and the
 * result is `client_closed`, also for a call that fails after it was aborted. A token that is empty,
 * longer than {@link MAX_TOKEN_CHARS} or not printable ASCII (a CR, LF, NUL, other control
 * character, non-ASCII, a leading or trailing space) is refused as `token_provider_failed`.
 */
export function tokenGrantProvider(source: TokenSource, signal: () => AbortSignal): () => Promise<TokenGrant> {
  if (typeof source === 'string') return async () => ({ token: source });
  const closed = (): KhalaSyncError => new KhalaSyncError('client', ErrorCodes.CLIENT_CLOSED, 'client closed: no token is minted');
  return async () => {
    const ctx = { signal: signal() };
    if (ctx.signal.aborted) throw closed();
    let got: string | TokenGrant;
    try {
      got = await source(ctx);
    } catch (err) {
      throw ctx.signal.aborted ? closed() : err;
    }
    const grant = typeof got === 'object' && got !== null ? got : { token: String(got) };
    const after = grant.refreshAfterMs;
    assertSendableToken(typeof grant.token === 'string' ? grant.token : '', 'function');
    return { token: grant.token, refreshAfterMs: typeof after === 'number' && after >= 0 && after < Infinity ? after : undefined };
  };
}

/**
 * What a failed token fetch means for the connection: sign-in required (`reauth_required`) stops
 * with `auth_required`, a clear-text token URL stops with `closed`; anything else (wrapped as
 * `token_provider_failed` unless already typed) is retried after the backoff (`stop` undefined).
 */
export function tokenFailure(err: unknown): { error: KhalaSyncError; stop?: ['auth_required' | 'closed', string] } {
  if (!isKhalaSyncError(err)) return { error: new KhalaSyncError('client', ErrorCodes.TOKEN_PROVIDER_FAILED, `token provider failed: ${String(err)}`, { retryable: true }) };
  if (err.code === ErrorCodes.REAUTH_REQUIRED) return { error: err, stop: ['auth_required', 'sign in required'] };
  return err.code === ErrorCodes.INSECURE_TRANSPORT ? { error: err, stop: ['closed', ErrorCodes.INSECURE_TRANSPORT] } : { error: err };
}
