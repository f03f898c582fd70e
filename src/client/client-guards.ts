import { ErrorCodes } from '../errors/codes.js';
import { isKhalaSyncError, KhalaSyncError } from '../errors/khala-sync-error.js';
import type { SecretScrubber } from '../errors/secret-scrubber.js';
import type { TokenSource } from './token-provider.js';

// Small pieces the SyncClient facade uses so that nothing the server, the store or the app's
// options throw at it escapes as a crash or carries a token (docs/security.md).

/** `promise`, marked handled: a rejection nobody awaits is not an unhandled rejection of the host. */
export function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** Any thrown value as a typed error (`internal` when it was not one of ours). */
export function asClientError(err: unknown): KhalaSyncError {
  if (isKhalaSyncError(err)) return err;
  return new KhalaSyncError('client', ErrorCodes.INTERNAL, err instanceof Error ? err.message : String(err), { cause: err });
}

/** The `client_closed` error of a call made after `close()`. */
export function clientClosedError(): KhalaSyncError {
  return new KhalaSyncError('client', ErrorCodes.CLIENT_CLOSED, 'client is closed');
}

/** The `insecure_transport` error for a configured credential URL refused at `connect()`. */
export function insecureUrlError(found: { option: string; host: string }): KhalaSyncError {
  return new KhalaSyncError(
    'client',
    ErrorCodes.INSECURE_TRANSPORT,
    `refusing to send credentials over unencrypted HTTP/WS to non-loopback host ${found.host} (option ${found.option}); use https:// / wss:// or set allowInsecure`,
    { details: { option: found.option, host: found.host } },
  );
}

/** Remember the credentials the app handed over directly: a fixed token, a token function's `secrets` (a mint request's headers). */
export function rememberFixedSecrets(scrubber: SecretScrubber, source: TokenSource): void {
  for (const secret of typeof source === 'string' ? [source] : (source.secrets ?? [])) scrubber.add(secret, true);
}
