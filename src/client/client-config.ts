import type { ClientInfo, Lane } from '../adapters/lane.js';
import { webSocketTransport } from '../transport/websocket-transport.js';
import type { ConnectionSettings } from './connection-settings.js';
import { CLIENT_DEFAULTS, type SyncClientOptions } from './options.js';
import type { TopicPayloads } from './topic-schemas.js';
import type { TokenGrant } from './token-provider.js';

// SyncClientOptions with CLIENT_DEFAULTS applied, for the parts the client builds from them. One
// place reads each option, so a default is never spelled twice.

/** The connection's settings. */
export function connectionSettings(options: SyncClientOptions<TopicPayloads>, lane: Lane, clientInfo: ClientInfo, token: () => Promise<TokenGrant>): ConnectionSettings {
  return {
    url: options.url,
    lane,
    transport: options.transport ?? webSocketTransport,
    token,
    clientInfo,
    reconnectDelay: options.reconnectDelay ?? CLIENT_DEFAULTS.reconnectDelay,
    allowInsecure: options.allowInsecure ?? CLIENT_DEFAULTS.allowInsecure,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? CLIENT_DEFAULTS.heartbeatIntervalMs,
    deadAfterMs: options.deadAfterMs ?? CLIENT_DEFAULTS.deadAfterMs,
    joinTimeoutMs: options.joinTimeoutMs ?? CLIENT_DEFAULTS.joinTimeoutMs,
    subscribeTimeoutMs: options.subscribeTimeoutMs ?? CLIENT_DEFAULTS.subscribeTimeoutMs,
    stableAfterMs: options.stableAfterMs ?? CLIENT_DEFAULTS.stableAfterMs,
    maxFrameBytes: options.maxFrameBytes ?? CLIENT_DEFAULTS.maxFrameBytes,
    maxRefusals: options.maxRefusals ?? CLIENT_DEFAULTS.maxRefusals,
    maxRetryAfterMs: options.maxRetryAfterMs ?? CLIENT_DEFAULTS.maxRetryAfterMs,
    maxInboundBytes: options.maxInboundBytes ?? CLIENT_DEFAULTS.maxInboundBytes,
    tokenRefresh: options.tokenRefresh ?? CLIENT_DEFAULTS.tokenRefresh,
  };
}
