import { isErrorOf, sourceErrorClass } from './source-error.js';
import type { KhalaSyncError } from './khala-sync-error.js';

/** The server reported an error code (stale_cursor, slow_consumer, upgrade_required...). `details.payload` holds the normalized error payload. */
export const ServerError = /* @__PURE__ */ sourceErrorClass('server');
/** An error of {@link ServerError}'s class (named `ServerError`, `source` `'server'`). */
export type ServerError = KhalaSyncError;

/** True when `value` is a {@link ServerError}. */
export const isServerError = /* @__PURE__ */ isErrorOf(ServerError);
