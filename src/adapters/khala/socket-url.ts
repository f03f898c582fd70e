import { ErrorCodes } from '../../errors/codes.js';
import { KhalaSyncError } from '../../errors/khala-sync-error.js';
import type { ClientInfo } from '../lane.js';

/** Socket path appended to a base URL (KHALA_PROTOCOL §1.1). Default `/sync/socket/websocket`. */
export const DEFAULT_SOCKET_PATH = '/sync/socket/websocket';

/** Phoenix serializer version; 2.0.0 selects the array frames this adapter speaks (§1.1). */
export const PHOENIX_VSN = '2.0.0';

// Never echo the URL itself: it may already carry a token in its query string.
function parse(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new KhalaSyncError('client', ErrorCodes.INVALID_OPTION, 'sync URL is not a valid absolute URL');
  }
}

/**
 * Build the Khala socket URL (§1.1).
 *
 * - `url` is either the full socket URL, or a base URL — one whose path is empty or `/` — to which
 *   `socketPath` (default {@link DEFAULT_SOCKET_PATH}) is appended.
 * - `https` becomes `wss` and `http` becomes `ws`; `ws`/`wss` are kept; any other scheme throws
 *   `invalid_option`. A fragment is dropped (WebSocket URLs cannot carry one).
 * - Query parameters already on `url` are kept; ours override them: `token`, `vsn=2.0.0`, `client`,
 *   `client_build_id`, `protocol_version`, `schema_version` (all four compatibility values are always sent).
 * Throws a `KhalaSyncError` (`invalid_option`) whose message never contains the URL or the token.
 */
export function buildKhalaUrl(url: string, token: string, info: ClientInfo, socketPath: string = DEFAULT_SOCKET_PATH): string {
  const u = parse(url);
  // https → wss, http → ws, ws and wss kept: the "s" is all that carries over.
  const secure = /^(?:http|ws)(s?):$/.exec(u.protocol)?.[1];
  if (secure === undefined) {
    throw new KhalaSyncError('client', ErrorCodes.INVALID_OPTION, `sync URL scheme "${u.protocol}" is not https, http, wss or ws`);
  }
  u.protocol = `ws${secure}:`;
  if (u.pathname === '' || u.pathname === '/') u.pathname = socketPath.startsWith('/') ? socketPath : `/${socketPath}`;
  u.hash = '';
  const query = { token, vsn: PHOENIX_VSN, client: info.client, client_build_id: info.clientBuildId, protocol_version: info.protocolVersion, schema_version: String(info.schemaVersion) };
  for (const [key, value] of Object.entries(query)) u.searchParams.set(key, value);
  return u.toString();
}

