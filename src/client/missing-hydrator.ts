import { ErrorCodes } from '../errors/codes.js';
import type { KhalaSyncError } from '../errors/khala-sync-error.js';
import { SnapshotError } from '../errors/snapshot-error.js';
import type { SyncDocument } from '../model/types.js';
import type { DriverMetrics } from './metrics.js';

/**
 * What stands in for the hydration scheduler when the client has no hydrator (neither `hydrateUrl`
 * nor `hydrator`). A pointer-mode document (Khala `hydration_required`, a null payload, a Spacetime
 * `payload_json` of `"null"`) would otherwise stay pending for good without a word (SPEC.md A14):
 * each one handed over is reported as `hydration_failed`, not retryable, `details.reason`
 * `no_hydrator`. It stays pending (cursor advanced, previous body kept), so a later start with a
 * hydrator fetches it.
 */
export function missingHydrator(
  error: (error: KhalaSyncError) => void,
  metrics: Pick<DriverMetrics, 'hydrationFailures'>,
): { schedule(doc: SyncDocument): void } {
  return {
    schedule(doc) {
      metrics.hydrationFailures++;
      const { topic, docKey, docVersion } = doc;
      error(new SnapshotError(ErrorCodes.HYDRATION_FAILED, `${docKey} has no body and no hydrator`, { topic, retryable: false, details: { docKey, docVersion, reason: 'no_hydrator' } }));
    },
  };
}
