import { ErrorCodes } from '../../errors/codes.js';
import type { StaleTopic, SyncErrorPayload } from '../../model/types.js';
import type { JsonObject } from '../../util/json.js';

/** Default replay budget per stream, in events (OA's run-event class, SPACETIME_PROTOCOL §2.5). */
export const DEFAULT_REPLAY_BUDGET = 20_000;

/**
 * Why a stream was found stale. `head_gap_timeout`: the head probe showed rows past the watermark
 * and their delta never came within the bounded wait (the subscription missed them).
 */
export type StaleReason = 'retention_floor_breach' | 'replay_budget_exceeded' | 'head_gap_timeout';

/** A locally detected stale stream. */
export interface StaleFinding {
  /** The stream found stale. */
  stream: string;
  /** Why: a gap after the cursor, a replay above the budget, or a head that stayed ahead. */
  reason: StaleReason;
  /** The cursor the client resumed after. */
  resumeAfter: number;
  /** `first seq - 1` for a gap: the oldest cursor the server could still serve. */
  retentionFloor: number | undefined;
  /** Highest seq seen. */
  head: number | undefined;
}

/**
 * The first of the ascending `seqs` that is more than one past `after` or past the highest seq
 * before it; undefined when the rows continue `after` without a hole. Seqs of a stream are
 * contiguous (§2.5), so a hole anywhere in a message — not only before its first row — is a loss
 * nothing else would bring back. Repeats and rows at or below `after` are not holes.
 */
export function firstGap(after: number, seqs: readonly number[]): number | undefined {
  let last = after;
  for (const seq of seqs) {
    if (seq > last + 1) return seq;
    if (seq > last) last = seq;
  }
  return undefined;
}

/**
 * Check the first rows a stream delivered after resuming at `after` (§2.5, §5 rule 7): a hole
 * after the cursor or between two rows (rows pruned or lost) → `retention_floor_breach`;
 * `head - after > budget` → `replay_budget_exceeded`. `after` undefined (a cursor-less replay)
 * is never stale. SpacetimeDB knows nothing of either; only the client can tell.
 */
export function checkResume(stream: string, after: number | undefined, seqs: readonly number[], budget: number): StaleFinding | undefined {
  if (after === undefined || seqs.length === 0) return undefined;
  const gap = firstGap(after, seqs);
  const head = seqs[seqs.length - 1]!;
  if (gap !== undefined) return { stream, reason: 'retention_floor_breach', resumeAfter: after, retentionFloor: gap - 1, head };
  if (head - after > budget) return { stream, reason: 'replay_budget_exceeded', resumeAfter: after, retentionFloor: undefined, head };
  return undefined;
}

/**
 * The logical `stale_cursor` error (SPACETIME_PROTOCOL §3 `Error` with `stale_cursor_recovery`) in the
 * core's {@link SyncErrorPayload} shape, so the core's ordinary recovery runs: snapshot bootstrap,
 * then a resubscribe from the snapshot head. `raw` carries both vocabularies for diagnostics.
 */
export function staleCursorError(findings: readonly StaleFinding[]): SyncErrorPayload {
  const staleTopics: StaleTopic[] = findings.map((f) => ({
    topic: f.stream,
    reason: f.reason,
    resumeAfter: f.resumeAfter,
    retentionFloor: f.retentionFloor,
    headWatermark: f.head,
  }));
  const raw: JsonObject = {
    code: ErrorCodes.STALE_CURSOR,
    message: 'detected by the client: the stream cannot be resumed from its cursor',
    full_resync_required: true,
    stale_cursor_recovery: findings.map((f) => ({
      stream_id: f.stream,
      requested_watermark: f.resumeAfter,
      retention_floor: f.retentionFloor ?? null,
      head_watermark: f.head ?? null,
      reason_code: f.reason,
    })),
  };
  return {
    code: ErrorCodes.STALE_CURSOR,
    message: raw['message'] as string,
    fullResyncRequired: true,
    staleTopics,
    snapshotHeads: undefined,
    topic: undefined,
    action: undefined,
    retryAfterMs: undefined,
    forbiddenTopics: [],
    raw,
  };
}

/** A non-stale error payload in the core's shape (`bad_subscription` for a refused query…). */
export function plainError(code: string, message: string, raw: JsonObject): SyncErrorPayload {
  return { code, message, fullResyncRequired: false, staleTopics: [], snapshotHeads: undefined, topic: undefined, action: undefined, retryAfterMs: undefined, forbiddenTopics: [], raw };
}
