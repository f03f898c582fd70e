import { isErrorOf, sourceErrorClass } from './source-error.js';
import type { KhalaSyncError } from './khala-sync-error.js';

/** An inbound frame was refused: malformed, unknown, oversized or of an unsupported version. The frame changed nothing. */
export const ProtocolError = /* @__PURE__ */ sourceErrorClass('protocol');
/** An error of {@link ProtocolError}'s class (named `ProtocolError`, `source` `'protocol'`). */
export type ProtocolError = KhalaSyncError;

/** True when `value` is a {@link ProtocolError}. */
export const isProtocolError = /* @__PURE__ */ isErrorOf(ProtocolError);
