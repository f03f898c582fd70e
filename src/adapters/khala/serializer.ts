import { ErrorCodes } from '../../errors/codes.js';
import { ProtocolError } from '../../errors/protocol-error.js';
import { isJsonObject, safeJsonParse, type JsonObject } from '../../util/json.js';
import { quote } from '../validate.js';

/**
 * One Phoenix V2 JSON message, `[join_ref, ref, topic, event, payload]` (KHALA_PROTOCOL §1.2).
 * Refs are opaque strings; `null` on server pushes (ref) and on legacy joins (join_ref).
 */
export interface PhoenixMessage {
  /** Ref of the `phx_join` that opened the channel instance, or null. */
  joinRef: string | null;
  /** Per-socket request id; null on server pushes. */
  ref: string | null;
  /** `sync:v1` for Khala traffic, `phoenix` for socket heartbeats. */
  topic: string;
  event: string;
  /** Always a JSON object on the wire. */
  payload: JsonObject;
}

/** Result of {@link decodePhoenixFrame}: data, never an exception. */
export type PhoenixDecodeResult = { ok: true; msg: PhoenixMessage } | { ok: false; error: ProtocolError };

/** Encode a message as a Phoenix V2 array frame (`vsn=2.0.0`). */
export function encodePhoenixFrame(msg: PhoenixMessage): string {
  return JSON.stringify([msg.joinRef, msg.ref, msg.topic, msg.event, msg.payload]);
}

function malformed(why: string): PhoenixDecodeResult {
  return { ok: false, error: new ProtocolError(ErrorCodes.MALFORMED_FRAME, `malformed Phoenix frame: ${why}`) };
}

function isRef(value: unknown): value is string | null {
  return value === null || typeof value === 'string';
}

/**
 * Decode one inbound text frame. Never throws: a frame that is not JSON, not a five-element array,
 * has a non-string topic/event, a non-null non-string ref or a non-object payload yields
 * `malformed_frame`; a `__proto__`/`constructor`/`prototype` key anywhere yields `forbidden_key`.
 * Per §1.2 such frames are skipped, not fatal: the caller reports and carries on.
 */
export function decodePhoenixFrame(text: string): PhoenixDecodeResult {
  const parsed = safeJsonParse(text);
  if (!parsed.ok) {
    if (parsed.reason !== 'syntax') {
      return { ok: false, error: new ProtocolError(parsed.reason, `Phoenix frame refused: ${parsed.message}`) };
    }
    return malformed(`not JSON (${quote(parsed.message, 120)})`);
  }
  const value = parsed.value;
  if (!Array.isArray(value)) return malformed('not an array');
  if (value.length !== 5) return malformed(`${value.length} elements, not 5`);
  // Indexed reads: a destructuring pattern walks the array iterator (an object per frame) until optimized.
  const joinRef = value[0];
  const ref = value[1];
  const topic = value[2];
  const event = value[3];
  const payload = value[4];
  if (!isRef(joinRef)) return malformed('join_ref is not a string or null');
  if (!isRef(ref)) return malformed('ref is not a string or null');
  if (typeof topic !== 'string') return malformed('topic is not a string');
  if (typeof event !== 'string') return malformed('event is not a string');
  if (!isJsonObject(payload)) return malformed(`payload of "${quote(event)}" is not an object`);
  return { ok: true, msg: { joinRef, ref, topic, event, payload } };
}
