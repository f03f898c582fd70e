import { exceedsJsonDepth, MAX_JSON_DEPTH } from './json-depth.js';

/** Any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** Result of {@link safeJsonParse}: data, never an exception. */
export type SafeParseResult =
  | { ok: true; value: JsonValue }
  | { ok: false; reason: 'syntax' | 'forbidden_key' | 'json_too_deep'; message: string };

/** What {@link inspect} found: the first forbidden key, and whether the value nests past the bound. */
interface Findings {
  forbidden: string | undefined;
}

// Returns true when `value` (at `depth`) nests deeper than `max`; records the first key that could
// reach an object's prototype. The recursion is bounded by `max`, so it cannot overflow the stack.
function inspect(value: object, depth: number, max: number, found: Findings): boolean {
  if (depth > max) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v === 'object' && v !== null && inspect(v, depth + 1, max, found)) return true;
    }
    return false;
  }
  // A parsed JSON object has only its own keys (`__proto__` too is an own data property there).
  // Children before their key, in key order: the first key reported is the one a reviver would meet first.
  for (const key in value) {
    const v: unknown = (value as Record<string, unknown>)[key];
    if (typeof v === 'object' && v !== null && inspect(v, depth + 1, max, found)) return true;
    if (found.forbidden === undefined && (key === '__proto__' || key === 'constructor' || key === 'prototype')) found.forbidden = key;
  }
  return false;
}

/**
 * Parse untrusted JSON. Keys that could reach an object's prototype (`__proto__`, `constructor`,
 * `prototype`, however the text spells them, `\u` escapes included) make the whole document
 * refused rather than silently dropped, so that a frame carrying one is reported instead of
 * half-applied (`forbidden_key`). A value nested deeper than `maxDepth` (default
 * {@link MAX_JSON_DEPTH}) is refused (`json_too_deep`, which wins over the other two reasons).
 *
 * The checks run on the parsed value, before anything else sees it: `JSON.parse` itself does not
 * recurse in V8 and never touches a prototype (`__proto__` becomes a plain own key), and walking
 * the parsed nodes costs a fraction of scanning every character of the text (bench profile,
 * docs/benchmarks.md). A text the engine refuses is scanned for depth, so a parser that does recurse
 * reports the same `json_too_deep`. The bound applies to the value the parse returns: a subtree a
 * repeated key discarded is not part of it.
 */
export function safeJsonParse(text: string, maxDepth: number = MAX_JSON_DEPTH): SafeParseResult {
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch (err) {
    if (exceedsJsonDepth(text, maxDepth)) return tooDeep(maxDepth);
    return { ok: false, reason: 'syntax', message: syntaxMessage(err) };
  }
  if (typeof value !== 'object' || value === null) return { ok: true, value };
  const found: Findings = { forbidden: undefined };
  if (inspect(value, 1, maxDepth, found)) return tooDeep(maxDepth);
  if (found.forbidden !== undefined) return { ok: false, reason: 'forbidden_key', message: `forbidden key "${found.forbidden}"` };
  return { ok: true, value };
}

// The engine's own message quotes the text around the error (V8: `Unexpected token 'e', "eyJhbGciOi"...
// is not valid JSON`), and a frame's text may hold a credential (Spacetime's IdentityToken), so only
// the position travels on; it also reads the same in every engine.
function syntaxMessage(err: unknown): string {
  const at = /position (\d+)/.exec(err instanceof Error ? err.message : '');
  return at ? `syntax error at position ${at[1]}` : 'syntax error';
}

function tooDeep(maxDepth: number): SafeParseResult {
  return { ok: false, reason: 'json_too_deep', message: `JSON nested deeper than ${maxDepth} levels` };
}

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
