import type { ClientStatus } from '../client/options.js';
import type { AppliedBatch } from '../replay/events.js';
import type { TopicPhase } from '../replay/state.js';

/** A topic's progress as the leader reports it to followers. */
export interface RelayedTopic {
  /** The topic's phase in the leader's client. */
  phase: TopicPhase;
  /** The topic's committed watermark in the leader's client, when it has one. */
  watermark: number | undefined;
}

/**
 * What tabs of one origin say to each other on the sync BroadcastChannel. The leader sends
 * `applied` after each batch is committed to IndexedDB and `state` on every status or phase
 * change; a new follower sends `hello` and the leader answers with `state`.
 */
export type TabMessage =
  | { kind: 'applied'; batch: AppliedBatch }
  | { kind: 'state'; status: ClientStatus; topics: Record<string, RelayedTopic>; heads: Record<string, number> }
  | { kind: 'hello' };
