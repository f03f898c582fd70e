import type { ErrorCode } from './codes.js';
import { KhalaSyncError, type KhalaSyncErrorOptions } from './khala-sync-error.js';

/** An inbound frame was refused: malformed, unknown, oversized or of an unsupported version. The frame changed nothing. */
export class ProtocolError extends KhalaSyncError {
  constructor(code: ErrorCode, message: string, options: KhalaSyncErrorOptions = {}) {
    super('protocol', code, message, options);
    this.name = 'ProtocolError';
  }
}

/** True when `value` is a {@link ProtocolError}. */
export function isProtocolError(value: unknown): value is ProtocolError {
  return value instanceof ProtocolError;
}
