import type { ErrorCode } from './codes.js';
import { redact } from './redact.js';

/** Where an error came from. */
export type ErrorSource = 'protocol' | 'server' | 'transport' | 'store' | 'snapshot' | 'client';

/** Options accepted by {@link KhalaSyncError}. */
export interface KhalaSyncErrorOptions {
  /** The topic the error concerns, when there is one. */
  topic?: string | undefined;
  /** Extra structured facts (never a token, never a payload body). */
  details?: Record<string, unknown> | undefined;
  /** Whether the client will retry by itself. Default `false`. */
  retryable?: boolean | undefined;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * Base class of every error khala-sync reports. Its `code` is stable (see `ErrorCodes`); its
 * message is for humans and is always scrubbed of tokens.
 */
export class KhalaSyncError extends Error {
  /** Stable machine-readable code. */
  declare readonly code: ErrorCode;
  /** Which layer reported it. */
  declare readonly source: ErrorSource;
  /** Topic concerned, if any. */
  declare readonly topic: string | undefined;
  /** Structured, token-free facts. */
  declare readonly details: Record<string, unknown>;
  /** True when the client recovers on its own (reconnect, retry, skip). */
  declare readonly retryable: boolean;

  constructor(source: ErrorSource, code: ErrorCode, message: string, options: KhalaSyncErrorOptions = {}) {
    super(redact(message), options.cause === undefined ? undefined : { cause: options.cause });
    // Declared, not initialised, fields: assigned once here, in the order the own keys always had.
    this.code = code;
    this.source = source;
    this.topic = options.topic;
    this.details = options.details ?? {};
    this.retryable = options.retryable ?? false;
    this.name = 'KhalaSyncError';
  }

  /** A plain, token-free object for logs and the CLI's JSON lines. */
  toJSON(): { code: ErrorCode; source: ErrorSource; message: string; topic?: string; details: Record<string, unknown> } {
    const { code, source, message, details, topic } = this;
    return topic === undefined ? { code, source, message, details } : { code, source, message, details, topic };
  }

}

/** True for any error raised or reported by khala-sync. */
export function isKhalaSyncError(value: unknown): value is KhalaSyncError {
  return value instanceof KhalaSyncError;
}
