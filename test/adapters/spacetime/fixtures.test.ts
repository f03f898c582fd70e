import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/errors/index.js';
import { canonicalJson, payloadHashText, verifyPayloadHash } from '../../../src/hash/index.js';
import { decodeBase64Json } from '../../../src/adapters/khala/payload-bytes.js';
import type { JsonValue } from '../../../src/util/json.js';
import { readFixture } from '../../fixtures.js';
import { arrRow, harness, IDENTITY_FRAME, multiApplied, objRow, subscribeIds, table, txUpdate } from './session-harness.js';

interface Golden {
  frames: Array<{ name: string; frame: { topic: string; seq: number; kind: string; payload_bytes: string; schema_version: number } }>;
}
interface HashVectors {
  version: string;
  vectors: Array<{ name: string; payload: JsonValue; canonical_json: string; sha256: string }>;
}

const golden = readFixture<Golden>('spacetime-era/spacetime-ws-golden.json');
const vectors = readFixture<HashVectors>('spacetime_payload_hash_vectors.v1.json');

describe('spacetime-era golden frames (spacetime-ws-golden.json)', () => {
  it('are the renamed in-house SyncFrame envelope, not SpacetimeDB messages: the Spacetime lane refuses each, typed, changing nothing', () => {
    const h = harness();
    h.receiveText(IDENTITY_FRAME);
    h.calls.length = 0;
    for (const { frame } of golden.frames) {
      expect(frame.kind).toMatch(/^SPACETIME_FRAME_KIND_/);
      h.receiveText(JSON.stringify(frame));
    }
    expect(h.calls.map((c) => c.type)).toEqual(['protocolError', 'protocolError', 'protocolError']);
    expect(h.of('protocolError').every((c) => c.error.code === ErrorCodes.MALFORMED_FRAME)).toBe(true);
    expect(h.applied.size).toBe(0);
  });

  it('payload_bytes decode: replay_batch and stale_cursor_error are valid, live_tail_batch is defective JSON', () => {
    const byName = new Map(golden.frames.map((f) => [f.name, decodeBase64Json(f.frame.payload_bytes)]));
    const replay = byName.get('replay_batch')!;
    expect(replay.ok && replay.value).toMatchObject({ updates: [{ topic: 'runtime.run_summaries', watermark: 42 }], replay_complete: false, head_watermarks: [{ watermark: 45 }] });
    const stale = byName.get('stale_cursor_error')!;
    expect(stale.ok && stale.value).toMatchObject({ code: 'stale_cursor', full_resync_required: true, stale_topics: [{ resume_after: 10, retention_floor: 42 }] });
    const defect = byName.get('live_tail_batch')!;
    expect(defect.ok).toBe(false);
    expect(!defect.ok && defect.reason).toBe('syntax');
  });

  it('the stale_cursor_error facts, detected locally on the SpacetimeDB wire, give the same logical error shape', () => {
    // Resume after 10 on a stream whose oldest row is 43 (retention floor 42): the fixture's case.
    const h = harness();
    h.receiveText(IDENTITY_FRAME);
    h.session.subscribe(['runtime.run_summaries'], { 'runtime.run_summaries': 10 });
    const { requestId, queryId } = subscribeIds(h, 'runtime.run_summaries');
    h.receive(multiApplied(requestId, queryId, [table('sync_event', [objRow('runtime.run_summaries', 43), objRow('runtime.run_summaries', 44), objRow('runtime.run_summaries', 45)])]));
    const error = h.of('subscribeFailed')[0]!.error;
    expect(error.code).toBe('stale_cursor');
    expect(error.staleTopics).toEqual([{ topic: 'runtime.run_summaries', reason: 'retention_floor_breach', resumeAfter: 10, retentionFloor: 42, headWatermark: 45 }]);
  });
});

describe('spacetime payload hash vectors (spacetime_payload_hash_vectors.v1.json)', () => {
  it('canonical JSON and sha256:<hex> match every vector', () => {
    expect(vectors.vectors.length).toBeGreaterThanOrEqual(5);
    for (const v of vectors.vectors) {
      expect(canonicalJson(v.payload), v.name).toBe(v.canonical_json);
      expect(payloadHashText(v.payload), v.name).toBe(v.sha256);
      expect(verifyPayloadHash(v.payload, v.sha256), v.name).toBe('match');
    }
  });

  it('rows carrying the vectors keep their hash through the lane, in both row forms, and verify', () => {
    const h = harness();
    h.receiveText(IDENTITY_FRAME);
    const s = 'runtime.codex.worker.worker_1';
    h.session.subscribe([s], {});
    const { requestId, queryId } = subscribeIds(h, s);
    const [first, ...rest] = vectors.vectors;
    h.receive(multiApplied(requestId, queryId, [table('sync_event', [objRow(s, 1, first!.payload, { payload_hash: first!.sha256 })])]));
    h.receive(txUpdate([table('sync_event', rest.map((v, i) => arrRow(s, i + 2, v.payload, v.sha256)))]));
    const updates = h.of('batch').flatMap((c) => c.batch.updates);
    expect(updates.map((u) => u.payloadHash)).toEqual(vectors.vectors.map((v) => v.sha256));
    for (const u of updates) expect(verifyPayloadHash(u.payload!, u.payloadHash!)).toBe('match');
  });
});
