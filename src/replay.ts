/**
 * `khala-sync/replay`: the pure replay machine for ports and tools — `transition` (subscription
 * and recovery rules), `planBatch` (apply rules) and their state, inputs and effects. The client
 * runs them internally; the main entry does not re-export them. Rules: src/replay/SPEC.md.
 *
 * @packageDocumentation
 */
export type { AppliedBatch, ReplayEffect, ReplayEvent, ReplayInput } from './replay/events.js';
export { transition, type ReplayContext, type Transition } from './replay/transitions.js';
export { planBatch, type BatchPlan, type DocumentLookup, type PlanOptions } from './replay/plan-batch.js';
export { hashMismatches } from './replay/hash-mismatches.js';
export { createReplayState, newTopicState, type ReplayState, type TopicState, type TopicPhase, type Recovery } from './replay/state.js';
