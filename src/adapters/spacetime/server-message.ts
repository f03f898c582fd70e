import { ErrorCodes } from '../../errors/codes.js';
import { ProtocolError } from '../../errors/protocol-error.js';
import { isJsonObject, safeJsonParse, type JsonValue } from '../../util/json.js';
import { eachMember, memberAt, uintAt } from '../../util/json-peek.js';
import { quote } from '../validate.js';

/** Every v1 `ServerMessage` tag (SPACETIME_PROTOCOL §1.5). */
export const SERVER_MESSAGE_TAGS: ReadonlySet<string> = new Set([
  'IdentityToken',
  'InitialSubscription',
  'SubscribeApplied',
  'SubscribeMultiApplied',
  'UnsubscribeApplied',
  'UnsubscribeMultiApplied',
  'SubscriptionError',
  'TransactionUpdate',
  'TransactionUpdateLight',
  'OneOffQueryResponse',
  'ProcedureResult',
]);

/** Result of {@link decodeEnvelope}: data, never an exception. */
export type EnvelopeResult = { ok: true; tag: string; body: JsonValue } | { ok: false; error: ProtocolError };

/**
 * One inbound text frame → `{tag, body}`. A v1 server message is an externally tagged enum: one
 * JSON object with exactly one key (§1.3 rule 1). Refusals: not JSON or not a one-key object
 * (`malformed_frame`), a `__proto__`/`constructor`/`prototype` key anywhere (`forbidden_key`), a
 * tag this client does not know (`unknown_message`, so a newer server's extra message is skipped).
 */
export function decodeEnvelope(text: string): EnvelopeResult {
  const parsed = safeJsonParse(text);
  if (!parsed.ok) {
    const code = parsed.reason === 'syntax' ? ErrorCodes.MALFORMED_FRAME : parsed.reason;
    const why = parsed.reason !== 'syntax' ? parsed.message : `not JSON (${quote(parsed.message, 120)})`;
    return { ok: false, error: new ProtocolError(code, `spacetime message refused: ${why}`) };
  }
  const value = parsed.value;
  const keys = isJsonObject(value) ? Object.keys(value) : [];
  if (!isJsonObject(value) || keys.length !== 1) {
    return { ok: false, error: new ProtocolError(ErrorCodes.MALFORMED_FRAME, 'spacetime message refused: expected an object with exactly one message tag') };
  }
  const tag = keys[0]!;
  if (!SERVER_MESSAGE_TAGS.has(tag)) {
    const safe = quote(tag, 60);
    return { ok: false, error: new ProtocolError(ErrorCodes.UNKNOWN_MESSAGE, `unknown spacetime message "${safe}" ignored`, { details: { tag: safe } }) };
  }
  return { ok: true, tag, body: value[tag]! };
}

/**
 * The `__connection_id__` digits exactly as sent: a u128 rounds in `JSON.parse` above 2^53 (§1.3
 * rule 6), so it is read from the frame text. `fallback` (the parsed number) serves when the text
 * does not have the expected form.
 */
export function rawConnectionId(text: string, fallback: number): string {
  const m = /"__connection_id__"\s*:\s*(\d{1,40})\s*[,}]/.exec(text);
  return m?.[1] ?? String(fallback);
}

/** The single tag and body of an enum value such as `TransactionUpdate.status`, or undefined. */
export function enumVariant(value: unknown): { tag: string; body: unknown } | undefined {
  if (!isJsonObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  return { tag: keys[0]!, body: value[keys[0]!] };
}

const REPLY_TAG = /^(SubscribeMultiApplied|SubscribeApplied|InitialSubscription|UnsubscribeMultiApplied|UnsubscribeApplied)$/;

/**
 * For a frame too large to parse: whether it is a (un)subscribe reply and its `request_id`, read as
 * JSON.parse would (a key given twice means its last value, so a second `request_id` cannot make the
 * report or the recovery name another set than the message does). Undefined otherwise.
 */
export function peekReply(text: string): { unsubscribe: boolean; requestId: number } | undefined {
  const tags = new Set<string>();
  let body = -1;
  if (!eachMember(text, 0, (tag, at) => void (tags.add(tag), (body = at))) || tags.size !== 1) return undefined;
  const tag = [...tags][0]!;
  const idAt = REPLY_TAG.test(tag) ? memberAt(text, body, 'request_id') : -1;
  const requestId = idAt < 0 ? undefined : uintAt(text, idAt);
  return requestId === undefined ? undefined : { unsubscribe: tag.startsWith('Unsubscribe'), requestId };
}
