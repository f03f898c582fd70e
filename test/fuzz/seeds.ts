import { readFileSync } from 'node:fs';
import type { MemoryPeer } from '../../src/transport/memory-transport.js';
import { IDENTITY_FRAME, table, txUpdate } from '../adapters/spacetime/session-harness.js';

/** What a seed frame is built from at feed time (the next watermark, the ids of our subscribe). */
export interface SeedContext {
  seq: number;
  requestId: number;
  queryId: number;
}

/** A valid frame of one lane, built for the current state. */
export type Seed = (c: SeedContext) => string;

const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as T;
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
type Vector = { payload: unknown; sha256: string };
const KHALA_VECTORS = fixture<{ vectors: Vector[] }>('khala_payload_hash_vectors.v1.json').vectors;
const SPACETIME_VECTORS = fixture<{ vectors: Vector[] }>('spacetime_payload_hash_vectors.v1.json').vectors;
const KHALA_FRAMES = [...fixture<{ fixtures: Array<{ frame: object }> }>('khala-frame-v1.json').fixtures, ...fixture<{ fixtures: Array<{ frame: object }> }>('legacy-sync-frame-v1.json').fixtures].map((f) => f.frame);

// ---- Khala (khala.ws.v1): Phoenix V2 arrays on the sync:v1 channel

export const KHALA_TOPIC = 'runtime.run_summaries';
const push = (event: string, payload: unknown): string => JSON.stringify([null, null, 'sync:v1', event, payload]);
const update = (seq: number, i: number): object => {
  const v = KHALA_VECTORS[(seq + i) % KHALA_VECTORS.length]!;
  return { topic: KHALA_TOPIC, doc_key: `doc:${seq % 7}`, doc_version: seq, payload: v.payload, payload_hash: v.sha256, watermark: seq };
};
const batch = (seq: number, n: number): object => ({ updates: Array.from({ length: n }, (_, i) => update(seq + i, i)), replay_complete: true, head_watermarks: [{ topic: KHALA_TOPIC, watermark: seq + n }] });

export const KHALA_SEEDS: Seed[] = [
  (c) => push('sync:update_batch', batch(c.seq, 1)),
  (c) => push('sync:update_batch', batch(c.seq, 3)),
  (c) => push('sync:frame', { topic: KHALA_TOPIC, seq: c.seq, kind: 'KHALA_FRAME_KIND_UPDATE_BATCH', payload_bytes: b64(JSON.stringify(batch(c.seq, 2))), schema_version: 1 }),
  // The upstream captures, as the server pushes them (one of them carries undecodable JSON).
  ...KHALA_FRAMES.map((frame) => () => push('sync:frame', frame)),
  () => push('sync:error', { code: 'slow_consumer', action: 'throttle', topic: KHALA_TOPIC, queue_depth: 65, queue_limit: 64, reconnect_after_ms: 1, full_resync_required: false, message: 'slow' }),
  (c) => push('sync:error', { code: 'stale_cursor', message: 'old', full_resync_required: true, stale_topics: [{ topic: KHALA_TOPIC, reason: 'retention_floor_breach', resume_after: c.seq - 1, retention_floor: c.seq + 5 }] }),
  (c) => JSON.stringify([null, '900', 'sync:v1', 'phx_reply', { status: 'ok', response: { watermarks: [{ topic: KHALA_TOPIC, watermark: c.seq }] } }]),
  (c) => push('sync:heartbeat', { watermarks: [{ topic: KHALA_TOPIC, watermark: c.seq + 2 }] }),
  () => JSON.stringify(['1', null, 'sync:v1', 'phx_error', {}]),
];

/** Answers join, heartbeat and subscribe (ok, nothing replayed) like a quiet Khala server. */
export function serveKhala(peer: MemoryPeer): void {
  peer.onClientMessage = (text) => {
    const f = JSON.parse(text) as [unknown, unknown, string, string];
    const ok = (response: object): void => peer.push(JSON.stringify([f[0], f[1], f[2], 'phx_reply', { status: 'ok', response }]));
    if (f[3] === 'phx_join') ok({ current_watermarks: [] });
    else if (f[3] === 'sync:heartbeat') ok({ watermarks: [] });
    else if (f[3] === 'sync:subscribe' || f[3] === 'sync:unsubscribe') ok({ current_watermarks: [] });
  };
}

// ---- Spacetime (spacetime.sync.v1 over SpacetimeDB's v1.json)

export const SPACETIME_STREAM = 'runtime.codex.worker.worker_1';
const row = (seq: number, arrayForm = false): string => {
  const v = SPACETIME_VECTORS[seq % SPACETIME_VECTORS.length]!;
  const cols = { idempotency_key: `k:${SPACETIME_STREAM}:${seq}`, stream_id: SPACETIME_STREAM, seq, payload_hash: v.sha256, payload_json: JSON.stringify(v.payload), committed_at_unix_ms: 1772000000000, durable_offset: seq, confirmed_read: true };
  return JSON.stringify(arrayForm ? Object.values(cols) : cols);
};
const tables = (rows: string[]): object[] => [table('sync_event', rows)];
const tx = (rows: string[], status: object | undefined = undefined): string => {
  const frame = txUpdate(tables(rows)) as { TransactionUpdate: Record<string, unknown> };
  return JSON.stringify(status === undefined ? frame : { TransactionUpdate: { ...frame.TransactionUpdate, status } });
};

export const SPACETIME_SEEDS: Seed[] = [
  (c) => tx([row(c.seq)]),
  (c) => tx([row(c.seq, true), row(c.seq + 1, true)]),
  (c) => tx([row(c.seq)], { Failed: 'reducer panicked' }),
  (c) => JSON.stringify({ TransactionUpdateLight: { request_id: 0, update: { tables: tables([row(c.seq)]) } } }),
  (c) => JSON.stringify({ SubscribeMultiApplied: { request_id: c.requestId, total_host_execution_duration_micros: 10, query_id: { id: c.queryId }, update: { tables: tables([row(c.seq)]) } } }),
  (c) => JSON.stringify({ SubscriptionError: { total_host_execution_duration_micros: 1, request_id: { some: c.requestId }, query_id: { some: c.queryId }, table_id: { none: [] }, error: 'boom' } }),
  (c) => JSON.stringify({ OneOffQueryResponse: { message_id: 'AAE=', error: { none: [] }, tables: [{ table_name: 'sync_event', rows: [row(c.seq)] }], total_host_execution_duration: { __time_duration_micros__: 5 } } }),
  () => IDENTITY_FRAME,
];

/** Sends the identity, then answers each SubscribeMulti (nothing replayed); remembers its ids. */
export function serveSpacetime(peer: MemoryPeer, ids: { requestId: number; queryId: number }): void {
  peer.push(IDENTITY_FRAME);
  peer.onClientMessage = (text) => {
    const m = JSON.parse(text) as { SubscribeMulti?: { request_id: number; query_id: { id: number } } };
    if (m.SubscribeMulti === undefined) return;
    ids.requestId = m.SubscribeMulti.request_id;
    ids.queryId = m.SubscribeMulti.query_id.id;
    peer.push(JSON.stringify({ SubscribeMultiApplied: { request_id: ids.requestId, total_host_execution_duration_micros: 10, query_id: { id: ids.queryId }, update: { tables: tables([]) } } }));
  };
}
