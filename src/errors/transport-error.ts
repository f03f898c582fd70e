import { isErrorOf, sourceErrorClass } from './source-error.js';
import type { KhalaSyncError } from './khala-sync-error.js';

/** The connection failed, timed out or was refused. */
export const TransportError = /* @__PURE__ */ sourceErrorClass('transport');
/** An error of {@link TransportError}'s class (named `TransportError`, `source` `'transport'`). */
export type TransportError = KhalaSyncError;

/** True when `value` is a {@link TransportError}. */
export const isTransportError = /* @__PURE__ */ isErrorOf(TransportError);
