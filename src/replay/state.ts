/** Where a topic stands in its subscription lifecycle (see `SPEC.md`). */
export type TopicPhase = 'pending' | 'subscribing' | 'live' | 'recovering' | 'failed';

/** How far a stale-cursor recovery has come. */
export type RecoveryStep = 'snapshot' | 'resubscribe' | 'resubscribed';

/** One recovery of one topic (KHALA_PROTOCOL §7.5). */
export interface Recovery {
  /** Where the recovery stands: fetching the `snapshot`, sending the `resubscribe`, or `resubscribed` (awaiting its reply). */
  step: RecoveryStep;
  /** Head captured from the stale error before fetching the snapshot. */
  head: number | undefined;
  /** Whether a snapshot source is used (else: resubscribe without a cursor). */
  viaSnapshot: boolean;
  /** Request id of the resubscribe sent after the snapshot, to recognise a second stale. */
  requestId: number | undefined;
  /** Snapshot reads in a row refused as behind the cursor (SPEC.md R12) or failed retryably (R8): drives the retry backoff. */
  behind: number;
}

/** Replay state of one topic. */
export interface TopicState {
  /** The topic's name. */
  readonly topic: string;
  /** Highest applied watermark (durable), or undefined when none. */
  lastApplied: number | undefined;
  /** Where the topic's subscription stands (`pending`, `subscribing`, `live`, `recovering`, `failed`). */
  phase: TopicPhase;
  /** Caught-up has been reported for the current subscription. */
  caughtUp: boolean;
  /** The stale-cursor recovery under way, or undefined. */
  recovery: Recovery | undefined;
  /** `cursor_ahead_of_head` already reported on this connection. */
  aheadReported: boolean;
  /** Highest `head_watermarks` entry a batch carried on this connection (SPEC.md A10), or undefined. */
  headSeen: number | undefined;
}

/** Replay state of a client: desired topics and in-flight subscribe requests. */
export interface ReplayState {
  /** Every subscribed topic's state, by name. */
  topics: Map<string, TopicState>;
  /** Subscribe requests awaiting a reply, by request id. */
  pending: Map<number, string[]>;
  /** True between a lane's `ready` and the next disconnect. */
  joined: boolean;
  /**
   * Topics the app unsubscribed while this socket was joined: a batch still in flight for one that
   * is not subscribed again is dropped without a report (SPEC.md A9). Emptied on disconnect.
   */
  leaving: ReadonlySet<string>;
}

/** A fresh topic entry. */
export function newTopicState(topic: string, lastApplied: number | undefined): TopicState {
  return { topic, lastApplied, phase: 'pending', caughtUp: false, recovery: undefined, aheadReported: false, headSeen: undefined };
}

/** Empty replay state. */
export function createReplayState(): ReplayState {
  return { topics: new Map(), pending: new Map(), joined: false, leaving: new Set() };
}
