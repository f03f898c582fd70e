import { MAX_JSON_DEPTH, scanJson } from './json-scan.js';

/** Any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** Result of {@link safeJsonParse}: data, never an exception. */
export type SafeParseResult =
  | { ok: true; value: JsonValue }
  | { ok: false; reason: 'syntax' | 'forbidden_key' | 'json_too_deep'; message: string };

/**
 * Parse untrusted JSON. Keys that could reach an object's prototype (`__proto__`, `constructor`,
 * `prototype`, also when spelled with `\u` escapes) make the whole document refused rather than
 * silently dropped, so that a frame carrying one is reported instead of half-applied. Text nested
 * deeper than `maxDepth` (default {@link MAX_JSON_DEPTH}) is refused before parsing (`json_too_deep`).
 */
export function safeJsonParse(text: string, maxDepth: number = MAX_JSON_DEPTH): SafeParseResult {
  const scan = scanJson(text, maxDepth);
  if (scan === 'too_deep') return { ok: false, reason: 'json_too_deep', message: `JSON nested deeper than ${maxDepth} levels` };
  // The reviver costs several times a plain parse; only pay it when the scan saw a key that could be
  // a forbidden one (plainly, or through an escape).
  if (scan === 'plain') {
    try {
      return { ok: true, value: JSON.parse(text) as JsonValue };
    } catch (err) {
      return { ok: false, reason: 'syntax', message: err instanceof Error ? err.message : String(err) };
    }
  }
  let bad: string | undefined;
  let value: JsonValue;
  try {
    value = JSON.parse(text, function reviver(this: unknown, key: string, v: unknown) {
      if (bad === undefined && FORBIDDEN.has(key)) bad = key;
      return v;
    }) as JsonValue;
  } catch (err) {
    return { ok: false, reason: 'syntax', message: err instanceof Error ? err.message : String(err) };
  }
  if (bad !== undefined) return { ok: false, reason: 'forbidden_key', message: `forbidden key "${bad}"` };
  return { ok: true, value };
}

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
