import { ErrorCodes } from '../../errors/codes.js';
import { ProtocolError } from '../../errors/protocol-error.js';
import type { JsonObject } from '../../util/json.js';
import type { LaneSink } from '../lane.js';
import { normalizeServerError } from './error-normalize.js';
import { decodeBase64Json } from './payload-bytes.js';
import { frameVersion, heartbeat, jsonObject, khalaFrame } from './checks.js';
import { decodeUpdateBatch } from './update-batch.js';
import { quote, validateShape } from '../validate.js';
import { watermarkMap } from './watermark-map.js';

/** The `KhalaFrame.schema_version` this decoder speaks: 1. */
export const FRAME_SCHEMA_VERSION = 1;

/** The frame kinds this client acts on. */
export type FrameKind = 'update_batch' | 'heartbeat' | 'error';

// In proto enum order (2, 3, 4): SUBSCRIBED (1) and UNSPECIFIED (0) map to nothing and are ignored
// like any unknown kind.
const KINDS: readonly FrameKind[] = ['update_batch', 'heartbeat', 'error'];

// The v1 proto enum names and their Spacetime-era renames (legacy-sync-frame-v1.json). One lookup of
// the whole name rather than a prefix regex and a replace on every frame (latency pass, docs/benchmarks.md).
const KIND_BY_NAME = new Map<string, FrameKind>(['KHALA', 'SPACETIME'].flatMap((lane) => KINDS.map((kind) => [`${lane}_FRAME_KIND_${kind.toUpperCase()}`, kind])));

/**
 * Map a wire `kind` (`KHALA_FRAME_KIND_UPDATE_BATCH`, `SPACETIME_FRAME_KIND_ERROR`, or its number 2,
 * 3, 4, as proto3 JSON parsers accept) to a {@link FrameKind}, or `undefined` for kinds this client
 * must ignore (§2.5 "MUST ignore unknown kinds").
 */
export function frameKindOf(kind: string | number): FrameKind | undefined {
  if (typeof kind === 'number') return KINDS[kind - 2];
  // Exact names first (the common case costs one lookup); other casings compare like codes do.
  return KIND_BY_NAME.get(kind) ?? KIND_BY_NAME.get(kind.trim().toUpperCase());
}

/**
 * Act on the payload of a `sync:frame` push (a `KhalaFrame`, §2.5) through `sink`, in this order:
 *
 * 1. `schema_version` must be an integer (else `invalid_payload`) equal to
 *    {@link FRAME_SCHEMA_VERSION} (else `unsupported_frame_version`). It is checked before anything
 *    else so that a future envelope is reported as a version problem, not as a shape problem.
 * 2. The envelope must match its check (`invalid_payload`).
 * 3. Unknown kinds are skipped silently.
 * 4. An UPDATE_BATCH whose `seq` (its highest watermark) is `<= sink.lastApplied(topic)` is skipped
 *    whole without decoding: §2.5 allows it, and it is the common case because every batch also
 *    arrives as `sync:update_batch` first — unless `sink.carriesHashes(topic)`: then its updates'
 *    `payload_hash` must still be compared with the first copies' (SPEC.md A13), so it is decoded
 *    and the core drops it as duplicates. ERROR frames carry seq 0 and are never skipped this way.
 * 5. `payload_bytes` is decoded base64 → bytes → strict UTF-8 → safe JSON; any failure is
 *    `undecodable_frame` (the frame is skipped, the connection continues).
 * 6. The decoded object is validated as an UpdateBatch (whose updates must carry the frame's topic),
 *    an error payload, or a heartbeat (`invalid_payload` otherwise). A valid error goes to
 *    `sink.serverError` only when `admitError(raw)` says it is not the twin of one already delivered.
 *
 * Every refusal is one `sink.protocolError`; nothing throws.
 */
export function receiveKhalaFrame(payload: JsonObject, sink: LaneSink, admitError: (raw: JsonObject) => boolean): void {
  const frameTopic = typeof payload['topic'] === 'string' ? payload['topic'] : undefined;
  const version = validateShape(frameVersion, payload, 'sync:frame', frameTopic);
  if (!version.ok) return sink.protocolError(version.error);
  const schemaVersion = version.value.schema_version;
  if (schemaVersion !== FRAME_SCHEMA_VERSION) {
    return sink.protocolError(new ProtocolError(ErrorCodes.UNSUPPORTED_FRAME_VERSION, `sync:frame: unsupported schema_version ${schemaVersion}`, { topic: frameTopic, details: { schemaVersion } }));
  }
  const envelope = validateShape(khalaFrame, payload, 'sync:frame', frameTopic);
  if (!envelope.ok) return sink.protocolError(envelope.error);
  const { topic, seq, kind: wireKind } = envelope.value;
  const kind = frameKindOf(wireKind);
  if (kind === undefined) return;
  if (kind === 'update_batch') {
    const applied = sink.lastApplied(topic);
    if (applied !== undefined && seq <= applied && sink.carriesHashes?.(topic) !== true) return;
  }

  const context = `sync:frame ${String(wireKind)} payload_bytes`;
  const decoded = decodeBase64Json(envelope.value.payload_bytes);
  if (!decoded.ok) {
    return sink.protocolError(new ProtocolError(ErrorCodes.UNDECODABLE_FRAME, `${context} on ${quote(topic)}: ${decoded.message}`, { topic, details: { reason: decoded.reason, seq } }));
  }
  const body = decoded.value;
  if (kind === 'heartbeat') {
    const hb = validateShape(heartbeat, body, context, topic);
    return hb.ok ? sink.heartbeat(watermarkMap(hb.value.watermarks)) : sink.protocolError(hb.error);
  }
  if (kind === 'error') {
    const raw = validateShape(jsonObject, body, context, topic);
    const error = raw.ok ? normalizeServerError(raw.value, context) : raw;
    if (!error.ok) return sink.protocolError(error.error);
    if (admitError(error.value.raw)) sink.serverError(error.value);
    return;
  }
  const batch = decodeUpdateBatch(body, context, topic);
  // A batch is only topic-less without any topic at all; a frame always has one.
  return batch.ok ? sink.batch(batch.value!) : sink.protocolError(batch.error);
}
