import { ErrorCodes } from '../../errors/codes.js';
import type { LaneSink } from '../lane.js';
import { plainError, staleCursorError, type StaleFinding } from './stale-detect.js';

/** One logical `subscribe` call of the core: several wire query sets (one per stream), one reply. */
export interface RequestGroup {
  /** The id the core correlates the reply with. */
  requestId: number;
  /** Members still waiting for their reply. */
  remaining: number;
  ok: string[];
  stale: StaleFinding[];
  refused: Array<{ stream: string; error: string }>;
}

/** The query set of one stream on a connection; while its reply is awaited, a member of `group`. */
export interface StreamSet {
  stream: string;
  queryId: number;
  wireRequestId: number;
  after: number | undefined;
  state: 'pending' | 'live';
  group: RequestGroup | undefined;
}

/** A new group for the logical request `requestId`. */
export function newGroup(requestId: number): RequestGroup {
  return { requestId, remaining: 0, ok: [], stale: [], refused: [] };
}

/** A pending query set for `stream` (resuming after `after`), counted as a member of `group`. */
export function joinGroup(group: RequestGroup, stream: string, after: number | undefined, queryId: number, wireRequestId: number): StreamSet {
  group.remaining++;
  return { stream, queryId, wireRequestId, after, state: 'pending', group };
}

/**
 * Report a complete group to the core. Fresh members come first (`subscribed`), then stale ones
 * (`subscribeFailed` with `stale_cursor`, so the core's loop guard R6 sees the request id), then
 * refused ones (`bad_subscription`). Reporting the fresh ones first keeps the core from
 * resubscribing them after a partial failure.
 */
export function reportGroup(sink: LaneSink, group: RequestGroup): void {
  if (group.ok.length > 0) sink.subscribed(group.requestId, group.ok, {});
  if (group.stale.length > 0) {
    sink.subscribeFailed(
      group.requestId,
      group.stale.map((f) => f.stream),
      staleCursorError(group.stale),
    );
  }
  if (group.refused.length > 0) {
    const streams = group.refused.map((r) => r.stream);
    const error = plainError(ErrorCodes.BAD_SUBSCRIPTION, `the server refused the subscription query of ${streams.join(', ')}`, {
      code: ErrorCodes.BAD_SUBSCRIPTION,
      errors: group.refused.map((r) => ({ stream_id: r.stream, error: r.error })),
    });
    sink.subscribeFailed(group.requestId, streams, error);
  }
}

/** Record one member's outcome (once: the set leaves its group); when the group is complete, report it to the core. */
export function settleMember(sink: LaneSink, set: StreamSet, record: (group: RequestGroup) => void): void {
  const group = set.group;
  if (group === undefined) return;
  set.group = undefined;
  record(group);
  if (--group.remaining > 0) return;
  reportGroup(sink, group);
}
