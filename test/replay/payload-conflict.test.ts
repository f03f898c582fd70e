import { describe, expect, it } from 'vitest';
import { receiveKhalaFrame } from '../../src/adapters/khala/frame-decoder.js';
import { RecordingSink } from '../adapters/khala/helpers.js';
import { sortUnique } from '../../src/adapters/spacetime/table-rows.js';
import type { SyncEventRow } from '../../src/adapters/spacetime/rows.js';
import { samePayloadHash } from '../../src/hash/hash-target.js';
import { payloadHashBase64, payloadHashText } from '../../src/hash/payload-hash.js';
import type { SyncDocument, SyncUpdate } from '../../src/model/types.js';
import { planBatch } from '../../src/replay/plan-batch.js';
import { HASHES_PER_SEQ, RecentHashes } from '../../src/replay/recent-hashes.js';
import { newTopicState } from '../../src/replay/state.js';
import { batch, upd } from './helpers.js';

const T = 'runtime.run_summaries';
const noDocs = () => undefined;
const hashed = (u: SyncUpdate): SyncUpdate => ({ ...u, payloadHash: payloadHashBase64(u.payload!) });
const other = (u: SyncUpdate, payload: Record<string, number | string>): SyncUpdate => ({ ...u, payload, payloadHash: payloadHashBase64(payload) });

describe('payload conflicts (SPEC.md A13)', () => {
  it('a duplicate with another hash than the first copy (from the window) is reported; the first copy is kept, nothing written', () => {
    const history = new RecentHashes();
    const first = [hashed(upd(T, 1)), hashed(upd(T, 2))];
    history.record(T, first);
    const plan = planBatch(newTopicState(T, 2), batch(T, [first[0]!, other(first[1]!, { w: 'evil' })]), noDocs, { history });
    expect(plan.outcome).toBe('duplicate');
    expect(plan.commit).toBeUndefined();
    expect(plan.duplicates).toBe(2);
    expect(plan.payloadConflicts).toEqual([{ seq: 2, first: first[1]!.payloadHash, hash: payloadHashBase64({ w: 'evil' }) }]);
    expect(plan.diagnostics.map((d) => [d.code, d.topic, d.details['watermark'], d.details['firstHash']])).toEqual([['payload_conflict', T, 2, first[1]!.payloadHash]]);
    expect(plan.conflicts).toBe(0); // the A4 counter keeps its meaning
  });

  it('once reported, the same conflicting hash is not reported again; a third distinct hash is', () => {
    const history = new RecentHashes();
    const u = hashed(upd(T, 5));
    history.record(T, [u]);
    const a = other(upd(T, 5), { w: 'a' });
    history.noteReported(T, [{ seq: 5, first: u.payloadHash!, hash: a.payloadHash! }]);
    const plan = planBatch(newTopicState(T, 5), batch(T, [a]), noDocs, { history });
    expect(plan.payloadConflicts).toEqual([]);
    const b = other(upd(T, 5), { w: 'b' });
    expect(planBatch(newTopicState(T, 5), batch(T, [b, a, b]), noDocs, { history }).payloadConflicts).toEqual([{ seq: 5, first: u.payloadHash, hash: b.payloadHash }]);
    // A conflict found through the held document (seq outside the window) is remembered with its first hash.
    history.noteReported(T, [{ seq: 99, first: 'h-first', hash: 'h-second' }]);
    expect(history.hashes(T, 99)).toEqual(['h-first', 'h-second']);
  });

  it('the same digest in the other wire form, and copies without a hash, are plain duplicates', () => {
    const history = new RecentHashes();
    const u = hashed(upd(T, 3));
    history.record(T, [u]);
    const hex = { ...u, payloadHash: `  ${payloadHashText(u.payload!).toUpperCase().replace('SHA256:', 'sha256:')} ` };
    const none = { ...u, payloadHash: null };
    const empty = { ...u, payloadHash: '' };
    const plan = planBatch(newTopicState(T, 3), batch(T, [hex]), noDocs, { history });
    expect(plan.payloadConflicts).toEqual([]);
    for (const c of [none, empty]) expect(planBatch(newTopicState(T, 3), batch(T, [c]), noDocs, { history }).payloadConflicts).toEqual([]);
    expect(samePayloadHash(u.payloadHash!, hex.payloadHash)).toBe(true);
    expect(samePayloadHash('opaque-1', ' opaque-1 ')).toBe(true);
    expect(samePayloadHash('opaque-1', 'opaque-2')).toBe(false);
  });

  it('without the window, the held document answers when its latest version is that very update', () => {
    const u = hashed(upd(T, 7, 'k', 7));
    const held: SyncDocument = { topic: T, docKey: 'k', docVersion: 7, payload: u.payload, payloadHash: u.payloadHash, watermark: 7, hydrationPending: false };
    const conflicting = other(u, { w: 'x' });
    expect(planBatch(newTopicState(T, 9), batch(T, [conflicting]), () => held).payloadConflicts).toHaveLength(1);
    // Overwritten since (latest version is another update): not comparable, a plain duplicate.
    const newer = { ...held, docVersion: 9, watermark: 9 };
    const plan = planBatch(newTopicState(T, 9), batch(T, [conflicting]), () => newer);
    expect(plan.payloadConflicts).toEqual([]);
    expect(plan.duplicates).toBe(1);
  });

  it('a later copy of a seq in the same batch compares with the batch\'s own first copy', () => {
    const u = hashed(upd(T, 4));
    const plan = planBatch(newTopicState(T, 3), batch(T, [u, other(u, { w: 'dup' }), hashed(upd(T, 5))]), noDocs);
    expect(plan.applied.map((x) => [x.watermark, x.payloadHash])).toEqual([
      [4, u.payloadHash],
      [5, hashed(upd(T, 5)).payloadHash],
    ]);
    expect(plan.commit?.documents.find((d) => d.docKey === 'doc:4')?.payload).toEqual({ w: 4 });
    expect(plan.payloadConflicts.map((c) => c.seq)).toEqual([4]);
  });

  it('a seq keeps at most HASHES_PER_SEQ hashes and none overlong: a server repeating a seq with ever-new hashes cannot grow the window', () => {
    const history = new RecentHashes();
    const u = hashed(upd(T, 5));
    history.record(T, [u]);
    for (let i = 0; i < 1000; i++) history.noteReported(T, [{ seq: 5, first: u.payloadHash!, hash: `h-${i}` }]);
    expect(history.hashes(T, 5)).toHaveLength(HASHES_PER_SEQ);
    // A conflicting hash past the cap is still reported (it cannot be remembered as reported).
    const late = other(upd(T, 5), { w: 'late' });
    expect(planBatch(newTopicState(T, 5), batch(T, [late]), noDocs, { history }).payloadConflicts).toHaveLength(1);
    history.record(T, [{ ...upd(T, 6), payloadHash: 'x'.repeat(100_000) }]);
    expect(history.hashes(T, 6)).toBeUndefined();
  });

  it('the window is bounded per topic (oldest seqs leave first) and forgets an unsubscribed topic', () => {
    const history = new RecentHashes(3);
    history.record(T, [1, 2, 3, 4].map((w) => hashed(upd(T, w))));
    expect([1, 2, 3, 4].map((w) => history.hashes(T, w) !== undefined)).toEqual([false, true, true, true]);
    expect(history.carriesHashes(T)).toBe(true);
    history.drop(T);
    expect(history.carriesHashes(T)).toBe(false);
    history.documents(T, [{ topic: T, docKey: 'k', docVersion: 1, payload: {}, payloadHash: null, watermark: 1, hydrationPending: false }]);
    expect(history.carriesHashes(T)).toBe(false);
  });
});

describe('both lanes deliver the copies A13 needs', () => {
  const frame = (seq: number, body: unknown) => ({ topic: T, seq, kind: 'KHALA_FRAME_KIND_UPDATE_BATCH', payload_bytes: Buffer.from(JSON.stringify(body)).toString('base64'), schema_version: 1 });

  it('Khala: an already-applied sync:frame is decoded (not skipped) when the topic carries hashes', () => {
    const body = { updates: [{ topic: T, doc_key: 'a', doc_version: 2, payload: { w: 1 }, payload_hash: 'h-other', watermark: 2 }], replay_complete: true };
    const sink = new RecordingSink(false);
    sink.applied.set(T, 5);
    receiveKhalaFrame(frame(2, body), sink, () => true);
    expect(sink.calls).toEqual([]);
    const hashing = Object.assign(sink, { carriesHashes: (t: string) => t === T });
    receiveKhalaFrame(frame(2, body), hashing, () => true);
    expect(sink.calls.map((c) => c.type)).toEqual(['batch']);
    expect(sink.of('batch')[0]!.batch.updates[0]!.payloadHash).toBe('h-other');
  });

  it('Spacetime: identical repeats of a seq are dropped, a repeat with another hash is kept behind the first', () => {
    const row = (seq: number, payloadHash: string | null): SyncEventRow => ({ idempotencyKey: `k${seq}`, streamId: T, seq, payloadHash, payload: {}, confirmedRead: true, committedAtMs: undefined });
    const rows = sortUnique([row(4, 'b'), row(3, 'a'), row(4, 'b'), row(4, 'x'), row(3, null)]);
    expect(rows.map((r) => [r.seq, r.payloadHash])).toEqual([
      [3, 'a'],
      [3, null],
      [4, 'b'],
      [4, 'x'],
    ]);
  });
});
