import type { LaneSink } from '../../../src/adapters/lane.js';
import type { KhalaSyncError } from '../../../src/errors/index.js';
import type { SyncBatch, SyncErrorPayload } from '../../../src/model/types.js';
import { createSpacetimeLane, type SpacetimeLaneOptions } from '../../../src/spacetime.js';
import type { LaneSession } from '../../../src/adapters/lane.js';

/** Every sink call, in order. */
export type SinkCall =
  | { type: 'ready' }
  | { type: 'batch'; batch: SyncBatch }
  | { type: 'subscribed'; requestId: number; topics: string[] }
  | { type: 'subscribeFailed'; requestId: number; topics: string[]; error: SyncErrorPayload }
  | { type: 'serverError'; error: SyncErrorPayload }
  | { type: 'heartbeat'; watermarks: Record<string, number> }
  | { type: 'channelDown'; reason: string }
  | { type: 'protocolError'; error: KhalaSyncError }
  | { type: 'joinFailed'; error: SyncErrorPayload };

export interface Harness {
  session: LaneSession;
  sent: string[];
  calls: SinkCall[];
  /** Watermarks as a core would hold them: the highest seq of every delivered batch. */
  applied: Map<string, number>;
  receive(frame: unknown): void;
  receiveText(text: string): void;
  sentJson(): Array<Record<string, unknown>>;
  of<T extends SinkCall['type']>(type: T): Array<Extract<SinkCall, { type: T }>>;
}

export const IDENTITY_FRAME = '{"IdentityToken":{"identity":{"__identity__":"0xc2003d59aa"},"token":"secret-token-abc","connection_id":{"__connection_id__":215482719061187203577396146612849307742}}}';

export function harness(options: SpacetimeLaneOptions = {}, maxFrameBytes = 1024 * 1024): Harness {
  const lane = createSpacetimeLane(options);
  const sent: string[] = [];
  const calls: SinkCall[] = [];
  const applied = new Map<string, number>();
  const sink: LaneSink = {
    ready: () => calls.push({ type: 'ready' }),
    joinFailed: (error) => calls.push({ type: 'joinFailed', error }),
    batch: (batch) => {
      calls.push({ type: 'batch', batch });
      const last = batch.updates[batch.updates.length - 1];
      if (last !== undefined) applied.set(batch.topic, Math.max(applied.get(batch.topic) ?? 0, last.watermark));
    },
    subscribed: (requestId, topics) => calls.push({ type: 'subscribed', requestId, topics }),
    subscribeFailed: (requestId, topics, error) => calls.push({ type: 'subscribeFailed', requestId, topics, error }),
    serverError: (error) => calls.push({ type: 'serverError', error }),
    heartbeat: (watermarks) => calls.push({ type: 'heartbeat', watermarks }),
    channelDown: (reason) => calls.push({ type: 'channelDown', reason }),
    protocolError: (error) => calls.push({ type: 'protocolError', error }),
    lastApplied: (topic) => applied.get(topic),
  };
  const session = lane.createSession({ send: (t) => sent.push(t), sink, maxFrameBytes, clientInfo: { client: 't', clientBuildId: '20260101T000000Z', protocolVersion: 'spacetime.sync.v1', schemaVersion: 1 } });
  session.start();
  const h: Harness = {
    session,
    sent,
    calls,
    applied,
    receiveText: (text) => session.receive(text, new TextEncoder().encode(text).length),
    receive: (frame) => h.receiveText(JSON.stringify(frame)),
    sentJson: () => sent.map((s) => JSON.parse(s) as Record<string, unknown>),
    of: (type) => calls.filter((c) => c.type === type) as never,
  };
  return h;
}

/** A `sync_event` row as the object-form JSON string. */
export function objRow(stream: string, seq: number, payload: unknown = { seq }, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    idempotency_key: `k:${stream}:${seq}`,
    stream_id: stream,
    seq,
    payload_hash: '',
    payload_json: JSON.stringify(payload),
    committed_at_unix_ms: 1772000000000,
    durable_offset: seq,
    confirmed_read: true,
    ...extra,
  });
}

/** A `sync_event` row as the positional-array JSON string. */
export function arrRow(stream: string, seq: number, payload: unknown = { seq }, hash = ''): string {
  return JSON.stringify([`k:${stream}:${seq}`, stream, seq, hash, JSON.stringify(payload), 1772000000000, seq, true]);
}

export function table(name: string, inserts: string[], deletes: string[] = []): Record<string, unknown> {
  return { table_id: 4099, table_name: name, num_rows: inserts.length + deletes.length, updates: [{ deletes, inserts }] };
}

export function multiApplied(requestId: number, queryId: number, tables: unknown[]): Record<string, unknown> {
  return { SubscribeMultiApplied: { request_id: requestId, total_host_execution_duration_micros: 10, query_id: { id: queryId }, update: { tables } } };
}

export function txUpdate(tables: unknown[]): Record<string, unknown> {
  return {
    TransactionUpdate: {
      status: { Committed: { tables } },
      timestamp: { __timestamp_micros_since_unix_epoch__: 1772000000123456 },
      caller_identity: { __identity__: '0xc200' },
      caller_connection_id: { __connection_id__: 0 },
      reducer_call: { reducer_name: 'append_sync_event', reducer_id: 6, args: '[]', request_id: 0 },
      energy_quanta_used: { quanta: 2412000 },
      total_host_execution_duration: { __time_duration_micros__: 318 },
    },
  };
}

/** The ids of the SubscribeMulti sent for `stream` (the latest one). */
export function subscribeIds(h: Harness, stream: string): { requestId: number; queryId: number; sql: string } {
  const subs = h.sentJson().filter((m) => 'SubscribeMulti' in m).map((m) => m['SubscribeMulti'] as { query_strings: string[]; request_id: number; query_id: { id: number } });
  const mine = subs.filter((s) => s.query_strings[0]!.includes(`'${stream.replace(/'/g, "''")}'`));
  const last = mine[mine.length - 1]!;
  return { requestId: last.request_id, queryId: last.query_id.id, sql: last.query_strings[0]! };
}
