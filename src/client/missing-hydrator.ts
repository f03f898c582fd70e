import { ErrorCodes } from '../errors/codes.js';
import { SnapshotError } from '../errors/snapshot-error.js';
import type { SyncDocument } from '../model/types.js';
import type { DriverEvents } from './driver-ports.js';
import type { DriverMetrics } from './metrics.js';

/**
 * What stands in for the hydration scheduler when the client has no hydrator (neither `hydrateUrl`
 * nor `hydrator`). A pointer-mode document (Khala `hydration_required`, a null payload, a Spacetime
 * `payload_json` of `"null"`) would otherwise stay pending for good without a word (SPEC.md A14):
 * each one handed over is reported as `hydration_failed`, not retryable, `details.reason`
 * `no_hydrator`. It stays pending (cursor advanced, previous body kept), so a later start with a
 * hydrator fetches it. A class, not a closure: every client without a hydrator holds one, and an
 * object of two fields is the smallest thing that can (heap per idle client).
 */
export class MissingHydrator {
  readonly #events: Pick<DriverEvents, 'event'>;
  readonly #metrics: Pick<DriverMetrics, 'hydrationFailures'>;

  constructor(
    events: Pick<DriverEvents, 'event'>,
    metrics: Pick<DriverMetrics, 'hydrationFailures'>,
  ) {
    this.#events = events;
    this.#metrics = metrics;
  }

  /** Report `doc` as a body that cannot be fetched. */
  schedule(doc: SyncDocument): void {
    this.#metrics.hydrationFailures++;
    const { topic, docKey, docVersion } = doc;
    const error = new SnapshotError(ErrorCodes.HYDRATION_FAILED, `${docKey} has no body and no hydrator`, { topic, retryable: false, details: { docKey, docVersion, reason: 'no_hydrator' } });
    this.#events.event({ type: 'error', error });
  }
}
