import type { ErrorCode } from './codes.js';
import { KhalaSyncError, type ErrorSource, type KhalaSyncErrorOptions } from './khala-sync-error.js';

/** The constructor of a {@link KhalaSyncError} subclass whose errors all come from one source. */
export interface SourceErrorClass {
  /** An error of this class's source, with a stable `code` and a message for humans (scrubbed of tokens). */
  new (code: ErrorCode, message: string, options?: KhalaSyncErrorOptions): KhalaSyncError;
  readonly prototype: KhalaSyncError;
}

/**
 * The error class of `source`, named like `TransportError` (its errors' `name` and the class's own):
 * the five source classes differ only in that word, so they are made here, not written out five times.
 */
export function sourceErrorClass(source: Exclude<ErrorSource, 'client'>): SourceErrorClass {
  const name = `${source[0]!.toUpperCase()}${source.slice(1)}Error`;
  const cls = class extends KhalaSyncError {
    constructor(code: ErrorCode, message: string, options?: KhalaSyncErrorOptions) {
      super(source, code, message, options);
      this.name = name;
    }
  };
  return Object.defineProperty(cls, 'name', { value: name });
}

/** A type guard for the errors of `cls` (and of its subclasses). */
export function isErrorOf(cls: SourceErrorClass): (value: unknown) => value is KhalaSyncError {
  return (value): value is KhalaSyncError => value instanceof cls;
}
