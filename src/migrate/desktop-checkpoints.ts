import { ErrorCodes, StoreError } from '../errors/index.js';
import type { JsonValue } from '../util/json.js';
import { asObject, cursorValue, invalid } from './legacy-record.js';

const FORMAT = 'desktop checkpoint file';
/** The only version the Spacetime-era desktop wrote (KHALA_PROTOCOL §7.3). */
export const DESKTOP_CHECKPOINT_VERSION = 1;

/** One entry of `runtime-sync-checkpoints.v1.json`. */
export interface DesktopCheckpoint {
  /** The entry's `worker_id`. */
  workerId: string;
  /** The entry's `stream_id`. */
  streamId: string;
  /** The stream's cursor. */
  watermark: number;
  /** The entry's `updated_at`, as written. */
  updatedAt: string;
}

/** True when `value` looks like the desktop checkpoint file (an object with `version` and `entries`). */
export function isDesktopCheckpoints(value: JsonValue): boolean {
  const o = asObject(value);
  return o !== undefined && 'entries' in o && 'version' in o;
}

/**
 * Decode the desktop checkpoint file strictly. Upstream loaded a corrupt file or unknown version
 * as empty; a migration must not turn a user's cursors into nothing, so every problem is refused.
 *
 * @throws StoreError `STORE_VERSION_TOO_NEW` (version above 1), `UNSUPPORTED_LEGACY_SCHEMA` (any
 *   other version), `INVALID_LEGACY_RECORD` (bad entry, empty or duplicate `(worker_id, stream_id)`).
 */
export function decodeDesktopCheckpoints(value: JsonValue): DesktopCheckpoint[] {
  const o = asObject(value);
  if (o === undefined || !isDesktopCheckpoints(value)) throw new StoreError(ErrorCodes.UNKNOWN_STORE, `not a ${FORMAT}`);
  const version = o['version'];
  if (typeof version === 'number' && Number.isSafeInteger(version) && version > DESKTOP_CHECKPOINT_VERSION) {
    throw new StoreError(ErrorCodes.STORE_VERSION_TOO_NEW, `${FORMAT} has version ${version}, newer than the ${DESKTOP_CHECKPOINT_VERSION} this khala-sync knows`, {
      details: { kind: 'desktop-checkpoints', found: version, known: DESKTOP_CHECKPOINT_VERSION },
    });
  }
  if (version !== DESKTOP_CHECKPOINT_VERSION) {
    throw new StoreError(ErrorCodes.UNSUPPORTED_LEGACY_SCHEMA, `${FORMAT} has version ${JSON.stringify(version)}; only ${DESKTOP_CHECKPOINT_VERSION} is defined`, {
      details: { kind: 'desktop-checkpoints', found: version ?? null },
    });
  }
  const entries = o['entries'];
  if (!Array.isArray(entries)) throw invalid(FORMAT, '"entries" is not an array');
  const seen = new Set<string>();
  return entries.map((raw, index) => {
    const e = asObject(raw);
    if (e === undefined) throw invalid(FORMAT, `entry ${index} is not an object`, { index });
    const workerId = e['worker_id'];
    const streamId = e['stream_id'];
    const updatedAt = e['updated_at'];
    const watermark = cursorValue(e['watermark']);
    if (typeof workerId !== 'string' || workerId.trim().length === 0) throw invalid(FORMAT, `entry ${index} has an empty or missing worker_id`, { index });
    if (typeof streamId !== 'string' || streamId.trim().length === 0) throw invalid(FORMAT, `entry ${index} has an empty or missing stream_id`, { index });
    if (watermark === undefined) throw invalid(FORMAT, `entry ${index} has a watermark that is not a non-negative integer`, { index });
    if (typeof updatedAt !== 'string') throw invalid(FORMAT, `entry ${index} has no updated_at string`, { index });
    const key = JSON.stringify([workerId, streamId]);
    if (seen.has(key)) throw invalid(FORMAT, `entries repeat (worker_id, stream_id) = (${workerId}, ${streamId})`, { index, workerId, streamId });
    seen.add(key);
    return { workerId, streamId, watermark, updatedAt };
  });
}

/**
 * The stream cursors of the file: keyed by `stream_id`, which is what a Spacetime-lane store keys
 * by. A stream held by several workers is refused unless `worker` picks one: taking either value
 * would either skip or repeat events for somebody.
 *
 * @param worker keep only this worker's entries; default: all (must then be unambiguous).
 * @throws StoreError `AMBIGUOUS_CHECKPOINTS`.
 */
export function desktopCursors(entries: readonly DesktopCheckpoint[], worker?: string): Record<string, number> {
  const chosen = worker === undefined ? entries : entries.filter((e) => e.workerId === worker);
  if (worker !== undefined && chosen.length === 0) {
    throw new StoreError(ErrorCodes.AMBIGUOUS_CHECKPOINTS, `${FORMAT} has no entries for worker "${worker}"`, { details: { worker, workers: [...new Set(entries.map((e) => e.workerId))] } });
  }
  const out: Record<string, number> = {};
  const owner = new Map<string, string>();
  for (const e of chosen) {
    const other = owner.get(e.streamId);
    if (other !== undefined) {
      throw new StoreError(ErrorCodes.AMBIGUOUS_CHECKPOINTS, `stream "${e.streamId}" has checkpoints from workers "${other}" and "${e.workerId}"; choose one with --worker`, {
        details: { stream: e.streamId, workers: [other, e.workerId] },
      });
    }
    owner.set(e.streamId, e.workerId);
    out[e.streamId] = e.watermark;
  }
  return out;
}
