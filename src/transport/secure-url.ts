import { ErrorCodes } from '../errors/codes.js';
import { KhalaSyncError } from '../errors/khala-sync-error.js';
import { isLoopbackHost } from '../util/loopback.js';

/** True when sending a credential to `url` would expose it: plain `ws:`/`http:` to a non-loopback host. */
export function isInsecureUrl(url: URL): boolean {
  return (url.protocol === 'ws:' || url.protocol === 'http:') && !isLoopbackHost(url.hostname);
}

/**
 * Refuse to send a credential in clear text: plain `ws://` (or `http://`) to a host that is not
 * loopback throws `insecure_transport` unless `allowInsecure` is set. Applies to every URL that
 * carries a token (socket, snapshot, hydration, token endpoint, and the targets of their
 * redirects). `what` names the URL in the message; the message never includes the path or query.
 */
export function assertSecureUrl(url: string | URL, allowInsecure: boolean, what = 'sync URL'): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new KhalaSyncError('client', ErrorCodes.INVALID_OPTION, `the ${what} is not a valid URL`);
  }
  if (!allowInsecure && isInsecureUrl(parsed)) {
    throw new KhalaSyncError('client', ErrorCodes.INSECURE_TRANSPORT, `${what}: no credentials over clear-text ${parsed.protocol}// to ${parsed.hostname}; use wss:// or https://, or set allowInsecure`, {
      details: { host: parsed.hostname, url: what },
    });
  }
}
