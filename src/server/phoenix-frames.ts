import { isJsonObject, safeJsonParse } from '../util/json.js';
import type { JsonObject, JsonValue } from '../util/json.js';

/** The only channel topic the sync socket serves (§1.2). */
export const SYNC_TOPIC = 'sync:v1';
/** Phoenix's socket-level topic (§1.4). */
export const PHOENIX_TOPIC = 'phoenix';
/** Phoenix's answer to a message for a channel that does not exist (§1.3). */
export const UNMATCHED_TOPIC: JsonObject = Object.freeze({ reason: 'unmatched topic' }) as JsonObject;

/** A decoded V2 array frame `[join_ref, ref, topic, event, payload]` (§1.2). */
export interface InboundFrame {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  /** Non-object payloads are replaced by `{}` so handlers only ever see an object. */
  payload: JsonObject;
}

/** Outbound frame tuple. */
export type OutboundFrame = [string | null, string | null, string, string, JsonValue];

const isRef = (v: unknown): v is string | null => v === null || typeof v === 'string';

/** Decode one client frame; `undefined` for anything that is not a well-formed V2 frame (ignored, §1.2). */
export function parseInboundFrame(text: string): InboundFrame | undefined {
  const parsed = safeJsonParse(text);
  if (!parsed.ok) return undefined;
  const v = parsed.value;
  if (!Array.isArray(v) || v.length !== 5) return undefined;
  const [joinRef, ref, topic, event, payload] = v;
  if (!isRef(joinRef) || !isRef(ref) || typeof topic !== 'string' || typeof event !== 'string') return undefined;
  return { joinRef, ref, topic, event, payload: isJsonObject(payload) ? payload : {} };
}

/** `phx_reply` to request `ref`. */
export function replyFrame(joinRef: string | null, ref: string | null, topic: string, status: 'ok' | 'error', response: JsonValue): OutboundFrame {
  return [joinRef, ref, topic, 'phx_reply', { status, response }];
}

/** A server push: `ref` is always null. */
export function pushFrame(joinRef: string | null, topic: string, event: string, payload: JsonValue): OutboundFrame {
  return [joinRef, null, topic, event, payload];
}
