import { ErrorCodes } from '../../errors/codes.js';
import { KhalaSyncError } from '../../errors/khala-sync-error.js';

/**
 * The socket URL: `ws(s)://HOST/v1/database/{database}/subscribe?token=…` (SPACETIME_PROTOCOL
 * §1.2). A URL whose path is empty or `/` is a base URL and gets that path; any other path is used
 * as is. `https`→`wss`, `http`→`ws`. Existing query parameters are kept; `token` is ours. Browsers
 * cannot set headers on a WebSocket, hence the query parameter (the server prefers a header).
 */
export function buildSpacetimeUrl(url: string, token: string, database: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // The message names no URL: it may carry credentials.
    throw new KhalaSyncError('client', ErrorCodes.INVALID_OPTION, 'url is not a valid absolute URL');
  }
  if (u.protocol === 'https:') u.protocol = 'wss:';
  else if (u.protocol === 'http:') u.protocol = 'ws:';
  if (u.pathname === '' || u.pathname === '/') u.pathname = `/v1/database/${encodeURIComponent(database)}/subscribe`;
  u.searchParams.set('token', token);
  return u.toString();
}
