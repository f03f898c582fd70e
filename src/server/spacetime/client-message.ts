import { isJsonObject, safeJsonParse, type JsonValue } from '../../util/json.js';

/** A decoded client message (SPACETIME_PROTOCOL §1.4). */
export type ClientMessage =
  | { type: 'Subscribe'; queries: string[]; requestId: number }
  | { type: 'SubscribeSingle'; query: string; requestId: number; queryId: number }
  | { type: 'SubscribeMulti'; queries: string[]; requestId: number; queryId: number }
  | { type: 'Unsubscribe' | 'UnsubscribeMulti'; requestId: number; queryId: number }
  | { type: 'OneOffQuery'; messageId: string; query: string }
  | { type: 'CallReducer' | 'CallProcedure'; name: string; args: string; requestId: number; flags: number };

/** Result of {@link decodeClientMessage}: the error text becomes the 1011 close reason. */
export type ClientMessageResult = { ok: true; msg: ClientMessage } | { ok: false; error: string };

const FIELDS: Readonly<Record<string, readonly string[]>> = {
  Subscribe: ['query_strings', 'request_id'],
  SubscribeSingle: ['query', 'request_id', 'query_id'],
  SubscribeMulti: ['query_strings', 'request_id', 'query_id'],
  Unsubscribe: ['request_id', 'query_id'],
  UnsubscribeMulti: ['request_id', 'query_id'],
  OneOffQuery: ['message_id', 'query_string'],
  CallReducer: ['reducer', 'args', 'request_id', 'flags'],
  CallProcedure: ['procedure', 'args', 'request_id', 'flags'],
};

class DecodeError extends Error {}

function u32(v: JsonValue | undefined, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new DecodeError(`invalid u32 for ${field}`);
  return v;
}

function str(v: JsonValue | undefined, field: string): string {
  if (typeof v !== 'string') throw new DecodeError(`invalid string for ${field}`);
  return v;
}

/** `QueryId` is a struct: `{"id": n}` or `[n]`, never a bare number (§1.3 rule 3, §2.4 a). */
function queryId(v: JsonValue | undefined): number {
  if (Array.isArray(v) && v.length === 1) return u32(v[0], 'query_id.id');
  if (isJsonObject(v) && Object.keys(v).length === 1 && 'id' in v) return u32(v['id'], 'query_id.id');
  throw new DecodeError('invalid type for query_id: expected struct QueryId');
}

/** `message_id` is a byte array: lowercase/uppercase hex, or integers 0–255 (§1.3 rule 5). */
function bytes(v: JsonValue | undefined): string {
  if (typeof v === 'string' && /^(?:[0-9a-fA-F]{2})*$/.test(v)) return v.toLowerCase();
  if (Array.isArray(v) && v.every((b) => typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= 255)) {
    return (v as number[]).map((b) => b.toString(16).padStart(2, '0')).join('');
  }
  throw new DecodeError('invalid byte array for message_id');
}

/**
 * Decode one client frame as strictly as the real server (§1.3 rule 3): unknown, missing or
 * duplicate fields are errors, and an error closes the socket with 1011.
 */
export function decodeClientMessage(text: string): ClientMessageResult {
  const parsed = safeJsonParse(text);
  if (!parsed.ok) return { ok: false, error: `invalid JSON: ${parsed.message}`.slice(0, 120) };
  const v = parsed.value;
  if (!isJsonObject(v) || Object.keys(v).length !== 1) return { ok: false, error: 'expected one ClientMessage variant' };
  const tag = Object.keys(v)[0]!;
  const fields = FIELDS[tag];
  const body = v[tag];
  if (fields === undefined) return { ok: false, error: `unknown variant ${tag.slice(0, 40)}` };
  if (!isJsonObject(body)) return { ok: false, error: `${tag}: expected a struct` };
  const keys = Object.keys(body);
  const unknown = keys.find((k) => !fields.includes(k));
  if (unknown !== undefined) return { ok: false, error: `${tag}: unknown field ${unknown.slice(0, 40)}` };
  const missing = fields.find((f) => !keys.includes(f));
  if (missing !== undefined) return { ok: false, error: `${tag}: missing field ${missing}` };
  try {
    switch (tag) {
      case 'Subscribe':
      case 'SubscribeMulti': {
        const qs = body['query_strings'];
        if (!Array.isArray(qs)) throw new DecodeError('invalid type for query_strings');
        const queries = qs.map((q, i) => str(q, `query_strings[${i}]`));
        const requestId = u32(body['request_id'], 'request_id');
        return tag === 'Subscribe' ? { ok: true, msg: { type: tag, queries, requestId } } : { ok: true, msg: { type: tag, queries, requestId, queryId: queryId(body['query_id']) } };
      }
      case 'SubscribeSingle':
        return { ok: true, msg: { type: tag, query: str(body['query'], 'query'), requestId: u32(body['request_id'], 'request_id'), queryId: queryId(body['query_id']) } };
      case 'Unsubscribe':
      case 'UnsubscribeMulti':
        return { ok: true, msg: { type: tag, requestId: u32(body['request_id'], 'request_id'), queryId: queryId(body['query_id']) } };
      case 'OneOffQuery':
        return { ok: true, msg: { type: tag, messageId: bytes(body['message_id']), query: str(body['query_string'], 'query_string') } };
      default: {
        const name = str(body[tag === 'CallReducer' ? 'reducer' : 'procedure'], 'name');
        const flags = body['flags'];
        if (flags !== 0 && flags !== 1) throw new DecodeError('invalid value for flags: expected 0 or 1');
        return { ok: true, msg: { type: tag as 'CallReducer', name, args: str(body['args'], 'args'), requestId: u32(body['request_id'], 'request_id'), flags } };
      }
    }
  } catch (err) {
    return { ok: false, error: `${tag}: ${(err as Error).message}` };
  }
}
