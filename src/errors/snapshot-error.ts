import { isErrorOf, sourceErrorClass } from './source-error.js';
import type { KhalaSyncError } from './khala-sync-error.js';

/** Snapshot bootstrap or document hydration over HTTP failed. */
export const SnapshotError = /* @__PURE__ */ sourceErrorClass('snapshot');
/** An error of {@link SnapshotError}'s class (named `SnapshotError`, `source` `'snapshot'`). */
export type SnapshotError = KhalaSyncError;

/** True when `value` is a {@link SnapshotError}. */
export const isSnapshotError = /* @__PURE__ */ isErrorOf(SnapshotError);
