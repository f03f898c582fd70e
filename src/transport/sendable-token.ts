import { ErrorCodes } from '../errors/codes.js';
import { KhalaSyncError } from '../errors/khala-sync-error.js';

/**
 * The first position in `token` that keeps it from being sent as is, or -1. A token goes into an
 * `Authorization` header and a socket URL's query, and only printable ASCII survives both unchanged:
 * a CR, LF or NUL makes `fetch` throw an error that quotes the header (token included), other
 * controls and non-ASCII reach the server as different bytes in the header (Latin-1) and the URL
 * (UTF-8), and HTTP strips leading and trailing spaces from a header value only. Empty: 0.
 */
function unsendableAt(token: string): number {
  return token.search(/[^\x20-\x7e]|^ | $|^$/);
}

/** True when `token` can be sent as is in a header and a URL: printable ASCII, no leading or trailing space. */
export function isSendableToken(token: string): boolean {
  return unsendableAt(token) < 0;
}

/**
 * Refuse a token that cannot be sent as is (see {@link isSendableToken}): `token_provider_failed`,
 * retryable (the next token may be fine), whose message names the position, never the token.
 */
export function assertSendableToken(token: string, from: string): void {
  const at = unsendableAt(token);
  if (at < 0) return;
  throw new KhalaSyncError('client', ErrorCodes.TOKEN_PROVIDER_FAILED, `the token from the ${from} is not sent: character ${at} is a control, non-ASCII or outer space character`, {
    retryable: true,
    details: { length: token.length },
  });
}
