import { ErrorCodes, StoreError } from '../errors/index.js';
import { toStoreError } from './store-guards.js';

// Kept out of store-guards.ts: only the durable backends (their own entry points) use these, so the
// main browser entry (whose size is budgeted, docs/browser.md) does not carry them.

/**
 * The error a durable store raises once it is closed: by its own `close()` (the app closed it under
 * the client), or (IndexedDB) by another connection's upgrade or delete, or by the browser. No call
 * can succeed again: not retryable, `details.reason: 'closed'`; the client stops on it.
 *
 * @param how what closed it, appended to the message (default: nothing, its own `close()`).
 */
export function backendClosedError(kind: string, topic?: string, how = ''): StoreError {
  return new StoreError(ErrorCodes.STORE_FAILED, `${kind} store is closed${how}`, { topic, details: { kind, reason: 'closed' } });
}

/** A backend out of space: SQLite's `SQLITE_FULL`, IndexedDB's `QuotaExceededError`. */
function isQuota(err: unknown): boolean {
  const e = err as { code?: unknown; name?: unknown } | null;
  return typeof e === 'object' && e !== null && (e.code === 'SQLITE_FULL' || e.name === 'QuotaExceededError');
}

/**
 * {@link toStoreError} for a durable backend: out of space is not retryable
 * (`details.reason: 'quota'`), since no replay can succeed until the app frees space; the client
 * stops on it (docs/errors.md `store_failed`). Any other failure stays retryable.
 */
export function backendError(kind: string, operation: string, err: unknown, topic?: string): StoreError {
  const wrapped = toStoreError(kind, operation, err, topic);
  if (wrapped === err || !isQuota(err)) return wrapped;
  return new StoreError(ErrorCodes.STORE_FAILED, `${kind} store ${operation} failed (out of space): ${wrapped.message}`, {
    topic,
    details: { kind, operation, reason: 'quota' },
    cause: err,
  });
}
