import { describe, expect, it } from 'vitest';
import { payloadHashBase64, payloadHashText } from '../../src/hash/index.js';
import { hashMismatches } from '../../src/replay/hash-mismatches.js';
import { planBatch } from '../../src/replay/plan-batch.js';
import { newTopicState } from '../../src/replay/state.js';
import type { SyncDocument } from '../../src/model/types.js';
import { batch, upd } from './helpers.js';

const T = 'runtime.run_summaries';
const noDocs = () => undefined;

describe('planBatch (SPEC.md A1–A10)', () => {
  it('A1/A2: applies only the tail past the cursor and commits docs with the new watermark', () => {
    const plan = planBatch(newTopicState(T, 3), batch(T, [upd(T, 2), upd(T, 3), upd(T, 4), upd(T, 5)]), noDocs);
    expect(plan.outcome).toBe('apply');
    expect(plan.applied.map((u) => u.watermark)).toEqual([4, 5]);
    expect(plan.duplicates).toBe(2);
    expect(plan.commit?.watermark).toBe(5);
    expect(plan.commit?.documents.map((d) => d.docKey)).toEqual(['doc:4', 'doc:5']);
  });

  it('A1: a batch wholly at or below the cursor is a duplicate with no commit', () => {
    const plan = planBatch(newTopicState(T, 9), batch(T, [upd(T, 8), upd(T, 9)]), noDocs);
    expect(plan.outcome).toBe('duplicate');
    expect(plan.commit).toBeUndefined();
    expect(plan.applied).toEqual([]);
  });

  it('A3: gaps are applied, never rewound', () => {
    const plan = planBatch(newTopicState(T, 1), batch(T, [upd(T, 5), upd(T, 40)]), noDocs);
    expect(plan.applied.map((u) => u.watermark)).toEqual([5, 40]);
    expect(plan.commit?.watermark).toBe(40);
  });

  it('A4: a lower doc_version does not overwrite but the cursor still advances', () => {
    const cached: SyncDocument = { topic: T, docKey: 'k', docVersion: 10, payload: { v: 10 }, payloadHash: null, watermark: 3, hydrationPending: false };
    const plan = planBatch(newTopicState(T, 3), batch(T, [upd(T, 4, 'k', 9, { v: 9 })]), () => cached);
    expect(plan.outcome).toBe('apply');
    expect(plan.commit?.watermark).toBe(4);
    expect(plan.commit?.documents).toEqual([]);
  });

  it('A4: equal doc_version overwrites; within a batch the later update wins', () => {
    const plan = planBatch(newTopicState(T, undefined), batch(T, [upd(T, 1, 'k', 2, { v: 'a' }), upd(T, 2, 'k', 1, { v: 'old' }), upd(T, 3, 'k', 2, { v: 'b' })]), noDocs);
    expect(plan.commit?.documents).toHaveLength(1);
    expect(plan.commit?.documents[0]!.payload).toEqual({ v: 'b' });
    expect(plan.commit?.watermark).toBe(3);
  });

  it('A5: pointer mode keeps the old body, marks it pending and asks for hydration', () => {
    const cached: SyncDocument = { topic: T, docKey: 'k', docVersion: 1, payload: { v: 1 }, payloadHash: null, watermark: 1, hydrationPending: false };
    const u = { ...upd(T, 2, 'k', 2, null), hydrationRequired: true, payloadHash: 'sha256:' + '0'.repeat(64) };
    const plan = planBatch(newTopicState(T, 1), batch(T, [u]), () => cached);
    expect(plan.commit?.watermark).toBe(2);
    expect(plan.commit?.documents[0]).toMatchObject({ payload: { v: 1 }, docVersion: 2, hydrationPending: true });
    expect(plan.hydrate.map((d) => d.docKey)).toEqual(['k']);
  });

  it('A6: a matching hash (both encodings) stores the body; a mismatch reports and defers to hydration', async () => {
    const good = { ...upd(T, 1, 'a', 1, { status: 'running' }), payloadHash: payloadHashBase64({ status: 'running' }) };
    const goodHex = { ...upd(T, 2, 'b', 1, { n: 'é日本' }), payloadHash: payloadHashText({ n: 'é日本' }) };
    const bad = { ...upd(T, 3, 'c', 1, { status: 'tampered' }), payloadHash: payloadHashBase64({ status: 'running' }) };
    const b = batch(T, [good, goodHex, bad]);
    const mismatched = await hashMismatches(b, undefined);
    expect([...mismatched!]).toEqual([bad]);
    const plan = planBatch(newTopicState(T, undefined), b, noDocs, { mismatched });
    expect(plan.commit?.watermark).toBe(3);
    const byKey = Object.fromEntries(plan.commit!.documents.map((d) => [d.docKey, d]));
    expect(byKey['a']!.hydrationPending).toBe(false);
    expect(byKey['b']!.payload).toEqual({ n: 'é日本' });
    expect(byKey['c']).toMatchObject({ hydrationPending: true, payload: null });
    expect(plan.diagnostics.map((d) => d.code)).toEqual(['payload_hash_mismatch']);
    expect(plan.hydrate.map((d) => d.docKey)).toEqual(['c']);
  });

  it('A9/R7: unsubscribed topics, failed topics and topics awaiting a snapshot change nothing', () => {
    expect(planBatch(undefined, batch(T, [upd(T, 1)]), noDocs).outcome).toBe('unsubscribed');
    expect(planBatch({ ...newTopicState(T, 1), phase: 'failed' }, batch(T, [upd(T, 2)]), noDocs).outcome).toBe('failed_topic');
    const waiting = { ...newTopicState(T, 1), phase: 'recovering' as const, recovery: { step: 'snapshot' as const, head: 9, viaSnapshot: true, requestId: undefined, behind: 0 } };
    expect(planBatch(waiting, batch(T, [upd(T, 2)]), noDocs).commit).toBeUndefined();
  });

  it('A10: a head below the cursor is reported', () => {
    const plan = planBatch(newTopicState(T, 50), batch(T, [upd(T, 3)], true, 3), noDocs);
    expect(plan.outcome).toBe('duplicate');
    expect(plan.diagnostics.map((d) => d.code)).toEqual(['cursor_ahead_of_head']);
  });

  it('A10: a late copy of an older batch is not a reset server once this connection showed a head past the cursor', () => {
    const seen = { ...newTopicState(T, 50), headSeen: 50 };
    const late = planBatch(seen, batch(T, [upd(T, 41), upd(T, 42)], false, 42), noDocs);
    expect(late.outcome).toBe('duplicate');
    expect(late.diagnostics).toEqual([]);
    // A head seen only below the cursor proves nothing: still reported.
    const below = planBatch({ ...newTopicState(T, 50), headSeen: 12 }, batch(T, [upd(T, 13)], false, 13), noDocs);
    expect(below.diagnostics.map((d) => d.code)).toEqual(['cursor_ahead_of_head']);
  });
});
