import { isErrorOf, sourceErrorClass } from './source-error.js';
import type { KhalaSyncError } from './khala-sync-error.js';

/** The storage backend failed or holds data from a newer version. */
export const StoreError = /* @__PURE__ */ sourceErrorClass('store');
/** An error of {@link StoreError}'s class (named `StoreError`, `source` `'store'`). */
export type StoreError = KhalaSyncError;

/** True when `value` is a {@link StoreError}. */
export const isStoreError = /* @__PURE__ */ isErrorOf(StoreError);
