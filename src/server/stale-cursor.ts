import type { JsonObject } from '../util/json.js';
import type { TopicJournal } from './journal.js';
import type { TopicPolicy } from './options.js';
import { SNAPSHOT_FORMAT } from './topic-catalog.js';
import type { TopicCatalog } from './topic-catalog.js';

/** One `stale_topics[]` element (§3.2). */
export interface StaleTopic {
  topic: string;
  reason: 'retention_floor_breach' | 'replay_budget_exceeded';
  qos_tier: TopicPolicy['qosTier'];
  resume_after: number;
  retention_floor: number;
  head_watermark: number;
  replay_lag: number;
  replay_budget_events: number;
}

/**
 * K1/Phoenix freshness rule (§5.5): the floor is checked first and only one reason is reported.
 * `c = oldest - 1` is fresh because exactly the retained events are replayed.
 */
export function checkFreshness(cursor: number, journal: TopicJournal, policy: TopicPolicy): StaleTopic | undefined {
  const floor = journal.retentionFloor;
  const head = journal.replayHead;
  const lag = Math.max(head - cursor, 0);
  let reason: StaleTopic['reason'] | undefined;
  if (cursor < floor) reason = 'retention_floor_breach';
  else if (head - cursor > policy.replayBudget) reason = 'replay_budget_exceeded';
  if (!reason) return undefined;
  return {
    topic: journal.topic,
    reason,
    qos_tier: policy.qosTier,
    resume_after: cursor,
    retention_floor: floor,
    head_watermark: head,
    replay_lag: lag,
    replay_budget_events: policy.replayBudget,
  };
}

/** The full §3.2 stale_cursor payload, identical for the push, the ERROR frame and the reply. */
export function staleCursorPayload(stale: StaleTopic[], catalog: TopicCatalog): JsonObject {
  const reasons = [...new Set(stale.map((s) => s.reason))];
  const budgetOnly = reasons.length === 1 && reasons[0] === 'replay_budget_exceeded';
  return {
    code: 'stale_cursor',
    message: budgetOnly ? 'replay budget exceeded for topic qos tier; full resync required' : 'cursor is older than retention floor',
    full_resync_required: true,
    reason_codes: reasons,
    // Only topics that have a snapshot source are listed; event topics cannot be rebuilt (§8.4).
    snapshot_plan: {
      format: SNAPSHOT_FORMAT,
      topics: stale
        .filter((s) => catalog.policy(s.topic)?.snapshot === true)
        .map((s) => ({ topic: s.topic, head_watermark: s.head_watermark, snapshot: catalog.snapshotDescriptor(s.topic) })),
    },
    stale_topics: stale.map((s) => ({ ...s })),
  };
}
