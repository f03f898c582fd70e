import { exceedsJsonDepth, MAX_JSON_DEPTH } from './json-depth.js';

/** Any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
// A forbidden key written plainly, or any `\u` escape of an ASCII character: JSON lets a key spell
// `__proto__` as `"\u005f_proto__"`, which the plain words do not match. Escapes of non-ASCII
// characters (`\u00e9`, `\u65e5`) cannot spell an ASCII key, so text using them keeps the fast path.
const SUSPICIOUS = /__proto__|constructor|prototype|\\u00[0-7]/;

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
  if (exceedsJsonDepth(text, maxDepth)) return { ok: false, reason: 'json_too_deep', message: `JSON nested deeper than ${maxDepth} levels` };
  // The reviver costs several times a plain parse; only pay it when a suspicious key could be present.
  // One regex pass instead of three `includes` scans: on an 80 KB sync:frame body the three scans
  // cost ~8x the regex and ~40% of the JSON.parse itself (bench profile, docs/benchmarks.md).
  if (!SUSPICIOUS.test(text)) {
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
