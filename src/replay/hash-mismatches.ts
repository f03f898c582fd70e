import { failsHash } from '../hash/web-digest.js';
import type { SyncBatch, SyncUpdate } from '../model/types.js';

/**
 * The updates of `batch` past `cursor` whose body fails its `payload_hash` (SPEC.md A6), for
 * {@link planBatch}'s `mismatched`: WebCrypto digests are asynchronous, so they are computed for the
 * whole batch before the pure planner runs. Only updates that carry a body and a hash are hashed;
 * undefined (no wait at all) when there is none. The cursor only moves up while this runs, so every
 * update the plan then finds new was checked.
 */
export function hashMismatches(batch: SyncBatch, cursor: number | undefined): Promise<ReadonlySet<SyncUpdate>> | undefined {
  const hashed = batch.updates.filter((u) => u.payloadHash && u.payload !== null && !u.hydrationRequired && (cursor === undefined || u.watermark > cursor));
  if (hashed.length === 0) return undefined;
  return Promise.all(hashed.map((u) => failsHash(u.payload!, u.payloadHash!))).then((fails) => new Set(hashed.filter((_, i) => fails[i])));
}
