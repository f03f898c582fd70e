import { ErrorCodes } from '../../errors/codes.js';
import { ProtocolError } from '../../errors/protocol-error.js';
import { quote } from '../validate.js';
import { TransportError } from '../../errors/transport-error.js';
import type { LaneSink } from '../lane.js';
import { HeadGaps } from './head-gaps.js';
import { OneOffQueries } from './one-off-queries.js';
import { decodeStreamHeadRow } from './rows.js';
import { headQuery, sqlString } from './sql.js';
import type { StaleFinding } from './stale-detect.js';

/**
 * The `stream_head` rows of a `OneOffQueryResponse` as `{stream: head_seq}`, keeping only streams
 * `wanted` accepts (heartbeat hints: never cursors). A bad row refuses the whole answer.
 */
export function headsOf(tables: ReadonlyArray<{ table_name: string; rows: string[] }>, headTable: string, wanted: (stream: string) => boolean): { ok: true; heads: Record<string, number> } | { ok: false; error: ProtocolError } {
  const heads: Record<string, number> = {};
  for (const table of tables) {
    if (table.table_name !== headTable) continue;
    for (const text of table.rows) {
      const row = decodeStreamHeadRow(text, 'OneOffQueryResponse');
      if (!row.ok) return row;
      // defineProperty: a stream id is server data and must not reach a prototype setter.
      if (wanted(row.value.stream)) Object.defineProperty(heads, row.value.stream, { value: row.value.head, enumerable: true, writable: true, configurable: true });
    }
  }
  return { ok: true, heads };
}

/** What {@link HeadProbe} needs from its session. */
export interface HeadProbeHost {
  sink: LaneSink;
  transmit(text: string): void;
  /** The watermark a live stream's rows continue from (applied, else the subscribe cursor); undefined when not live or cursor-less. */
  expected(stream: string): number | undefined;
  /** The stream cannot be continued from its watermark: drop its set and report it stale. */
  stale(finding: StaleFinding): void;
}

/** Settings of {@link HeadProbe} (defaults in `SpacetimeLaneOptions`). */
export interface HeadProbeSettings {
  headTable: string;
  table: string;
  replayBudget(stream: string): number;
  /** How long a head ahead of the watermark may wait for its delta, ms. */
  headGapMs: number;
  /** How long a one-off query may wait for its reply, ms. */
  queryTimeoutMs: number;
}

/**
 * The `stream_head` probe used as evidence, not only as a hint (SPACETIME_PROTOCOL §2.5, §5 rule 7).
 * A head ahead of the watermark by more than the replay budget is stale at once. Otherwise one more
 * one-off query asks whether `sync_event` still holds the next row: if not, the cursor is below the
 * retention floor and the stream is stale at once; if it does, the delta gets a bounded wait
 * ({@link HeadGaps}) and is reported stale when it never comes. A stale stream recovers exactly as a
 * gap seen in rows does (snapshot bootstrap, then a resubscribe from the snapshot head).
 */
export class HeadProbe {
  private readonly queries: OneOffQueries;
  private readonly gaps: HeadGaps;
  /** Streams whose head was seen below their cursor on this connection (reported once each). */
  private readonly reportedBehind = new Set<string>();

  constructor(
    private readonly settings: HeadProbeSettings,
    private readonly host: HeadProbeHost,
  ) {
    this.queries = new OneOffQueries(host.transmit, settings.queryTimeoutMs, (id) => {
      host.sink.notice?.({ type: 'reply_timeout', kind: 'one_off', id });
      host.sink.report?.(new TransportError(ErrorCodes.REPLY_TIMEOUT, `no reply to one-off query ${id} within ${settings.queryTimeoutMs} ms`, { retryable: true, details: { messageId: id } }));
    });
    this.gaps = new HeadGaps(settings.headGapMs, (stream, head) => this.expired(stream, head));
  }

  /** Ask for the heads of `streams` (the keep-alive, and once after each subscribe reply). */
  probe(streams: string[]): void {
    this.queries.send(headQuery(this.settings.headTable, streams), { kind: 'heads', streams });
  }

  /** One `OneOffQueryResponse`: taken only when its `message_id` names a pending query of ours. */
  answer(reply: { message_id: string; error: string | undefined; tables: ReadonlyArray<{ table_name: string; rows: string[] }> }): void {
    const purpose = this.queries.take(reply.message_id);
    if (purpose === undefined) return this.host.sink.notice?.({ type: 'unmatched_reply', kind: 'one_off', id: reply.message_id.slice(0, 40) });
    if (reply.error !== undefined) return; // diagnostic only: e.g. a table this module does not have
    if (purpose.kind === 'floor') return this.floorAnswer(purpose, reply.tables);
    const asked = new Set(purpose.streams);
    const probe = headsOf(reply.tables, this.settings.headTable, (s) => asked.has(s));
    if (!probe.ok) return this.host.sink.protocolError(probe.error);
    this.host.sink.heartbeat(probe.heads);
    const behind: string[] = [];
    for (const [stream, head] of Object.entries(probe.heads)) {
      const expected = this.host.expected(stream);
      if (expected === undefined) continue; // dropped meanwhile, or a cursor-less replay (never judged stale)
      if (head <= expected) {
        if (head < expected) this.behindCursor(stream, head, expected);
        this.close(stream, head, expected);
        continue;
      }
      behind.push(stream);
      if (head - expected > this.settings.replayBudget(stream)) {
        this.stale({ stream, reason: 'replay_budget_exceeded', resumeAfter: expected, retentionFloor: undefined, head });
      } else if (this.gaps.watch(stream, head)) {
        this.host.sink.notice?.({ type: 'head_gap', stream, head, applied: expected, outcome: 'waiting' });
        const seq = expected + 1;
        this.queries.send(`SELECT * FROM ${this.settings.table} WHERE stream_id = ${sqlString(stream)} AND seq = ${seq}`, { kind: 'floor', stream, seq, head });
      }
    }
    this.host.sink.notice?.({ type: 'head_probe', heads: probe.heads, behind });
  }

  /** Stop watching `stream` (its set was dropped). */
  forget(stream: string): void {
    this.gaps.forget(stream);
    this.reportedBehind.delete(stream);
  }

  dispose(): void {
    this.queries.dispose();
    this.gaps.dispose();
  }

  private floorAnswer(purpose: { stream: string; seq: number; head: number }, tables: ReadonlyArray<{ table_name: string; rows: string[] }>): void {
    const expected = this.host.expected(purpose.stream);
    if (expected === undefined || expected >= purpose.seq || this.gaps.head(purpose.stream) === undefined) return; // caught up or dropped meanwhile
    if (tables.some((t) => t.table_name === this.settings.table && t.rows.length > 0)) return; // the row exists: its delta gets the bounded wait
    this.stale({ stream: purpose.stream, reason: 'retention_floor_breach', resumeAfter: expected, retentionFloor: undefined, head: purpose.head });
  }

  /**
   * The server's head below the local cursor: the database was reset or replaced (its seqs start
   * again), and `seq > cursor` will never deliver what it now numbers below. The Spacetime form of
   * `cursor_ahead_of_head` (SPEC.md A10): reported once per stream and connection, nothing rewound.
   */
  private behindCursor(stream: string, head: number, cursor: number): void {
    if (this.reportedBehind.has(stream)) return;
    this.reportedBehind.add(stream);
    this.host.sink.report?.(new ProtocolError(ErrorCodes.CURSOR_AHEAD_OF_HEAD, `server head ${head} of ${quote(stream)} is below the local cursor ${cursor}`, { topic: stream, details: { head, cursor } }));
  }

  private expired(stream: string, head: number): void {
    const expected = this.host.expected(stream);
    if (expected === undefined) return;
    if (expected >= head) return this.host.sink.notice?.({ type: 'head_gap', stream, head, applied: expected, outcome: 'closed' });
    this.stale({ stream, reason: 'head_gap_timeout', resumeAfter: expected, retentionFloor: undefined, head });
  }

  private close(stream: string, head: number, expected: number): void {
    if (this.gaps.head(stream) === undefined) return;
    this.gaps.forget(stream);
    this.host.sink.notice?.({ type: 'head_gap', stream, head, applied: expected, outcome: 'closed' });
  }

  private stale(finding: StaleFinding): void {
    this.gaps.forget(finding.stream);
    this.host.sink.notice?.({ type: 'head_gap', stream: finding.stream, head: finding.head ?? 0, applied: finding.resumeAfter, outcome: 'stale' });
    this.host.stale(finding);
  }
}
