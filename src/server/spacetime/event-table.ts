import { payloadHashText } from '../../hash/index.js';
import type { JsonValue } from '../../util/json.js';
import type { SqlValue } from './sql-subset.js';

/** One `sync_event` row (SPACETIME_PROTOCOL §2.1), column names as on the wire. */
export interface SyncEventRecord {
  /** The row's unique key; default `stream:<stream>:seq:<seq>`. */
  idempotency_key: string;
  /** The stream (the client's topic) the row belongs to. */
  stream_id: string;
  /** Per-stream sequence, from 1, strictly increasing: the client's watermark. */
  seq: number;
  /** `sha256:<hex>` of the payload's canonical JSON, or what `AppendInput.payloadHash` forced. */
  payload_hash: string;
  /** The payload as JSON text. */
  payload_json: string;
  /** When the transaction committed, ms since the epoch. */
  committed_at_unix_ms: number;
  /** The durable offset of the commit; the reference server uses the seq. */
  durable_offset: number;
  /** Whether the commit is confirmed durable; always true here. */
  confirmed_read: boolean;
}

/** Declaration order of `sync_event`: positional rows follow it. */
export const SYNC_EVENT_COLUMN_ORDER = ['idempotency_key', 'stream_id', 'seq', 'payload_hash', 'payload_json', 'committed_at_unix_ms', 'durable_offset', 'confirmed_read'] as const;
/** Declaration order of `stream_head`. */
export const STREAM_HEAD_COLUMN_ORDER = ['stream_id', 'head_seq', 'updated_at_unix_ms'] as const;

/** What to append: a body, optionally with its idempotency key and a hash override (for fault tests). */
export interface AppendInput {
  /** The event's body. */
  payload: JsonValue;
  /** The row's `idempotency_key`. Default `stream:<stream>:seq:<seq>`. */
  idempotencyKey?: string;
  /** Stored instead of the computed `sha256:<hex>` (a wrong hash, or `''` for none). */
  payloadHash?: string;
}

/** A row as a column map (for SQL evaluation). */
export type RowMap = Readonly<Record<string, SqlValue>>;

/** `stream_head` row of a stream. */
export function headRow(stream: string, head: number, updatedAt: number): RowMap {
  return { stream_id: stream, head_seq: head, updated_at_unix_ms: updatedAt };
}

/**
 * One stream of the `sync_event` table: rows in seq order, a retention floor below which rows are
 * deleted from the table, and the full history (every row ever appended) that the HTTP snapshot
 * serves — the snapshot is the "other place" a client bootstraps from once the table lost rows.
 */
export class StreamJournal {
  private readonly retained: SyncEventRecord[] = [];
  private readonly history: SyncEventRecord[] = [];
  private readonly keys = new Map<string, number>();
  head = 0;
  updatedAt = 0;

  constructor(readonly stream: string) {}

  /** Rows still in the table, ascending. */
  rows(): readonly SyncEventRecord[] {
    return this.retained;
  }

  /** Every row ever appended with `seq <= upTo`, ascending (a snapshot generation). */
  historyUpTo(upTo: number): SyncEventRecord[] {
    return this.history.filter((r) => r.seq <= upTo);
  }

  /** Lowest retained seq, or undefined. */
  get oldest(): number | undefined {
    return this.retained[0]?.seq;
  }

  /**
   * `append_sync_event` semantics (§2.1): an existing idempotency key appends nothing; otherwise
   * `seq = head + 1`. Returns the rows actually inserted.
   */
  append(inputs: readonly AppendInput[], now: number): SyncEventRecord[] {
    const inserted: SyncEventRecord[] = [];
    for (const input of inputs) {
      const seq = this.head + 1;
      const key = input.idempotencyKey ?? `stream:${this.stream}:seq:${seq}`;
      if (this.keys.has(key)) continue;
      const payload = structuredClone(input.payload);
      const row: SyncEventRecord = {
        idempotency_key: key,
        stream_id: this.stream,
        seq,
        payload_hash: input.payloadHash ?? payloadHashText(payload),
        payload_json: JSON.stringify(payload),
        committed_at_unix_ms: now,
        durable_offset: seq,
        confirmed_read: true,
      };
      this.head = seq;
      this.updatedAt = now;
      this.keys.set(key, seq);
      this.retained.push(row);
      this.history.push(row);
      inserted.push(row);
    }
    return inserted;
  }

  /** Delete retained rows with `seq <= keepAfter`; returns them (subscribers see them as deletes). */
  prune(keepAfter: number): SyncEventRecord[] {
    let n = 0;
    while (n < this.retained.length && this.retained[n]!.seq <= keepAfter) n++;
    return this.retained.splice(0, n);
  }
}

/** The `sync_event` table: one {@link StreamJournal} per stream, created on first use. */
export class EventTable {
  private readonly streams = new Map<string, StreamJournal>();

  stream(stream: string): StreamJournal {
    let s = this.streams.get(stream);
    if (s === undefined) this.streams.set(stream, (s = new StreamJournal(stream)));
    return s;
  }

  /** Every stream that has a journal. */
  all(): StreamJournal[] {
    return [...this.streams.values()];
  }

  /** Whether the stream was ever written. */
  has(stream: string): boolean {
    return this.streams.has(stream);
  }
}

/** A row as its column map. */
export function rowMap(row: SyncEventRecord): RowMap {
  return row as unknown as RowMap;
}

/** Object-form row text (rows read from stored tables). */
export function objectRowText(row: RowMap, order: readonly string[]): string {
  const out: Record<string, SqlValue> = {};
  for (const c of order) out[c] = row[c]!;
  return JSON.stringify(out);
}

/** Positional row text, in declaration order (rows from a transaction's delta). */
export function arrayRowText(row: RowMap, order: readonly string[]): string {
  return JSON.stringify(order.map((c) => row[c]!));
}
