import { ErrorCodes, StoreError } from '../errors/index.js';
import { safeJsonParse, type JsonValue } from '../util/json.js';

/** A JSON object read from a legacy record (untrusted). */
export type RecordObject = { [key: string]: JsonValue };

/** `value` as an object, or `undefined` for arrays, null and scalars. */
export function asObject(value: JsonValue | undefined): RecordObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
}

/**
 * Parse legacy JSON text. Text that is not JSON (or carries a prototype key) is not a store we
 * know: `UNKNOWN_STORE`, so a random file is never half-read.
 */
export function parseLegacyJson(text: string, what: string): JsonValue {
  const parsed = safeJsonParse(text);
  if (!parsed.ok) throw new StoreError(ErrorCodes.UNKNOWN_STORE, `${what} is not a store khala-sync knows (${parsed.reason === 'syntax' ? 'not JSON' : parsed.message})`, { details: { reason: parsed.reason } });
  return parsed.value;
}

/** Refuse one field of a recognised legacy record. */
export function invalid(format: string, message: string, details: Record<string, unknown> = {}): StoreError {
  return new StoreError(ErrorCodes.INVALID_LEGACY_RECORD, `${format}: ${message}`, { details: { format, ...details } });
}

/** A cursor value as the legacy formats write it: a u64 that JSON numbers hold exactly (≤ 2^53 − 1). */
export function cursorValue(value: JsonValue | undefined): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}
