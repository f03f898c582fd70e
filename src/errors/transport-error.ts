import type { ErrorCode } from './codes.js';
import { KhalaSyncError, type KhalaSyncErrorOptions } from './khala-sync-error.js';

/** The connection failed, timed out or was refused. */
export class TransportError extends KhalaSyncError {
  constructor(code: ErrorCode, message: string, options: KhalaSyncErrorOptions = {}) {
    super('transport', code, message, options);
    this.name = 'TransportError';
  }
}

/** True when `value` is a {@link TransportError}. */
export function isTransportError(value: unknown): value is TransportError {
  return value instanceof TransportError;
}
