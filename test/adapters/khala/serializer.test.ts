import { describe, expect, it } from 'vitest';
import { decodePhoenixFrame, encodePhoenixFrame } from '../../../src/adapters/khala/serializer.js';
import { ProtocolError } from '../../../src/errors/protocol-error.js';

function refusedCode(text: string): string {
  const r = decodePhoenixFrame(text);
  if (r.ok) throw new Error('expected a refusal');
  expect(r.error).toBeInstanceOf(ProtocolError);
  return r.error.code;
}

describe('Phoenix V2 serializer', () => {
  it('encodes the five-element array in wire order', () => {
    const text = encodePhoenixFrame({ joinRef: '1', ref: '2', topic: 'sync:v1', event: 'sync:subscribe', payload: { topics: ['a'] } });
    expect(text).toBe('["1","2","sync:v1","sync:subscribe",{"topics":["a"]}]');
  });

  it('round-trips a message, including null refs', () => {
    const msg = { joinRef: null, ref: null, topic: 'sync:v1', event: 'sync:heartbeat', payload: { watermarks: [] } };
    expect(decodePhoenixFrame(encodePhoenixFrame(msg))).toEqual({ ok: true, msg });
  });

  it('refuses text that is not JSON as malformed_frame', () => {
    expect(refusedCode('["1",null,"sync:v1"')).toBe('malformed_frame');
    expect(refusedCode('')).toBe('malformed_frame');
  });

  it('refuses non-arrays and the wrong arity', () => {
    expect(refusedCode('{"event":"phx_reply"}')).toBe('malformed_frame');
    expect(refusedCode('[null,null,"sync:v1","sync:heartbeat"]')).toBe('malformed_frame');
    expect(refusedCode('[null,null,"sync:v1","sync:heartbeat",{},{}]')).toBe('malformed_frame');
  });

  it('refuses non-string topic or event and non-null non-string refs', () => {
    expect(refusedCode('[null,null,1,"sync:heartbeat",{}]')).toBe('malformed_frame');
    expect(refusedCode('[null,null,"sync:v1",42,{}]')).toBe('malformed_frame');
    expect(refusedCode('[null,null,"sync:v1",null,{}]')).toBe('malformed_frame');
    expect(refusedCode('[1,null,"sync:v1","sync:heartbeat",{}]')).toBe('malformed_frame');
    expect(refusedCode('[null,7,"sync:v1","sync:heartbeat",{}]')).toBe('malformed_frame');
  });

  it('refuses a payload that is not an object', () => {
    expect(refusedCode('[null,null,"sync:v1","sync:heartbeat",[]]')).toBe('malformed_frame');
    expect(refusedCode('[null,null,"sync:v1","sync:heartbeat",null]')).toBe('malformed_frame');
    expect(refusedCode('[null,null,"sync:v1","sync:heartbeat","x"]')).toBe('malformed_frame');
  });

  it('refuses a __proto__ key anywhere with forbidden_key, without polluting prototypes', () => {
    const text = '[null,null,"sync:v1","sync:update_batch",{"updates":[{"payload":{"__proto__":{"polluted":true}}}]}]';
    expect(refusedCode(text)).toBe('forbidden_key');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('never throws on hostile input', () => {
    for (const text of ['null', '1', '"s"', '[', ']', '[[[[', '\u0000', '[null,null,"sync:v1","e",{"a":1e999}]']) {
      expect(() => decodePhoenixFrame(text)).not.toThrow();
    }
  });
});
