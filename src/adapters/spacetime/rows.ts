import { ErrorCodes } from '../../errors/codes.js';
import { ProtocolError } from '../../errors/protocol-error.js';
import { isJsonObject, safeJsonParse, type JsonObject, type JsonValue } from '../../util/json.js';
import { quote } from '../validate.js';
import { StreamHeadRowSchema, SyncEventRowSchema } from './schemas.js';
import type * as z from 'zod/mini';

/** Column order of the deployed `sync_event` table (SPACETIME_PROTOCOL §2.1): array rows use it. */
export const SYNC_EVENT_COLUMNS: readonly string[] = Object.freeze([
  'idempotency_key',
  'stream_id',
  'seq',
  'payload_hash',
  'payload_json',
  'committed_at_unix_ms',
  'durable_offset',
  'confirmed_read',
]);

/** Column order of `stream_head`. */
export const STREAM_HEAD_COLUMNS: readonly string[] = Object.freeze(['stream_id', 'head_seq', 'updated_at_unix_ms']);

/** One `sync_event` row, fully decoded (`payload_json` parsed a third time, §1.3 rule 7). */
export interface SyncEventRow {
  /** The row's `idempotency_key`. */
  idempotencyKey: string;
  /** The row's stream: the client's topic. */
  streamId: string;
  /** Per-stream sequence: the watermark. */
  seq: number;
  /** `payload_hash` as stored, or null when empty. */
  payloadHash: string | null;
  /** The event's body, parsed from `payload_json`. */
  payload: JsonValue;
  /** The row's `confirmed_read`, when the row has that column. */
  confirmedRead: boolean | undefined;
  /** `committed_at_unix_ms`, when the row has it (the apply-latency metric uses it). */
  committedAtMs: number | undefined;
}

/** Result of a row decode: data, never an exception. */
export type RowResult<T> = { ok: true; value: T } | { ok: false; error: ProtocolError };

function refuse(code: typeof ErrorCodes.INVALID_ROW | typeof ErrorCodes.FORBIDDEN_KEY | typeof ErrorCodes.JSON_TOO_DEEP, context: string, why: string): { ok: false; error: ProtocolError } {
  return { ok: false, error: new ProtocolError(code, `${context}: ${why}`, { details: { context } }) };
}

/**
 * Parse one row string into an object keyed by column name. A row is either an object keyed by
 * column (rows read from stored tables) or a positional array in declaration order (rows from a
 * transaction's delta); both are accepted because which one a server sends is inferred, not
 * observed (§1.3 rule 7 [I]). An array must have exactly `columns.length` elements.
 */
export function rowObject(text: string, columns: readonly string[], context: string): RowResult<JsonObject> {
  const parsed = safeJsonParse(text);
  if (!parsed.ok) return refuse(parsed.reason === 'syntax' ? ErrorCodes.INVALID_ROW : parsed.reason, context, parsed.reason !== 'syntax' ? parsed.message : `row is not JSON (${quote(parsed.message, 120)})`);
  const value = parsed.value;
  if (isJsonObject(value)) return { ok: true, value };
  if (!Array.isArray(value)) return refuse(ErrorCodes.INVALID_ROW, context, 'row is neither an object nor an array');
  if (value.length !== columns.length) return refuse(ErrorCodes.INVALID_ROW, context, `array row has ${value.length} columns, expected ${columns.length}`);
  const out: JsonObject = {};
  columns.forEach((name, i) => Object.defineProperty(out, name, { value: value[i], enumerable: true, writable: true, configurable: true }));
  return { ok: true, value: out };
}

function validateRow<S extends z.ZodMiniType>(schema: S, row: JsonObject, context: string): RowResult<z.output<S>> {
  const result = schema.safeParse(row);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join('.') ?? '';
  return refuse(ErrorCodes.INVALID_ROW, context, `invalid column ${field === '' ? '(row)' : field}: ${issue?.message ?? 'does not match'}`);
}

/** Decode a `sync_event` row string: row JSON → columns → `payload_json` JSON. */
export function decodeSyncEventRow(text: string, columns: readonly string[], context: string): RowResult<SyncEventRow> {
  const obj = rowObject(text, columns, context);
  if (!obj.ok) return obj;
  const { seq, stream_id: stream } = obj.value;
  // Past 2^53 seqs stop being exact (2^53 + 1 reads as 2^53), and every later row is past it too:
  // refusing each as invalid_row would refuse the stream's every message forever. Its own code
  // lets the session fail the stream once and skip its rows (docs/spacetime-lane.md).
  if (Number.isInteger(seq) && !Number.isSafeInteger(seq) && (seq as number) > 0 && typeof stream === 'string') {
    return { ok: false, error: new ProtocolError(ErrorCodes.SEQ_OUT_OF_RANGE, `${context}: seq ${String(seq)} of ${quote(stream)} is at or above 2^53`, { topic: stream, details: { context } }) };
  }
  const row = validateRow(SyncEventRowSchema, obj.value, context);
  if (!row.ok) return row;
  const r = row.value;
  const payload = safeJsonParse(r.payload_json);
  if (!payload.ok) {
    const code = payload.reason === 'syntax' ? ErrorCodes.INVALID_ROW : payload.reason;
    return refuse(code, context, `payload_json of ${quote(r.stream_id)} seq ${r.seq} ${payload.reason === 'syntax' ? 'is not JSON' : `refused: ${payload.message}`}`);
  }
  return {
    ok: true,
    value: {
      idempotencyKey: r.idempotency_key,
      streamId: r.stream_id,
      seq: r.seq,
      payloadHash: r.payload_hash === '' ? null : r.payload_hash,
      payload: payload.value,
      confirmedRead: r.confirmed_read,
      committedAtMs: r.committed_at_unix_ms,
    },
  };
}

/** Decode a `stream_head` row string to `{stream, head}`. */
export function decodeStreamHeadRow(text: string, context: string): RowResult<{ stream: string; head: number }> {
  const obj = rowObject(text, STREAM_HEAD_COLUMNS, context);
  if (!obj.ok) return obj;
  const row = validateRow(StreamHeadRowSchema, obj.value, context);
  return row.ok ? { ok: true, value: { stream: row.value.stream_id, head: row.value.head_seq } } : row;
}
