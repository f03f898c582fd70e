import { ErrorCodes } from '../errors/codes.js';
import { KhalaSyncError } from '../errors/khala-sync-error.js';
import { isLoopbackHost } from '../util/loopback.js';


/**
 * Refuse to send a token in clear text: plain `ws://` (or `http://`) to a host that is not loopback
 * throws `insecure_transport` unless `allowInsecure` is set. The message never includes the query.
 */
export function assertSecureUrl(url: string, allowInsecure: boolean): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new KhalaSyncError('client', ErrorCodes.INVALID_OPTION, 'the sync URL is not a valid URL');
  }
  const plain = parsed.protocol === 'ws:' || parsed.protocol === 'http:';
  if (plain && !allowInsecure && !isLoopbackHost(parsed.hostname)) {
    throw new KhalaSyncError(
      'client',
      ErrorCodes.INSECURE_TRANSPORT,
      `refusing to send the sync token over unencrypted ${parsed.protocol}// to non-loopback host ${parsed.hostname}; use wss:// (or https://) or set allowInsecure`,
      { details: { host: parsed.hostname } },
    );
  }
}
