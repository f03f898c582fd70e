// canonicalJson (src/hash/canonical-json.ts, with its key-order cache) against a plain reference
// written straight from KHALA_PROTOCOL §6: keys sorted by code point, JSON.stringify escaping, -0 as
// 0, non-finite numbers refused. Objects repeat shapes (the cache's hit path), share first keys
// with other shapes (its replacement path) and use astral, surrogate and integer-like keys.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/hash/canonical-json.js';
import type { JsonValue } from '../../src/util/json.js';

// Code-point order is UTF-16 order with every surrogate unit lifted above the BMP: a pair sorts
// after U+E000..U+FFFF as its code point does, and lone surrogates (no code point) follow the same
// rule, as the server's UTF-8 order places what they become (U+FFFD) above nearly all of the BMP.
function byCodePoint(a: string, b: string): number {
  const unit = (s: string, i: number): number => {
    const u = s.charCodeAt(i);
    return u >= 0xd800 && u <= 0xdfff ? u + 0x10000 : u;
  };
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (unit(a, i) !== unit(b, i)) return unit(a, i) - unit(b, i);
  return a.length - b.length;
}

function reference(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError('non-finite');
    return JSON.stringify(value);
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) {
    const parts: string[] = [];
    for (let i = 0; i < value.length; i++) parts.push(i in value ? reference(value[i]) : '');
    return `[${parts.join(',')}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort(byCodePoint);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${reference(obj[k])}`).join(',')}}`;
}

function outcome(f: () => string): string {
  try {
    return `ok ${f()}`;
  } catch (err) {
    return `throws ${(err as Error).name}`;
  }
}

const KEYS = ['a', 'b', 'run_id', 'status', '10', '9', '1', '', 'é', '\uFF5E', '\u{1F600}', '\uD800', 'z\uDC00', '__proto__', 'constructor'];
const key = fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 4 }), fc.string({ unit: 'binary', maxLength: 3 }));
const leaf = fc.oneof(fc.constantFrom(null, true, false, 0, -0, 1.5, 1e21, -1e-7, Infinity, NaN, undefined), fc.double(), fc.string({ unit: 'binary', maxLength: 6 }));
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('node'), { maxLength: 4 }),
  object: fc.dictionary(key, tie('node'), { maxKeys: 6 }),
})).node;

/** Objects built from a few shapes, key order varied, so shapes repeat and collide on first keys. */
const shaped = fc.array(fc.tuple(fc.constantFrom(['a', 'b'], ['a', 'c'], ['b', 'a'], ['10', '9', 'a'], ['\u{1F600}', '\uFF5E'], ['run_id', 'status', 'note']), fc.array(leaf, { minLength: 3, maxLength: 3 })), { minLength: 1, maxLength: 12 }).map((list) =>
  list.map(([keys, vals]) => Object.fromEntries(keys.map((k, i) => [k, vals[i]]))),
);

describe('canonicalJson ≡ the §6 reference (fast-check)', () => {
  it('any JSON-like value: same text, or the same refusal', () => {
    fc.assert(fc.property(value, (v) => void expect(outcome(() => canonicalJson(v as JsonValue))).toBe(outcome(() => reference(v)))), { numRuns: 3000 });
  });

  it('runs of objects sharing and mixing shapes', () => {
    fc.assert(
      fc.property(shaped, (objs) => {
        for (const o of objs) expect(outcome(() => canonicalJson(o as JsonValue))).toBe(outcome(() => reference(o)));
      }),
      { numRuns: 1000 },
    );
  });

  it('objects parsed from JSON text (own __proto__ keys, integer-like keys first)', () => {
    for (const text of ['{"b":1,"__proto__":{"x":1},"a":2}', '{"9":1,"10":2,"a":3,"1":4}', '{"\\ud83d\\ude00":1,"\\uff5e":2}', '{"a":{"b":{"c":[1,{"d":-0}]}}}']) {
      const v = JSON.parse(text) as JsonValue;
      expect(canonicalJson(v)).toBe(reference(v));
      expect(canonicalJson(v)).toBe(reference(v)); // second time through the shape cache
    }
  });
});
