import { ErrorCodes } from '../../errors/codes.js';
import { ProtocolError } from '../../errors/protocol-error.js';
import type { SyncBatch, SyncErrorPayload } from '../../model/types.js';
import { isJsonObject, type JsonObject } from '../../util/json.js';
import { normalizeServerError } from './error-normalize.js';
import { decodeBase64Json } from './payload-bytes.js';
import { frameVersion, heartbeat, isFrameKind, khalaFrame, type KhalaFrameEnvelope } from './checks.js';
import { decodeUpdateBatch } from './update-batch.js';
import { quote, validateShape } from '../validate.js';
import { watermarkMap } from './watermark-map.js';

/** `KhalaFrame.schema_version` values this decoder speaks. Default: only 1. */
export const SUPPORTED_FRAME_SCHEMA_VERSIONS: ReadonlySet<number> = new Set([1]);

/** The frame kinds this client acts on. */
export type FrameKind = 'update_batch' | 'error' | 'heartbeat';

// The v1 proto enum names, their Spacetime-era renames (legacy-sync-frame-v1.json) and, because
// proto3 JSON parsers accept enum numbers too, the numbers. SUBSCRIBED (1) and UNSPECIFIED (0) map
// to nothing and are ignored like any unknown kind.
// One lookup of the whole name rather than a prefix regex and a replace on every frame (latency
// pass, docs/benchmarks.md).
const KIND_BY_NAME: ReadonlyMap<string, FrameKind> = new Map(
  ['KHALA', 'SPACETIME'].flatMap((lane) => [
    [`${lane}_FRAME_KIND_UPDATE_BATCH`, 'update_batch'],
    [`${lane}_FRAME_KIND_HEARTBEAT`, 'heartbeat'],
    [`${lane}_FRAME_KIND_ERROR`, 'error'],
  ]),
);
const KIND_BY_NUMBER: ReadonlyMap<number, FrameKind> = new Map([
  [2, 'update_batch'],
  [3, 'heartbeat'],
  [4, 'error'],
]);

/**
 * Map a wire `kind` (`KHALA_FRAME_KIND_UPDATE_BATCH`, `SPACETIME_FRAME_KIND_ERROR`, 2...) to a
 * {@link FrameKind}, or `undefined` for kinds this client must ignore (§2.5 "MUST ignore unknown kinds").
 */
export function frameKindOf(kind: string | number): FrameKind | undefined {
  if (typeof kind === 'number') return KIND_BY_NUMBER.get(kind);
  // Exact names first (the common case costs one lookup); other casings compare like codes do.
  return KIND_BY_NAME.get(kind) ?? KIND_BY_NAME.get(kind.trim().toUpperCase());
}

/**
 * The envelope as `validateShape(khalaFrame)` returns it, when every field is plainly valid (the
 * common case: one pass, no per-field closures, latency pass in docs/benchmarks.md); `undefined`
 * sends the frame through the checks, which decide and word any refusal. Held to the check by
 * test/property/khala-frame-envelope.property.test.ts.
 */
export function plainEnvelope(payload: JsonObject): KhalaFrameEnvelope | undefined {
  const { topic, seq, kind, payload_bytes, schema_version } = payload;
  if (typeof topic !== 'string' || typeof payload_bytes !== 'string' || !Number.isSafeInteger(schema_version)) return undefined;
  if (!Number.isSafeInteger(seq) || (seq as number) < 0 || !isFrameKind(kind)) return undefined;
  return { topic, seq: seq as number, kind, payload_bytes, schema_version: schema_version as number };
}

/** Outcome of {@link decodeKhalaFrame}: data, never an exception. */
export type FrameDecodeResult =
  | { type: 'batch'; batch: SyncBatch }
  /** `raw` is the decoded `payload_bytes` object: the error's identity for de-duplication. */
  | { type: 'error'; error: SyncErrorPayload; raw: JsonObject }
  | { type: 'heartbeat'; watermarks: Record<string, number> }
  /** Nothing to do: an unknown kind, or an UPDATE_BATCH whose `seq` is already applied. */
  | { type: 'skipped'; reason: 'unknown_kind' | 'already_applied' }
  | { type: 'refused'; error: ProtocolError };

/**
 * Decode the payload of a `sync:frame` push (a `KhalaFrame`, §2.5), in this order:
 *
 * 1. `schema_version` must be an integer (else `invalid_payload`) in
 *    {@link SUPPORTED_FRAME_SCHEMA_VERSIONS} (else `unsupported_frame_version`). It is checked before
 *    anything else so that a future envelope is reported as a version problem, not as a shape problem.
 * 2. The envelope must match its schema (`invalid_payload`).
 * 3. Unknown kinds are skipped silently.
 * 4. An UPDATE_BATCH whose `seq` (its highest watermark) is `<= lastApplied(topic)` is skipped
 *    whole without decoding: §2.5 allows it, and it is the common case because every batch also
 *    arrives as `sync:update_batch` first — unless `comparesHashes(topic)`: then its updates'
 *    `payload_hash` must still be compared with the first copies' (SPEC.md A13), so it is decoded
 *    and the core drops it as duplicates. ERROR frames carry seq 0 and are never skipped this way.
 * 5. `payload_bytes` is decoded base64 → bytes → strict UTF-8 → safe JSON; any failure is
 *    `undecodable_frame` (the frame is skipped, the connection continues).
 * 6. The decoded object is validated as an UpdateBatch (whose topic must be the frame's topic),
 *    an error payload, or a heartbeat (`invalid_payload` otherwise).
 */
export function decodeKhalaFrame(payload: JsonObject, lastApplied: (topic: string) => number | undefined, comparesHashes: (topic: string) => boolean = () => false): FrameDecodeResult {
  const plain = plainEnvelope(payload);
  let frame: KhalaFrameEnvelope;
  if (plain !== undefined && SUPPORTED_FRAME_SCHEMA_VERSIONS.has(plain.schema_version)) frame = plain;
  else {
    const frameTopic = typeof payload['topic'] === 'string' ? payload['topic'] : undefined;
    const version = validateShape(frameVersion, payload, 'sync:frame', frameTopic);
    if (!version.ok) return { type: 'refused', error: version.error };
    const schemaVersion = version.value.schema_version;
    if (!SUPPORTED_FRAME_SCHEMA_VERSIONS.has(schemaVersion)) {
      const message = `sync:frame: unsupported schema_version ${schemaVersion} (supported: ${[...SUPPORTED_FRAME_SCHEMA_VERSIONS].join(', ')})`;
      return { type: 'refused', error: new ProtocolError(ErrorCodes.UNSUPPORTED_FRAME_VERSION, message, { topic: frameTopic, details: { schemaVersion } }) };
    }
    const envelope = validateShape(khalaFrame, payload, 'sync:frame', frameTopic);
    if (!envelope.ok) return { type: 'refused', error: envelope.error };
    frame = envelope.value;
  }
  const kind = frameKindOf(frame.kind);
  if (kind === undefined) return { type: 'skipped', reason: 'unknown_kind' };

  if (kind === 'update_batch') {
    const applied = lastApplied(frame.topic);
    if (applied !== undefined && frame.seq <= applied && !comparesHashes(frame.topic)) return { type: 'skipped', reason: 'already_applied' };
  }

  const context = `sync:frame ${String(frame.kind)} payload_bytes`;
  const decoded = decodeBase64Json(frame.payload_bytes);
  if (!decoded.ok) {
    const error = new ProtocolError(ErrorCodes.UNDECODABLE_FRAME, `${context} on ${quote(frame.topic)}: ${decoded.message}`, {
      topic: frame.topic,
      details: { reason: decoded.reason, seq: frame.seq },
    });
    return { type: 'refused', error };
  }
  const body = decoded.value;

  switch (kind) {
    case 'update_batch': {
      const decodedBatch = decodeUpdateBatch(body, context, frame.topic);
      if (!decodedBatch.ok) return { type: 'refused', error: decodedBatch.error };
      // A batch is only topic-less without any topic at all; a frame always has one.
      const batch = decodedBatch.value!;
      const stray = batch.updates.findIndex((u) => u.topic !== frame.topic);
      if (stray >= 0) {
        const message = `${context}: invalid updates[${stray}].topic: "${quote(batch.updates[stray]!.topic)}" differs from the frame topic "${quote(frame.topic)}"`;
        return { type: 'refused', error: new ProtocolError(ErrorCodes.INVALID_PAYLOAD, message, { topic: frame.topic, details: { context, field: `updates[${stray}].topic` } }) };
      }
      return { type: 'batch', batch };
    }
    case 'error': {
      if (!isJsonObject(body)) {
        const message = `${context}: invalid payload: expected a JSON object`;
        return { type: 'refused', error: new ProtocolError(ErrorCodes.INVALID_PAYLOAD, message, { topic: frame.topic, details: { context, field: '' } }) };
      }
      const normalized = normalizeServerError(body, context);
      if (!normalized.ok) return { type: 'refused', error: normalized.error };
      return { type: 'error', error: normalized.value, raw: body };
    }
    case 'heartbeat': {
      const hb = validateShape(heartbeat, body, context, frame.topic);
      if (!hb.ok) return { type: 'refused', error: hb.error };
      return { type: 'heartbeat', watermarks: watermarkMap(hb.value.watermarks) };
    }
  }
}
