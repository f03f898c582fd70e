import { ErrorCodes } from '../errors/codes.js';
import { KhalaSyncError } from '../errors/khala-sync-error.js';

/**
 * Longest token accepted, characters (a JWT is a few KB). The client keeps its last 16 tokens, in
 * several spellings, to scrub them from what it reports, and sends each in the socket URL: a longer
 * one is refused (`token_provider_failed`) rather than held.
 */
export const MAX_TOKEN_CHARS = 64 * 1024;

/**
 * The first position in `token` that keeps it from being sent as is, or -1. A token goes into an
 * `Authorization` header and a socket URL's query, and only printable ASCII survives both unchanged:
 * a CR, LF or NUL makes `fetch` throw an error that quotes the header (token included), other
 * controls and non-ASCII reach the server as different bytes in the header (Latin-1) and the URL
 * (UTF-8), and HTTP strips leading and trailing spaces from a header value only. Empty: 0; longer
 * than {@link MAX_TOKEN_CHARS}: that length.
 */
function unsendableAt(token: string): number {
  return token.length > MAX_TOKEN_CHARS ? MAX_TOKEN_CHARS : token.search(/[^\x20-\x7e]|^ | $|^$/);
}

/** True when `token` can be sent as is: 1 to {@link MAX_TOKEN_CHARS} printable ASCII characters, no leading or trailing space. */
export function isSendableToken(token: string): boolean {
  return unsendableAt(token) < 0;
}

/**
 * Refuse a token that cannot be sent as is (see {@link isSendableToken}) before anything uses it:
 * `token_provider_failed`, retryable (the next token may be fine), whose message names the position
 * of the first bad character, never the token.
 */
export function assertSendableToken(token: string, from: string): void {
  const at = unsendableAt(token);
  if (at < 0) return;
  throw new KhalaSyncError('client', ErrorCodes.TOKEN_PROVIDER_FAILED, `token from the ${from} refused at character ${at}: not 1 to ${MAX_TOKEN_CHARS} printable ASCII`, {
    retryable: true,
    details: { length: token.length },
  });
}
