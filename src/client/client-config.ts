import type { ClientInfo, Lane } from '../adapters/lane.js';
import { webSocketTransport } from '../transport/websocket-transport.js';
import type { ConnectionSettings } from './connection-settings.js';
import { CLIENT_DEFAULTS, type SyncClientOptions } from './options.js';
import type { TopicPayloads } from './topic-schemas.js';
import type { TokenGrant } from './token-provider.js';

// SyncClientOptions with CLIENT_DEFAULTS applied, for the parts the client builds from them. One
// place reads each option, so a default is never spelled twice.

/**
 * The connection's settings that are the option of the same name, or its `CLIENT_DEFAULTS` entry.
 * One list of names rather than an assignment per setting: property names are never minified, and
 * each assignment would spell its name three times in the main entry.
 */
const DEFAULTED = ['reconnectDelay', 'allowInsecure', 'heartbeatIntervalMs', 'deadAfterMs', 'joinTimeoutMs', 'subscribeTimeoutMs', 'stableAfterMs', 'maxFrameBytes', 'maxRefusals', 'maxRetryAfterMs', 'maxInboundBytes', 'tokenRefresh'] as const;

/** Compiles only while every setting is in {@link DEFAULTED} or set by name in {@link connectionSettings}. */
export type UnsetSettings<T extends never = Exclude<keyof ConnectionSettings, (typeof DEFAULTED)[number] | 'url' | 'lane' | 'transport' | 'token' | 'clientInfo'>> = T;

/** The connection's settings. */
export function connectionSettings(options: SyncClientOptions<TopicPayloads>, lane: Lane, clientInfo: ClientInfo, token: () => Promise<TokenGrant>): ConnectionSettings {
  const settings: Record<string, unknown> = { url: options.url, lane, transport: options.transport ?? webSocketTransport, token, clientInfo };
  for (const k of DEFAULTED) settings[k] = options[k] ?? CLIENT_DEFAULTS[k];
  return settings as unknown as ConnectionSettings;
}
