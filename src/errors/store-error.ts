import type { ErrorCode } from './codes.js';
import { KhalaSyncError, type KhalaSyncErrorOptions } from './khala-sync-error.js';

/** The storage backend failed or holds data from a newer version. */
export class StoreError extends KhalaSyncError {
  constructor(code: ErrorCode, message: string, options: KhalaSyncErrorOptions = {}) {
    super('store', code, message, options);
    this.name = 'StoreError';
  }
}

/** True when `value` is a {@link StoreError}. */
export function isStoreError(value: unknown): value is StoreError {
  return value instanceof StoreError;
}
