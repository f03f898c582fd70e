import type { ClientInfo, Lane } from '../adapters/lane.js';
import type { SecretScrubber } from '../errors/secret-scrubber.js';
import type { AttachedMetrics } from '../observability/client-metrics.js';
import type { Emitter } from '../util/emitter.js';
import { ownValue } from '../util/records.js';
import { createMemoryStore } from '../watermarks/memory-store.js';
import type { SyncStore } from '../watermarks/store.js';
import type { SyncClientEvents } from './client-events.js';
import { connectionSettings } from './client-config.js';
import { rememberFixedSecrets } from './client-guards.js';
import { Connection } from './connection.js';
import type { DriverEvents } from './driver-ports.js';
import { attachLogger, createLog } from './logger.js';
import { CLIENT_DEFAULTS, type SyncClientOptions } from './options.js';
import { ReplayDriver } from './replay-driver.js';
import { tokenGrantProvider, type TokenGrant } from './token-provider.js';
import { schemaCheck, type TopicPayloads, type TopicSchemas } from './topic-schemas.js';

/** What {@link wireClient} needs besides the client and its options. */
export interface ClientWiringInput {
  readonly lane: Lane;
  readonly clientInfo: ClientInfo;
  /** Learns every token minted, so no event carries one. */
  readonly scrubber: SecretScrubber;
  /** Aborted by `close()`: ends every token request in flight and refuses new ones. */
  readonly lifetime: AbortController;
  /** Status, topic state or documents changed. */
  changed(): void;
}

/**
 * The parts a `SyncClient` keeps, in the order it assigns them: the store, the connection (its
 * driver is `connection.driver`) and the `metrics` plug-in when the app gave one. A tuple rather than an object: the facade destructures it straight into its fields, which
 * keeps the main entry's bundle from growing (docs/browser.md).
 */
export type ClientParts = [store: SyncStore, connection: Connection, plugin: AttachedMetrics | undefined];

/** How long `topic` took from subscribe to caught up, when it got there. */
function caughtUpMs(connection: Connection, topic: string): number | undefined {
  return ownValue(connection.driver.metrics.timeToCaughtUpMs, topic);
}

/**
 * Build a client's store, connection, replay driver and plug-ins, and route what
 * they report to `client`'s events (every event leaves through its scrubbing `emit`). The facade
 * stays a relay; the plumbing between the parts (tokens through the scrubber, counters for the
 * plug-ins, driver events as client events) is here. The logger and plug-ins attach their
 * listeners here, in this order, before any the facade adds.
 */
export function wireClient(client: Emitter<SyncClientEvents>, options: SyncClientOptions<TopicPayloads>, host: ClientWiringInput): ClientParts {
  const { lane, clientInfo, scrubber, lifetime } = host;
  rememberFixedSecrets(scrubber, options.token);
  // Read when a token is minted: Node builds an AbortSignal (~0.7 KB) only once it is first read.
  const mint = tokenGrantProvider(options.token, () => lifetime.signal);
  const grant = async (): Promise<TokenGrant> => {
    const g = await mint();
    scrubber.add(g.token);
    return g;
  };
  const token = async (): Promise<string> => (await grant()).token;
  const store = options.store ?? createMemoryStore();
  const log = createLog(options.logger, options.logLevel ?? CLIENT_DEFAULTS.logLevel, scrubber);
  if (log !== undefined) attachLogger(client, log);
  // Every closure below reads the connection and its driver lazily: both exist before anything is
  // observed. Each is made only for the plug-in that reads it (heap per idle client).
  const telemetry = options.telemetry?.attach({
    events: client,
    emit: (e) => client.emit('telemetry', e),
    build: clientInfo,
    topics: () => connection.driver.topics(),
    requestedAfter: (topic) => connection.driver.requestedAfter(topic),
    caughtUpMs: (topic) => caughtUpMs(connection, topic),
  });
  const plugin = options.metrics?.attach({
    events: client,
    lane: lane.name,
    topics: () => connection.driver.topics(),
    tokenRefreshAt: () => connection.tokenRefreshAt(),
    counters: () => ({
      ...connection.driver.metrics,
      framesRejectedByCode: connection.metrics.framesRejectedByCode,
      inboundPauses: connection.metrics.inboundPauses + connection.metrics.inboundOverflows,
    }),
    inbound: () => connection.inboundBacklog(),
    caughtUpMs: (topic) => caughtUpMs(connection, topic),
  });
  const driverOptions = {
    commitTiming: plugin?.commitTiming,
    store,
    snapshot: options.snapshot,
    hydrator: options.hydrator,
    verifyPayloadHash: options.verifyPayloadHash ?? CLIENT_DEFAULTS.verifyPayloadHash,
    token,
    check: options.schemas && schemaCheck(options.schemas as TopicSchemas<TopicPayloads>, (e) => client.emit('error', e)),
  };
  // The driver's reports as the client's events: `caught_up`, `stale` and `bootstrap` carry the
  // replay machine's event without its `type` (the same fields, in the same order; src/replay/events.ts).
  const events: DriverEvents = {
    event: (e) => {
      if (e.type === 'error') return client.emit('error', e.error);
      const { type, ...payload } = e;
      (client.emit as (event: string, payload: unknown) => boolean)(type, payload);
    },
    applied: (batch) => client.emit('updates', batch),
    hydrated: (doc) => client.emit('hydrated', doc),
    changed: host.changed,
  };
  const connection: Connection = new Connection(
    connectionSettings(options, lane, clientInfo, grant),
    {
      status: (status, reason) => {
        client.emit('status', status, reason);
        host.changed();
      },
      error: (error) => client.emit('error', error),
      heartbeat: (w) => client.emit('heartbeat', w),
      reconnecting: ({ attempt, delayMs, reason }) => {
        plugin?.reconnecting(delayMs, reason);
        log?.('info', `khala-sync: reconnect ${attempt} in ${delayMs} ms (${reason})`, { attempt, delayMs, reason });
        telemetry?.reconnecting({ attempt, delayMs, reason });
      },
      authFailure: (info) => telemetry?.authFailure(info),
      notice: (n) => client.emit('notice', n),
    },
    (transport) => new ReplayDriver(driverOptions, transport, events),
  );
  return [store, connection, plugin];
}

