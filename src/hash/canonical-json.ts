import type { JsonValue } from '../util/json.js';

// Code-point order, not UTF-16 code-unit order: the two differ for astral characters against
// U+E000..U+FFFF, and the server (Elixir/Rust) sorts by UTF-8 bytes (KHALA_PROTOCOL §6).
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    const sa = ca >= 0xd800 && ca <= 0xdfff;
    const sb = cb >= 0xd800 && cb <= 0xdfff;
    if (sa !== sb) return sa ? 1 : -1; // a surrogate (astral) sorts after any BMP unit
    return ca - cb;
  }
  return a.length - b.length;
}

// Performance (bench profile, docs/benchmarks.md): hashing every applied update made this a top
// item. Without surrogates in any key, code-unit order *is* code-point order, so the engine's
// native sort is used and the comparator above only runs for keys that need it; the quoted form of
// short keys is memoized (payloads repeat their keys); output is built by concatenation instead of
// intermediate arrays. The output is unchanged.
function sortKeys(keys: string[]): string[] {
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    for (let j = 0; j < k.length; j++) {
      const c = k.charCodeAt(j);
      if (c >= 0xd800 && c <= 0xdfff) return keys.sort(compareCodePoints);
    }
  }
  return keys.sort();
}

const QUOTED_MAX_KEYS = 1024;
const QUOTED_MAX_LENGTH = 64;
const quoted = new Map<string, string>();

/** `JSON.stringify(key) + ':'`, memoized for short keys (bounded). */
function quoteKey(key: string): string {
  let q = quoted.get(key);
  if (q === undefined) {
    q = `${JSON.stringify(key)}:`;
    if (key.length <= QUOTED_MAX_LENGTH && quoted.size < QUOTED_MAX_KEYS) quoted.set(key, q);
  }
  return q;
}

// Payloads of one stream mostly share a shape, and object keys are interned strings, so the sorted
// order of a key list seen before is found by identity: one Map lookup by the first key and a
// pointer comparison per key, instead of a surrogate scan, a sort and a quote lookup per key
// (bench profile, docs/benchmarks.md). Bounded; a miss takes the path above. The output is unchanged.
interface Shape {
  keys: string[];
  sorted: string[];
  quotedSorted: string[];
}
const SHAPES_MAX = 256;
const SHAPE_MAX_KEYS = 32;
const shapes = new Map<string, Shape>();

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The keys of `keys` in canonical order and their quoted forms. `keys` is not modified. */
function shapeOf(keys: string[]): Shape {
  const first = keys[0]!;
  const hit = shapes.get(first);
  if (hit !== undefined && sameKeys(hit.keys, keys)) return hit;
  const sorted = sortKeys(keys.slice());
  const shape: Shape = { keys, sorted, quotedSorted: sorted.map(quoteKey) };
  if (keys.length <= SHAPE_MAX_KEYS && (hit !== undefined || shapes.size < SHAPES_MAX)) shapes.set(first, shape);
  return shape;
}

/**
 * Canonical JSON per KHALA_PROTOCOL §6: keys sorted by code point, no whitespace, strings escaped as
 * `JSON.stringify` does, -0 written as 0. Non-finite numbers throw a `RangeError`.
 */
export function canonicalJson(value: JsonValue | undefined): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new RangeError('canonical JSON cannot encode a non-finite number');
      // JSON writes a finite number as ToString does, which already turns -0 into "0".
      return String(value);
    case 'string':
      return JSON.stringify(value);
    default:
      break;
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      // A hole stays empty, as the former `map(...).join(',')` wrote it.
      if (i in value) out += canonicalJson(value[i]);
    }
    return out + ']';
  }
  const own = Object.keys(value);
  if (own.length === 0) return '{}';
  const { sorted, quotedSorted } = shapeOf(own);
  let out = '{';
  for (let i = 0; i < sorted.length; i++) {
    const v = (value as Record<string, JsonValue>)[sorted[i]!];
    if (v === undefined) continue;
    if (out.length > 1) out += ',';
    out += quotedSorted[i]! + canonicalJson(v);
  }
  return out + '}';
}
