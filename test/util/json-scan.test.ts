import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, scanJson } from '../../src/util/json-scan.js';
import { safeJsonParse } from '../../src/util/json.js';

const FORBIDDEN = ['__proto__', 'constructor', 'prototype'];

// The definition the scan shortcuts: always parse with a reviver that looks at every key.
function reference(text: string): { ok: boolean; reason?: string } {
  let bad = false;
  try {
    JSON.parse(text, (key, v: unknown) => {
      if (FORBIDDEN.includes(key)) bad = true;
      return v;
    });
  } catch {
    return { ok: false, reason: 'syntax' };
  }
  return bad ? { ok: false, reason: 'forbidden_key' } : { ok: true };
}

describe('scanJson', () => {
  it('counts nesting outside strings only, and the bound is inclusive', () => {
    const nest = (d: number) => '['.repeat(d) + ']'.repeat(d);
    expect(scanJson(nest(MAX_JSON_DEPTH))).toBe('plain');
    expect(scanJson(nest(MAX_JSON_DEPTH + 1))).toBe('too_deep');
    expect(scanJson(`["${'['.repeat(500)}", "\\"${'{'.repeat(500)}"]`)).toBe('plain');
    expect(scanJson(`{"a\\\\":${nest(MAX_JSON_DEPTH)}}`)).toBe('too_deep');
  });

  it('flags keys that are or may spell a forbidden one, not values that say them', () => {
    expect(scanJson('{"constructor":1}')).toBe('suspicious_key');
    expect(scanJson('{"a":{"prototype" \n\t: 1}}')).toBe('suspicious_key');
    expect(scanJson('{"\\u005f_proto__":1}')).toBe('suspicious_key');
    expect(scanJson('{"a\\n":1}')).toBe('suspicious_key');
    expect(scanJson('{"a":"__proto__","b":["constructor","prototype"],"c":"\\u005f"}')).toBe('plain');
    expect(scanJson('{"__proto_":1,"constructors":2}')).toBe('plain');
  });

  it('a suspicious key does not hide nesting past the bound', () => {
    expect(scanJson(`{"__proto__":${'['.repeat(200)}`)).toBe('too_deep');
  });

  it('safeJsonParse agrees with a reviver over every key, on generated JSON with forbidden and escaped keys', () => {
    const key = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom(...FORBIDDEN, 'proto', '__proto_', 'constructors'));
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, fc.string({ maxLength: 8 }), fc.integer(), fc.constant(null), fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(key, tie('v'), { maxKeys: 3 })),
    })).v;
    // Re-spell some characters of keys and strings as \u escapes, and add whitespace, as JSON allows.
    const respell = (text: string, seed: number) =>
      text.replace(/[_a-z](?=[^"]*"\s*:)/g, (ch, at: number) => ((at + seed) % 3 === 0 ? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}` : ch)).replace(/:/g, (c, at: number) => ((at + seed) % 2 === 0 ? ' : ' : c));
    fc.assert(
      fc.property(value, fc.nat(5), (v, seed) => {
        const text = respell(JSON.stringify(v), seed);
        const got = safeJsonParse(text);
        const want = reference(text);
        expect(got.ok ? { ok: true } : { ok: false, reason: got.reason }).toEqual(want);
      }),
      { numRuns: 2000 },
    );
  });
});
