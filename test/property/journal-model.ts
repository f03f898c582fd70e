// The model the property tests check the client against: one journal per topic (increasing
// watermarks with gaps, random documents and versions), and what a correct client must end with.
import fc from 'fast-check';

/** One journal event. `payload.w` names the event that wrote a document, so a wrong winner is visible. */
export interface JournalEvent {
  watermark: number;
  docKey: string;
  docVersion: number;
}

/** One topic of a scenario: its journal and where the client starts. */
export interface TopicScenario {
  topic: string;
  events: JournalEvent[];
  /** Index of the last event the client already has (stored cursor), or -1 for no cursor. */
  startIndex: number;
  /** Events published before the client connects (at least `startIndex + 1`, at most all but the last). */
  initiallyPublished: number;
  /** Retention floor at the start: watermark up to which the journal is already pruned (0 when the client has no cursor). */
  initialFloor: number;
}

export const TOPICS = ['runtime.run_summaries', 'runtime.codex_worker_summaries', 'runtime.codex_worker_events'] as const;

/** A document as the model holds it. */
export interface ModelDoc {
  docVersion: number;
  payload: { w: number };
}

export const payloadOf = (e: JournalEvent): { w: number } => ({ w: e.watermark });

/** Apply events in order with the A4 rule (incoming version >= cached replaces). */
export function fold(events: readonly JournalEvent[], into: Map<string, ModelDoc> = new Map()): Map<string, ModelDoc> {
  for (const e of events) {
    const held = into.get(e.docKey);
    if (held === undefined || e.docVersion >= held.docVersion) into.set(e.docKey, { docVersion: e.docVersion, payload: payloadOf(e) });
  }
  return into;
}

/** Watermark of the client's stored cursor, or undefined. */
export function startCursor(s: TopicScenario): number | undefined {
  return s.startIndex >= 0 ? s.events[s.startIndex]!.watermark : undefined;
}

// Every arbitrary below is a plain record mapped to its value (no `chain`): fast-check shrinks
// records field by field, so a counterexample comes out small. Indices are clamped by modulo.
const journalArb = fc.array(fc.record({ gap: fc.integer({ min: 1, max: 3 }), doc: fc.constantFrom('a', 'b', 'c', 'd'), version: fc.integer({ min: 1, max: 6 }) }), {
  minLength: 2,
  maxLength: 14,
  size: 'large',
});

/** A topic scenario: the client may start with a cursor (then the journal may already be pruned past it). */
export function topicScenarioArb(topic: string): fc.Arbitrary<TopicScenario> {
  return fc.record({ raw: journalArb, start: fc.nat(), extra: fc.nat(), floor: fc.nat() }).map(({ raw, start, extra, floor }) => {
    let w = 0;
    const events = raw.map((r) => ({ watermark: (w += r.gap), docKey: `doc:${r.doc}`, docVersion: r.version }));
    const startIndex = (start % events.length) - 1; // -1 .. length-2
    const initiallyPublished = Math.min(events.length - 1, startIndex + 1 + (extra % events.length));
    const floors = [0, ...events.slice(0, initiallyPublished).map((e) => e.watermark)];
    const initialFloor = startIndex < 0 ? 0 : floors[floor % floors.length]!;
    return { topic, events, startIndex, initiallyPublished, initialFloor };
  });
}

/** What the fake server does next. `n` picks among the candidates of that action. */
export type Action =
  | { kind: 'deliver'; n: number }
  /** Deliver up to `count` frames back to back, without letting the client finish in between. */
  | { kind: 'burst'; n: number; count: number }
  | { kind: 'publish'; n: number; count: number }
  | { kind: 'throttle'; n: number }
  | { kind: 'prune'; n: number; to: number }
  | { kind: 'drop' }
  | { kind: 'channel_error' }
  | { kind: 'store_failure' }
  | { kind: 'resolve_snapshot'; n: number }
  /** The app starts wanting {@link FORBIDDEN_TOPIC}, which the server refuses (forbidden_topic). */
  | { kind: 'want_forbidden' }
  /** The app closes the client and builds a new one on the same durable store (outside recoveries). */
  | { kind: 'restart' }
  /** The app calls `resync(topic)` (SPEC.md R11) on the n-th topic. */
  | { kind: 'resync'; n: number };

/** A topic the server never allows: wanting it must not disturb the others (S5). */
export const FORBIDDEN_TOPIC = 'runtime.notifications';

export const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('deliver' as const), n: fc.nat(50) }), weight: 10 },
  { arbitrary: fc.record({ kind: fc.constant('burst' as const), n: fc.nat(50), count: fc.integer({ min: 2, max: 6 }) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('publish' as const), n: fc.nat(5), count: fc.integer({ min: 1, max: 3 }) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('throttle' as const), n: fc.nat(5) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('prune' as const), n: fc.nat(5), to: fc.nat(100) }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'drop' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'channel_error' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'store_failure' as const }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('resolve_snapshot' as const), n: fc.nat(5) }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'want_forbidden' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'restart' as const }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('resync' as const), n: fc.nat(5) }), weight: 1 },
);

/**
 * How each batch is emitted: 0 both copies (legacy, then sync:frame), 1 legacy only, 2 envelope only,
 * 3 both plus an extra late envelope copy. Cycled over the batches a server builds.
 */
export const copyPlanArb = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 8 });

export interface Scenario {
  topics: TopicScenario[];
  actions: Action[];
  copyPlan: number[];
  /** Batch sizes the server uses, cycled. */
  batchSizes: number[];
  /** Snapshots answer at once (true) or wait for a `resolve_snapshot` action. */
  immediateSnapshots: boolean;
  /**
   * Whether the client has a snapshot source. Without one, stale cursors come from the replay
   * budget only (nothing is pruned past the client), so the cursor-less replay of SPEC.md R5 loses
   * nothing and the model still holds exactly.
   */
  snapshots: boolean;
  /** Replay budget (events) of the no-snapshot mode. */
  budget: number;
}

export const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    all: fc.tuple(...TOPICS.map((t) => topicScenarioArb(t))),
    count: fc.integer({ min: 1, max: TOPICS.length }),
    actions: fc.array(actionArb, { minLength: 5, maxLength: 80, size: 'large' }),
    copyPlan: copyPlanArb,
    batchSizes: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
    immediateSnapshots: fc.boolean(),
    snapshots: fc.boolean(),
    budget: fc.integer({ min: 1, max: 6 }),
  })
  .map(({ all, count, ...rest }) => ({ topics: all.slice(0, count), ...rest }));
