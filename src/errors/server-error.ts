import type { ErrorCode } from './codes.js';
import { KhalaSyncError, type KhalaSyncErrorOptions } from './khala-sync-error.js';

/** The server reported an error code (stale_cursor, slow_consumer, upgrade_required...). `details.payload` holds the normalized error payload. */
export class ServerError extends KhalaSyncError {
  constructor(code: ErrorCode, message: string, options: KhalaSyncErrorOptions = {}) {
    super('server', code, message, options);
    this.name = 'ServerError';
  }
}

/** True when `value` is a {@link ServerError}. */
export function isServerError(value: unknown): value is ServerError {
  return value instanceof ServerError;
}
