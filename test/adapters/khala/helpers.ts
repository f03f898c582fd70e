import { readFixture } from '../../fixtures.js';
// Test doubles for the Khala session: a recording LaneSink, a send spy and small wire builders.
import { vi } from 'vitest';
import type { ClientInfo, LaneSink } from '../../../src/adapters/lane.js';
import { KhalaSession, type KhalaSessionSettings } from '../../../src/adapters/khala/khala-session.js';
import type { KhalaSyncError } from '../../../src/errors/khala-sync-error.js';
import type { SyncBatch, SyncErrorPayload } from '../../../src/model/types.js';

/** Every sink call, in order. */
export type SinkCall =
  | { type: 'ready'; allowedTopics: string[] | undefined }
  | { type: 'joinFailed'; error: SyncErrorPayload }
  | { type: 'batch'; batch: SyncBatch }
  | { type: 'subscribed'; requestId: number; topics: string[]; currentWatermarks: Record<string, number> }
  | { type: 'subscribeFailed'; requestId: number; topics: string[]; error: SyncErrorPayload }
  | { type: 'serverError'; error: SyncErrorPayload }
  | { type: 'heartbeat'; watermarks: Record<string, number> }
  | { type: 'channelDown'; reason: string }
  | { type: 'protocolError'; error: KhalaSyncError };

/** A LaneSink that records calls. With `apply`, batches advance `applied` as the core would. */
export class RecordingSink implements LaneSink {
  readonly calls: SinkCall[] = [];
  readonly applied = new Map<string, number>();
  constructor(private readonly apply = true) {}
  ready(info: { allowedTopics: string[] | undefined }): void {
    this.calls.push({ type: 'ready', allowedTopics: info.allowedTopics });
  }
  joinFailed(error: SyncErrorPayload): void {
    this.calls.push({ type: 'joinFailed', error });
  }
  batch(batch: SyncBatch): void {
    this.calls.push({ type: 'batch', batch });
    if (!this.apply) return;
    for (const u of batch.updates) {
      if (u.watermark > (this.applied.get(u.topic) ?? -1)) this.applied.set(u.topic, u.watermark);
    }
  }
  subscribed(requestId: number, topics: string[], currentWatermarks: Record<string, number>): void {
    this.calls.push({ type: 'subscribed', requestId, topics, currentWatermarks });
  }
  subscribeFailed(requestId: number, topics: string[], error: SyncErrorPayload): void {
    this.calls.push({ type: 'subscribeFailed', requestId, topics, error });
  }
  serverError(error: SyncErrorPayload): void {
    this.calls.push({ type: 'serverError', error });
  }
  heartbeat(watermarks: Record<string, number>): void {
    this.calls.push({ type: 'heartbeat', watermarks });
  }
  channelDown(reason: string): void {
    this.calls.push({ type: 'channelDown', reason });
  }
  protocolError(error: KhalaSyncError): void {
    this.calls.push({ type: 'protocolError', error });
  }
  lastApplied(topic: string): number | undefined {
    return this.applied.get(topic);
  }
  of<T extends SinkCall['type']>(type: T): Extract<SinkCall, { type: T }>[] {
    return this.calls.filter((c): c is Extract<SinkCall, { type: T }> => c.type === type);
  }
}

export const CLIENT_INFO: ClientInfo = {
  client: 'oa-ts',
  clientBuildId: '20260301T000000Z',
  protocolVersion: 'khala.ws.v1',
  schemaVersion: 1,
};

export const MAX_FRAME_BYTES = 1 << 20;

/** A session wired to a recording sink and a send spy. */
export function makeSession(opts: { apply?: boolean; maxFrameBytes?: number; settings?: KhalaSessionSettings } = {}) {
  const sink = new RecordingSink(opts.apply ?? true);
  const send = vi.fn<(text: string) => void>();
  const session = new KhalaSession({ send, sink, maxFrameBytes: opts.maxFrameBytes ?? MAX_FRAME_BYTES, clientInfo: CLIENT_INFO }, opts.settings);
  const sent = (): unknown[][] => send.mock.calls.map(([text]) => JSON.parse(text) as unknown[]);
  const receive = (frame: unknown): void => {
    const text = typeof frame === 'string' ? frame : JSON.stringify(frame);
    session.receive(text, new TextEncoder().encode(text).byteLength);
  };
  return { session, sink, send, sent, receive };
}

/** A session that has sent its join (ref "1") and received the ok reply. */
export function joinedSession(opts: Parameters<typeof makeSession>[0] = {}) {
  const s = makeSession(opts);
  s.session.start();
  s.receive(['1', '1', 'sync:v1', 'phx_reply', { status: 'ok', response: { subscription_id: 'sub_x', allowed_topics: ['runtime.run_summaries'], current_watermarks: [] } }]);
  s.sink.calls.length = 0;
  return s;
}

/** Base64 of the UTF-8 JSON of `value`, computed with Node's Buffer (independent of the code under test). */
export function b64json(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64');
}

/** A server push on the current join ("1"). */
export function push(event: string, payload: unknown, joinRef: string | null = '1'): unknown[] {
  return [joinRef, null, 'sync:v1', event, payload];
}

/** A KhalaFrame payload. */
export function frame(topic: string, seq: number, kind: string, body: unknown, schemaVersion = 1): Record<string, unknown> {
  return { topic, seq, kind, payload_bytes: b64json(body), schema_version: schemaVersion };
}

export function update(topic: string, watermark: number, payload: unknown = { status: 'running' }, extra: Record<string, unknown> = {}) {
  return { topic, doc_key: `doc:${watermark}`, doc_version: watermark, payload, payload_hash: null, watermark, hydration_required: false, ...extra };
}

export function updateBatch(topic: string, watermarks: number[], head?: number) {
  return {
    updates: watermarks.map((w) => update(topic, w)),
    replay_complete: true,
    head_watermarks: [{ topic, watermark: head ?? watermarks[watermarks.length - 1] ?? 0 }],
  };
}

interface FixtureFile {
  fixtures: { name: string; frame: Record<string, unknown> }[];
}

/** Load a captured fixture file from test/fixtures/. */
export function loadFixture(name: 'khala-frame-v1.json' | 'legacy-sync-frame-v1.json'): Map<string, Record<string, unknown>> {
  const file = readFixture<FixtureFile>(name);
  return new Map(file.fixtures.map((f) => [f.name, f.frame]));
}
