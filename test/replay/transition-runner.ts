import { expect } from 'vitest';
import type { ReplayEffect, ReplayInput } from '../../src/replay/events.js';
import { createReplayState, type ReplayState } from '../../src/replay/state.js';
import { transition, type ReplayContext } from '../../src/replay/transitions.js';

// Drives the pure machine the way the driver does, for the transition tests (SPEC.md sections).

/** Topic names the transition tests use. */
export const A = 'runtime.run_summaries';
export const B = 'runtime.codex_worker_summaries';
export const E = 'runtime.codex_worker_events';

/** Run inputs in order, answering each subscribe effect with a request id like a driver would. */
export function run(inputs: ReplayInput[], ctx: ReplayContext = { hasSnapshotSource: true }, start: ReplayState = createReplayState()) {
  let state = start;
  let nextId = 1;
  const effects: ReplayEffect[] = [];
  const queue = [...inputs];
  while (queue.length > 0) {
    const input = queue.shift()!;
    const before = state;
    const frozen = JSON.stringify([...before.topics.entries()]);
    const r = transition(state, input, ctx);
    expect(JSON.stringify([...before.topics.entries()])).toBe(frozen); // the input state is never mutated
    state = r.state;
    for (const e of r.effects) {
      effects.push(e);
      if (e.type === 'subscribe') queue.unshift({ type: 'subscribe_sent', requestId: nextId++, topics: e.topics });
    }
  }
  return { state, effects };
}

/** The subscribe effects. */
export const subs = (effects: ReplayEffect[]) => effects.filter((e): e is Extract<ReplayEffect, { type: 'subscribe' }> => e.type === 'subscribe');
/** The emitted events of `type`. */
export const events = (effects: ReplayEffect[], type: string) => effects.filter((e) => e.type === 'emit' && e.event.type === type);
/** The codes of the emitted errors. */
export const errors = (effects: ReplayEffect[]) => effects.flatMap((e) => (e.type === 'emit' && e.event.type === 'error' ? [e.event.error.code] : []));
