import { ErrorCodes } from '../../errors/codes.js';
import { KhalaSyncError } from '../../errors/khala-sync-error.js';
import type { ClientInfo, Lane, LaneSessionOptions } from '../lane.js';
import { DEFAULT_REPLAY_BATCH_SIZE, KhalaSession } from './khala-session.js';
import { buildKhalaUrl, DEFAULT_SOCKET_PATH } from './socket-url.js';

/** Options of {@link createKhalaLane}. */
export interface KhalaLaneOptions {
  /** `replay_batch_size` sent with every subscribe: a positive safe integer. Default 200. */
  replayBatchSize?: number;
  /** Path appended to a base URL (one with no path). Default `/sync/socket/websocket`. */
  socketPath?: string;
}

/**
 * Create the Khala (`khala.ws.v1`, Phoenix V2 JSON) lane. It offers no WebSocket subprotocol.
 * Throws `invalid_option` when `replayBatchSize` is not a positive safe integer: the server would
 * silently fall back to its default, hiding the mistake.
 */
export function createKhalaLane(options: KhalaLaneOptions = {}): Lane {
  const replayBatchSize = options.replayBatchSize ?? DEFAULT_REPLAY_BATCH_SIZE;
  if (!Number.isSafeInteger(replayBatchSize) || replayBatchSize < 1) {
    throw new KhalaSyncError('client', ErrorCodes.INVALID_OPTION, 'replayBatchSize must be a positive safe integer');
  }
  const socketPath = options.socketPath ?? DEFAULT_SOCKET_PATH;
  return Object.freeze({
    name: 'khala',
    protocols: undefined,
    buildUrl: (url: string, token: string, info: ClientInfo) => buildKhalaUrl(url, token, info, socketPath),
    createSession: (sessionOptions: LaneSessionOptions) => new KhalaSession(sessionOptions, { replayBatchSize }),
  });
}

/** The Khala lane with default options (`replayBatchSize` 200, path `/sync/socket/websocket`). */
export const khalaLane: Lane = createKhalaLane();
