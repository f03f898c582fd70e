import { ErrorCodes } from '../errors/codes.js';
import { KhalaSyncError } from '../errors/khala-sync-error.js';

/** Options of every client method that waits. */
export interface WaitOptions {
  /** Stops the wait: the promise rejects with an `aborted` error. Default none (wait until settled). */
  signal?: AbortSignal | undefined;
}

/**
 * The error a wait rejects with when its signal aborts: a `KhalaSyncError` with code `aborted`,
 * named `AbortError` so code that filters aborts by name keeps working; `cause` is the signal's reason.
 */
export function abortError(signal: AbortSignal): KhalaSyncError {
  const error = new KhalaSyncError('client', ErrorCodes.ABORTED, 'the wait was aborted by its signal', { cause: signal.reason });
  error.name = 'AbortError';
  return error;
}

/** Throw {@link abortError} when `signal` has already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/** `promise`, or an `aborted` rejection as soon as `signal` aborts (the work itself is not cancelled). */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  return signal === undefined
    ? promise
    : new Promise<T>((resolve, reject) => {
        const onAbort = (): void => reject(abortError(signal));
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        // The listener goes once the promise settled (a settled race ignores a later abort).
        void promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
      });
}
