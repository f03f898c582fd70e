import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../../src/util/json-depth.js';
import { safeJsonParse } from '../../src/util/json.js';

const FORBIDDEN = ['__proto__', 'constructor', 'prototype'];
const nest = (d: number) => '['.repeat(d) + ']'.repeat(d);

// The definition the walk implements: a reviver over every key, and the text's bracket depth.
function reference(text: string): { ok: boolean; reason?: string; message?: string } {
  if (exceedsJsonDepth(text, MAX_JSON_DEPTH)) return { ok: false, reason: 'json_too_deep' };
  let bad: string | undefined;
  try {
    JSON.parse(text, (key, v: unknown) => {
      if (bad === undefined && FORBIDDEN.includes(key)) bad = key;
      return v;
    });
  } catch {
    return { ok: false, reason: 'syntax' };
  }
  return bad === undefined ? { ok: true } : { ok: false, reason: 'forbidden_key', message: `forbidden key "${bad}"` };
}

function outcome(text: string): { ok: boolean; reason?: string; message?: string } {
  const got = safeJsonParse(text);
  if (got.ok) return { ok: true };
  return got.reason === 'forbidden_key' ? { ok: false, reason: got.reason, message: got.message } : { ok: false, reason: got.reason };
}

describe('safeJsonParse', () => {
  it('bounds nesting inclusively, whether the text parses or not, and depth wins over the other reasons', () => {
    expect(outcome(nest(MAX_JSON_DEPTH))).toEqual({ ok: true });
    expect(outcome(nest(MAX_JSON_DEPTH + 1))).toEqual({ ok: false, reason: 'json_too_deep' });
    expect(outcome(`{"a":${nest(10_000)}}`)).toEqual({ ok: false, reason: 'json_too_deep' });
    expect(outcome('['.repeat(10_000))).toEqual({ ok: false, reason: 'json_too_deep' });
    expect(outcome(`{"__proto__":1,"b":${nest(200)}}`)).toEqual({ ok: false, reason: 'json_too_deep' });
    expect(outcome(`["${'['.repeat(500)}"]`)).toEqual({ ok: true });
    expect(safeJsonParse(nest(3), 2)).toMatchObject({ ok: false, reason: 'json_too_deep' });
  });

  it('a syntax error names the position only, never the text around it (a frame may carry a credential)', () => {
    const secret = 'eyJhbGciOiJIUzI1NiJ9secretpart';
    for (const text of [secret, `{"token":${secret}}`, `{"token":"${secret}" x}`, `["${secret}`, `{"a":1,${secret}}`]) {
      const got = safeJsonParse(text);
      expect(got).toMatchObject({ ok: false, reason: 'syntax' });
      const message = (got as { message: string }).message;
      expect(message).toMatch(/^syntax error( at position \d+)?$/);
      for (let i = 0; i + 4 <= secret.length; i++) expect(message).not.toContain(secret.slice(i, i + 4));
    }
    expect(safeJsonParse('{"a":1').ok).toBe(false);
    expect((safeJsonParse('{"a" 1}') as { message: string }).message).toBe('syntax error at position 5');
  });

  it('refuses forbidden keys however they are spelled, not values that say them', () => {
    for (const text of ['{"constructor":1}', '{"a":[{"prototype" \n: 1}]}', '{"\\u005f_proto__":1}', '{"__pro\\u0074o__":{}}']) {
      expect(outcome(text)).toMatchObject({ ok: false, reason: 'forbidden_key' });
    }
    expect(outcome('{"a":"__proto__","b":["constructor","prototype"]}')).toEqual({ ok: true });
    expect(safeJsonParse('{"__proto__":{"x":1}}')).toMatchObject({ ok: false });
  });

  it('agrees with a reviver over every key (reason and first key) on generated JSON with forbidden and escaped keys', () => {
    const key = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom(...FORBIDDEN, 'proto', '__proto_', 'constructors'));
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, fc.string({ maxLength: 8 }), fc.integer(), fc.constant(null), fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(key, tie('v'), { maxKeys: 3 })),
    })).v;
    // Re-spell some characters of keys as \u escapes, and space out colons, as JSON allows.
    const respell = (text: string, seed: number) =>
      text
        .replace(/[_a-z](?=[^"]*"\s*:)/g, (ch: string, at: number) => ((at + seed) % 3 === 0 ? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}` : ch))
        .replace(/:/g, (c: string, at: number) => ((at + seed) % 2 === 0 ? ' : ' : c));
    fc.assert(
      fc.property(value, fc.nat(5), (v, seed) => {
        const text = respell(JSON.stringify(v), seed);
        expect(outcome(text)).toEqual(reference(text));
      }),
      { numRuns: 3000 },
    );
  });
});
