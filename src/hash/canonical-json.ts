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

/**
 * Canonical JSON per KHALA_PROTOCOL §6: keys sorted by code point, no whitespace, strings escaped as
 * `JSON.stringify` does, -0 written as 0. Non-finite numbers throw a `RangeError`.
 */
export function canonicalJson(value: JsonValue | undefined): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError('canonical JSON cannot encode a non-finite number');
    // JSON writes a finite number as ToString does, which already turns -0 into "0".
    return String(value);
  }
  if (typeof value !== 'object') return JSON.stringify(value);
  let out = '';
  if (Array.isArray(value)) {
    // A hole stays empty, as `map(...).join(',')` writes it.
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + (i in value ? canonicalJson(value[i]) : '');
    return `[${out}]`;
  }
  for (const key of Object.keys(value).sort(compareCodePoints)) {
    const v = value[key];
    if (v !== undefined) out += `${out ? ',' : ''}${JSON.stringify(key)}:${canonicalJson(v)}`;
  }
  return `{${out}}`;
}
