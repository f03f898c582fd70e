import { ErrorCodes } from '../../errors/codes.js';
import { KhalaSyncError } from '../../errors/khala-sync-error.js';

/**
 * SQL text for Spacetime subscriptions (SPACETIME_PROTOCOL §1.6 "SQL subset", §5 rule 4). Only what
 * the subscription parser accepts: `SELECT * FROM t WHERE …` with literals; no `ORDER BY`/`LIMIT`
 * (the parser refuses them), so the client sorts rows itself.
 */

/**
 * The cursor of `topic` in `resumeAfter`, or undefined. Throws `invalid_option` for one that is not
 * a non-negative safe integer: it goes into SQL, and the core never produces one.
 */
export function cursorOf(resumeAfter: Record<string, number>, topic: string): number | undefined {
  const c = Object.prototype.hasOwnProperty.call(resumeAfter, topic) ? resumeAfter[topic] : undefined;
  if (c !== undefined && (!Number.isSafeInteger(c) || c < 0)) {
    throw new KhalaSyncError('client', ErrorCodes.INVALID_OPTION, `resume cursor for "${topic}" must be a non-negative safe integer`, { topic });
  }
  return c;
}

/** A single-quoted SQL string literal; a `'` inside is doubled, which is the only escape the grammar has. */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** An identifier we put in SQL ourselves must be a plain one: no quoting rules to get wrong. */
export function isPlainIdentifier(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(name);
}

/**
 * `SELECT * FROM <table> WHERE stream_id = '<stream>' [AND seq > <after>]`. `after` undefined means
 * "everything the table holds for the stream" (a cursor-less replay, SPEC.md R5).
 */
export function streamQuery(table: string, stream: string, after: number | undefined): string {
  const base = `SELECT * FROM ${table} WHERE stream_id = ${sqlString(stream)}`;
  return after === undefined ? base : `${base} AND seq > ${after}`;
}

/** `SELECT * FROM <headTable> WHERE stream_id = 'a' OR stream_id = 'b'` for the heartbeat's head probe. */
export function headQuery(headTable: string, streams: string[]): string {
  const where = streams.length === 0 ? `stream_id = ''` : streams.map((s) => `stream_id = ${sqlString(s)}`).join(' OR ');
  return `SELECT * FROM ${headTable} WHERE ${where}`;
}
