import { ErrorCodes } from '../errors/codes.js';
import { KhalaSyncError } from '../errors/khala-sync-error.js';

/**
 * A token goes into an `Authorization` header and a socket URL's query. Only printable ASCII
 * survives both unchanged: a CR, LF or NUL makes `fetch` throw an error that quotes the header
 * (token included), other controls and non-ASCII reach the server as different bytes in the header
 * (Latin-1) and the URL (UTF-8), and HTTP strips leading and trailing spaces from a header value.
 */
const SENDABLE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

/** True when `token` can be sent as is in a header and a URL: printable ASCII, no leading or trailing space. */
export function isSendableToken(token: string): boolean {
  return SENDABLE.test(token);
}

/** The first character of `token` that cannot be sent, named by its class and index (never the character). */
function firstUnsendable(token: string): string {
  if (token === '') return 'no characters';
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return `a control character at index ${i}`;
    if (c > 0x7e) return `a non-ASCII character at index ${i}`;
  }
  return 'a leading or trailing space';
}

/**
 * Refuse a token that cannot travel as is in a header and a URL (see {@link SENDABLE}): printable
 * ASCII only, no leading or trailing space. Throws `token_provider_failed` (retryable: the next token
 * may be fine) whose message and details name the problem, never the token.
 */
export function assertSendableToken(token: string, from: string): void {
  if (isSendableToken(token)) return;
  throw new KhalaSyncError('client', ErrorCodes.TOKEN_PROVIDER_FAILED, `the token from the ${from} has ${firstUnsendable(token)}: not sent (printable ASCII only)`, {
    retryable: true,
    details: { length: token.length },
  });
}
