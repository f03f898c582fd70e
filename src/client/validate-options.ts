import type { ClientInfo, Lane } from '../adapters/lane.js';
import { ErrorCodes } from '../errors/codes.js';
import { KhalaSyncError } from '../errors/khala-sync-error.js';
import { isInsecureUrl } from '../transport/secure-url.js';
import { isSendableToken } from '../transport/sendable-token.js';
import { MAX_TIMER_MS } from '../util/timers.js';
import type { SyncClientOptions } from './options.js';
import type { TopicPayloads } from './topic-schemas.js';

function invalid(option: string, why: string): KhalaSyncError {
  return new KhalaSyncError('client', ErrorCodes.INVALID_OPTIONS, `invalid option ${option}: ${why}`, { details: { option } });
}

function httpUrl(option: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || value === '') throw invalid(option, 'expected a non-empty URL string');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(option, 'not a valid absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid(option, `scheme ${url.protocol} is not https: or http:`);
}

function kind(option: string, value: unknown, type: 'function' | 'boolean' | 'object'): void {
  if (value !== undefined && (typeof value !== type || value === null)) throw invalid(option, `expected ${type === 'object' ? 'an' : 'a'} ${type}`);
}

function oneOf(option: string, value: string | undefined, allowed: readonly string[]): void {
  if (value === undefined || allowed.includes(value)) return;
  const quoted = allowed.map((a) => `'${a}'`);
  throw invalid(option, `expected ${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`);
}

type Opts = SyncClientOptions<TopicPayloads>;
type NumericOption = { [K in keyof Opts]-?: Opts[K] extends number | undefined ? K : never }[keyof Opts];

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
const SAFE = Number.MAX_SAFE_INTEGER;

/** Options that must have a given type when set. */
const KINDS: ReadonlyArray<readonly ['function' | 'boolean' | 'object', ReadonlyArray<keyof Opts>]> = [
  ['function', ['reconnectDelay', 'transport', 'snapshot', 'hydrator', 'fetch']],
  ['boolean', ['allowInsecure', 'autoConnect', 'tokenRefresh']],
  ['object', ['store', 'lane', 'clientInfo', 'logger', 'schemas']],
];

/** Plug-in options and the factory that makes each. */
const PLUG_INS = [
  ['metrics', 'clientMetrics()'],
  ['telemetry', 'clientTelemetry({ onEvent, ... })'],
] as const;

/** Numeric options: smallest and largest value, and whether only integers are allowed. */
const NUMBERS: ReadonlyArray<readonly [NumericOption, number, number, boolean]> = [
  ['heartbeatIntervalMs', 1, MAX_TIMER_MS, false],
  ['deadAfterMs', 1, MAX_TIMER_MS, false],
  ['joinTimeoutMs', 1, MAX_TIMER_MS, false],
  ['subscribeTimeoutMs', 1, MAX_TIMER_MS, false],
  ['stableAfterMs', 1, MAX_TIMER_MS, false],
  ['httpTimeoutMs', 1, MAX_TIMER_MS, false],
  ['maxRefusals', 1, 1000, true],
  ['maxRetryAfterMs', 0, MAX_TIMER_MS, false],
  ['maxSnapshotPages', 1, SAFE, true],
  ['maxResponseBytes', 1, SAFE, true],
  ['maxFrameBytes', 1, SAFE, true],
  ['maxInboundBytes', 1024, SAFE, true],
];

/**
 * Check everything the app passed before the client is built, so that a bad option is one typed
 * `invalid_options` error thrown by the constructor instead of a crash inside a timer or a socket
 * callback later. The socket URL is checked by building it through the lane (each lane knows its
 * schemes), with a placeholder token. Messages name the option, never its value (URLs can carry
 * credentials).
 */
export function validateOptions(options: SyncClientOptions<TopicPayloads>, lane: Lane, clientInfo: ClientInfo): void {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'expected an object');
  if (typeof options.url !== 'string' || options.url === '') throw invalid('url', 'url is required');
  let socketUrl: URL;
  try {
    socketUrl = new URL(lane.buildUrl(options.url, 'placeholder', clientInfo));
  } catch (err) {
    throw invalid('url', err instanceof Error ? err.message : 'not a usable socket URL');
  }
  if (socketUrl.protocol !== 'wss:' && socketUrl.protocol !== 'ws:') throw invalid('url', `scheme ${socketUrl.protocol} is not one of https, http, wss, ws`);
  const token: unknown = options.token;
  if (typeof token === 'string') {
    if (token === '') throw invalid('token', 'must not be empty');
    if (!isSendableToken(token)) throw invalid('token', 'must be printable ASCII');
  } else if (typeof token === 'object' && token !== null) {
    httpUrl('token.url', (token as { url?: unknown }).url);
    if ((token as { url?: unknown }).url === undefined) throw invalid('token.url', 'is required');
  } else if (typeof token !== 'function') {
    throw invalid('token', 'expected a string, a function or { url }');
  }
  if (options.topics !== undefined && (!Array.isArray(options.topics) || options.topics.some((t) => typeof t !== 'string' || t === ''))) {
    throw invalid('topics', 'expected an array of non-empty strings');
  }
  httpUrl('snapshotUrl', options.snapshotUrl);
  httpUrl('hydrateUrl', options.hydrateUrl);
  for (const [type, names] of KINDS) for (const f of names) kind(f, options[f], type);
  // Both were plain options before they became plug-ins: say where the plug-in comes from.
  for (const [f, factory] of PLUG_INS) {
    if (options[f] !== undefined && typeof (options[f] as { attach?: unknown } | null)?.attach !== 'function') throw invalid(f, `expected a plug-in: ${f}: ${factory} from 'khala-sync/observability'`);
  }
  oneOf('verifyPayloadHash', options.verifyPayloadHash, ['fetched', 'all', 'off']);
  for (const [topic, schema] of Object.entries(options.schemas ?? {})) {
    if (typeof (schema as { '~standard'?: { validate?: unknown } } | undefined)?.['~standard']?.validate !== 'function') throw invalid(`schemas.${topic}`, 'expected a Standard Schema (`~standard.validate`)');
  }
  if (options.logger !== undefined && LEVELS.some((l) => typeof options.logger![l] !== 'function')) throw invalid('logger', 'expected debug, info, warn and error functions');
  oneOf('logLevel', options.logLevel, LEVELS);
  for (const [f, min, max, integer] of NUMBERS) {
    const value = options[f];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) throw invalid(f, `expected a number from ${min} to ${max}`);
    if (integer && !Number.isSafeInteger(value)) throw invalid(f, 'expected an integer');
  }
  if (!Number.isSafeInteger(clientInfo.schemaVersion) || clientInfo.schemaVersion < 0) throw invalid('clientInfo.schemaVersion', 'expected a non-negative integer');
  if (typeof clientInfo.clientBuildId !== 'string' || typeof clientInfo.client !== 'string' || typeof clientInfo.protocolVersion !== 'string') {
    throw invalid('clientInfo', 'client, clientBuildId and protocolVersion must be strings');
  }
}

/**
 * The first configured URL that would carry a credential in clear text (see `assertSecureUrl`),
 * named as in the options, or undefined. Checked at `connect()` before a token is minted or a
 * socket dialled; the same rule is enforced again on every request and redirect.
 */
export function firstInsecureCredentialUrl(options: SyncClientOptions<TopicPayloads>, lane: Lane, clientInfo: ClientInfo): { option: string; host: string } | undefined {
  const tokenUrl = typeof options.token === 'object' ? options.token.url : undefined;
  const candidates: Array<[string, string | undefined]> = [
    ['url', lane.buildUrl(options.url, 'placeholder', clientInfo)],
    ['token.url', tokenUrl],
    ['snapshotUrl', options.snapshotUrl],
    ['hydrateUrl', options.hydrateUrl],
  ];
  for (const [option, url] of candidates) {
    if (url === undefined) continue;
    const parsed = new URL(url);
    if (isInsecureUrl(parsed)) return { option, host: parsed.hostname };
  }
  return undefined;
}
