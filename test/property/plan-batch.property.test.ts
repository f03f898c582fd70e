// Property at the pure seam (SPEC.md A1–A4): feeding planBatch any sequence of overlapping,
// duplicated and re-sent windows of one topic's journal — distinct batches in watermark order, as
// the protocol guarantees — applies every event above the starting cursor exactly once, in order,
// and leaves the documents of the journal model.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planBatch } from '../../src/replay/plan-batch.js';
import { newTopicState, type TopicState } from '../../src/replay/state.js';
import type { SyncBatch, SyncDocument } from '../../src/model/types.js';
import { fold, payloadOf, topicScenarioArb, type TopicScenario } from './journal-model.js';

const TOPIC = 'runtime.run_summaries';
const NUM_RUNS = Number(process.env['PROPERTY_RUNS'] ?? 400);

/** Windows of the journal: each starts at or before the end of what was sent so far (no gap), so copies and overlaps happen. */
const windowsArb = fc.array(fc.record({ back: fc.nat(4), size: fc.integer({ min: 0, max: 4 }) }), { minLength: 1, maxLength: 30 });

function batches(s: TopicScenario, windows: Array<{ back: number; size: number }>): SyncBatch[] {
  const out: SyncBatch[] = [];
  const first = s.startIndex + 1;
  let sent = first; // events [0, sent) have been sent (or were applied before the start)
  const emit = (from: number, to: number): void => {
    const chunk = s.events.slice(from, to);
    out.push({
      topic: TOPIC,
      updates: chunk.map((e) => ({ topic: TOPIC, docKey: e.docKey, docVersion: e.docVersion, payload: payloadOf(e), payloadHash: null, watermark: e.watermark, hydrationRequired: false })),
      replayComplete: to >= s.events.length,
      headWatermark: s.events[to - 1]?.watermark,
    });
    sent = Math.max(sent, to);
  };
  for (const w of windows) {
    const from = Math.max(0, sent - w.back);
    emit(from, Math.min(s.events.length, from + w.size));
  }
  if (sent < s.events.length) emit(Math.max(first, sent), s.events.length);
  return out;
}

describe('planBatch against the journal model (fast-check)', () => {
  it(`applies each event above the cursor once, in order, with the A4 document rule (${NUM_RUNS} runs)`, () => {
    fc.assert(
      fc.property(topicScenarioArb(TOPIC), windowsArb, (s, windows) => {
        const c0 = s.startIndex >= 0 ? s.events[s.startIndex]!.watermark : undefined;
        const docs = new Map<string, SyncDocument>();
        for (const [docKey, d] of fold(s.events.slice(0, s.startIndex + 1))) docs.set(docKey, { topic: TOPIC, docKey, docVersion: d.docVersion, payload: d.payload, payloadHash: null, watermark: c0!, hydrationPending: false });
        let state: TopicState = { ...newTopicState(TOPIC, c0), phase: 'live', caughtUp: true };
        const applied: number[] = [];
        for (const b of batches(s, windows)) {
          const plan = planBatch(state, b, (_t, k) => docs.get(k));
          applied.push(...plan.applied.map((u) => u.watermark));
          expect(plan.hydrate).toEqual([]);
          if (plan.commit === undefined) {
            expect(plan.applied).toEqual([]);
            continue;
          }
          for (const d of plan.commit.documents) docs.set(d.docKey, d);
          state = { ...state, lastApplied: plan.commit.watermark };
        }
        const expected = s.events.filter((e) => c0 === undefined || e.watermark > c0).map((e) => e.watermark);
        expect(applied).toEqual(expected);
        expect(state.lastApplied).toBe(s.events[s.events.length - 1]!.watermark);
        const model = fold(s.events);
        expect(new Map([...docs].map(([k, d]) => [k, { docVersion: d.docVersion, payload: d.payload }]))).toEqual(model);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
