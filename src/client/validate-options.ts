import type { ClientInfo, Lane } from '../adapters/lane.js';
import { invalidOption } from '../errors/invalid-option.js';
import { isInsecureUrl } from '../transport/secure-url.js';
import { isSendableToken } from '../transport/sendable-token.js';
import { MAX_TIMER_MS } from '../util/timers.js';
import type { SyncClientOptions } from './options.js';
import type { TopicPayloads } from './topic-schemas.js';


const LEVELS = ['debug', 'info', 'warn', 'error'];
const SAFE = Number.MAX_SAFE_INTEGER;
const TIMER = [1, MAX_TIMER_MS] as const;

/**
 * What each option must be when set: a `typeof`, numeric bounds `[min, max, integer?]`, the allowed
 * strings, or `0` for an option of 0.1 that moved to a `khala-sync/http` plug-in (refused rather
 * than silently ignored; docs/migrating.md). One table rather than a check per option keeps this,
 * the client's largest fixed cost, small in the bundle.
 */
const RULES: Record<string, 0 | string | readonly string[] | readonly [number, number, boolean?]> = {
  reconnectDelay: 'function',
  transport: 'function',
  snapshot: 'function',
  hydrator: 'function',
  allowInsecure: 'boolean',
  autoConnect: 'boolean',
  tokenRefresh: 'boolean',
  store: 'object',
  lane: 'object',
  clientInfo: 'object',
  logger: 'object',
  schemas: 'object',
  heartbeatIntervalMs: TIMER,
  deadAfterMs: TIMER,
  joinTimeoutMs: TIMER,
  subscribeTimeoutMs: TIMER,
  stableAfterMs: TIMER,
  maxRetryAfterMs: [0, MAX_TIMER_MS],
  maxRefusals: [1, 1000, true],
  maxFrameBytes: [1, SAFE, true],
  maxInboundBytes: [1024, SAFE, true],
  verifyPayloadHash: ['fetched', 'all', 'off'],
  logLevel: LEVELS,
  snapshotUrl: 0,
  hydrateUrl: 0,
  fetch: 0,
  httpTimeoutMs: 0,
  maxSnapshotPages: 0,
  maxResponseBytes: 0,
};

/**
 * Check everything the app passed before the client is built, so that a bad option is one typed
 * `invalid_options` error thrown by the constructor instead of a crash inside a timer or a socket
 * callback later. The socket URL is checked by building it through the lane (each lane knows its
 * schemes), with a placeholder token. Messages name the option, never its value (URLs can carry
 * credentials).
 */
export function validateOptions(options: SyncClientOptions<TopicPayloads>, lane: Lane, clientInfo: ClientInfo): void {
  if (typeof options !== 'object' || options === null) throw invalidOption('options', 'expected an object');
  const o = options as unknown as Record<string, unknown>;
  if (typeof options.url !== 'string' || options.url === '') throw invalidOption('url', 'url is required');
  let scheme: string;
  try {
    scheme = new URL(lane.buildUrl(options.url, 'placeholder', clientInfo)).protocol;
  } catch (err) {
    throw invalidOption('url', err instanceof Error ? err.message : 'not a usable socket URL');
  }
  if (scheme !== 'wss:' && scheme !== 'ws:') throw invalidOption('url', `scheme ${scheme} is not one of https, http, wss, ws`);
  const token: unknown = options.token;
  if (typeof token === 'string' ? !isSendableToken(token) : typeof token !== 'function') {
    throw invalidOption('token', "expected a printable ASCII string or a function (a mint endpoint: tokenEndpoint() of 'khala-sync/http')");
  }
  if (options.topics !== undefined && (!Array.isArray(options.topics) || options.topics.some((t) => typeof t !== 'string' || t === ''))) {
    throw invalidOption('topics', 'expected an array of non-empty strings');
  }
  for (const [f, rule] of Object.entries(RULES)) {
    const value = o[f];
    if (value === undefined) continue;
    if (rule === 0) throw invalidOption(f, "moved to a plug-in of 'khala-sync/http'");
    if (typeof rule === 'string') {
      if (typeof value !== rule || value === null) throw invalidOption(f, `expected a ${rule}`);
    } else if (typeof rule[0] === 'string') {
      if (!rule.includes(value as never)) throw invalidOption(f, `expected one of ${rule.join(', ')}`);
    } else if (typeof value !== 'number' || !(value >= (rule[0] as number) && value <= (rule[1] as number)) || (rule[2] && !Number.isSafeInteger(value))) {
      throw invalidOption(f, `expected ${rule[2] ? 'an integer' : 'a number'} from ${rule[0]} to ${rule[1]}`);
    }
  }
  // Both were plain options before they became plug-ins: say where the plug-in comes from.
  for (const [f, factory] of [['metrics', 'clientMetrics()'], ['telemetry', 'clientTelemetry({ onEvent, ... })']] as const) {
    if (o[f] !== undefined && typeof (o[f] as { attach?: unknown } | null)?.attach !== 'function') throw invalidOption(f, `expected a plug-in: ${factory} from 'khala-sync/observability'`);
  }
  for (const [topic, schema] of Object.entries(options.schemas ?? {})) {
    if (typeof (schema as { '~standard'?: { validate?: unknown } } | undefined)?.['~standard']?.validate !== 'function') throw invalidOption(`schemas.${topic}`, 'expected a Standard Schema (`~standard.validate`)');
  }
  if (options.logger !== undefined && LEVELS.some((l) => typeof (options.logger as unknown as Record<string, unknown>)[l] !== 'function')) throw invalidOption('logger', 'expected debug, info, warn and error functions');
  if (!Number.isSafeInteger(clientInfo.schemaVersion) || clientInfo.schemaVersion < 0) throw invalidOption('clientInfo.schemaVersion', 'expected a non-negative integer');
  if ([clientInfo.clientBuildId, clientInfo.client, clientInfo.protocolVersion].some((v) => typeof v !== 'string')) {
    throw invalidOption('clientInfo', 'client, clientBuildId and protocolVersion must be strings');
  }
}

/**
 * The socket URL when it would carry a credential in clear text (see `assertSecureUrl`), named as
 * in the options, or undefined. Checked at `connect()` before a token is minted or a socket
 * dialled; the `khala-sync/http` plug-ins check their own URLs when they are made.
 */
export function firstInsecureCredentialUrl(options: SyncClientOptions<TopicPayloads>, lane: Lane, clientInfo: ClientInfo): { option: string; host: string } | undefined {
  const url = new URL(lane.buildUrl(options.url, 'placeholder', clientInfo));
  return isInsecureUrl(url) ? { option: 'url', host: url.hostname } : undefined;
}
