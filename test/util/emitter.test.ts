import { describe, expect, it } from 'vitest';
import { Emitter } from '../../src/util/emitter.js';

interface Events {
  tick: (n: number) => void;
  error: (err: Error) => void;
  constructor: () => void;
}

describe('Emitter', () => {
  it('calls listeners in order with the arguments, and reports whether anyone listened', () => {
    const e = new Emitter<Events>();
    const seen: string[] = [];
    e.on('tick', (n) => seen.push(`a${n}`)).on('tick', (n) => seen.push(`b${n}`));
    expect(e.emit('tick', 1)).toBe(true);
    expect(seen).toEqual(['a1', 'b1']);
    expect(e.emit('error', new Error('x'))).toBe(false); // no listener: dropped, not thrown
  });

  it('once fires one time and can be removed with the listener it was given', () => {
    const e = new Emitter<Events>();
    let calls = 0;
    const once = (): void => void calls++;
    e.once('tick', once);
    e.emit('tick', 1);
    e.emit('tick', 2);
    expect(calls).toBe(1);
    e.once('tick', once).off('tick', once);
    e.emit('tick', 3);
    expect(calls).toBe(1);
    expect(e.listenerCount('tick')).toBe(0);
  });

  it('does not call a listener added during the emit, and off during emit does not skip others', () => {
    const e = new Emitter<Events>();
    const seen: string[] = [];
    const late = (): void => void seen.push('late');
    const second = (): void => void seen.push('second');
    e.on('tick', () => {
      seen.push('first');
      e.on('tick', late);
      e.off('tick', second);
    });
    e.on('tick', second);
    e.emit('tick', 0);
    expect(seen).toEqual(['first', 'second']);
    e.emit('tick', 0);
    expect(seen).toEqual(['first', 'second', 'first', 'late']);
  });

  it('keys events by name without touching prototypes, and removeAllListeners clears', () => {
    const e = new Emitter<Events>();
    expect(e.listenerCount('constructor')).toBe(0);
    expect(e.emit('constructor')).toBe(false);
    let n = 0;
    e.on('constructor', () => void n++);
    e.emit('constructor');
    expect(n).toBe(1);
    e.removeAllListeners();
    expect(e.emit('constructor')).toBe(false);
  });
});
