import type { ErrorCode } from './codes.js';
import { KhalaSyncError, type KhalaSyncErrorOptions } from './khala-sync-error.js';

/** Snapshot bootstrap or document hydration over HTTP failed. */
export class SnapshotError extends KhalaSyncError {
  constructor(code: ErrorCode, message: string, options: KhalaSyncErrorOptions = {}) {
    super('snapshot', code, message, options);
    this.name = 'SnapshotError';
  }
}

/** True when `value` is a {@link SnapshotError}. */
export function isSnapshotError(value: unknown): value is SnapshotError {
  return value instanceof SnapshotError;
}
