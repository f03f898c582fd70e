/**
 * Small seeded pseudo-random numbers for fault schedules. Not cryptographic: the point is that the
 * same seed gives the same numbers on every machine, so a failing schedule can be replayed.
 *
 * Two shapes:
 * - {@link seededRandom}: a stream (`next()` → [0, 1)), for code that draws in a fixed order.
 * - {@link pointRandom}: a pure function of `(seed, ...coordinates)`, for draws whose order depends
 *   on timing (frames of concurrent connections). The proxy keys every draw by connection ordinal,
 *   direction, frame index and fault kind, so the faults of a frame do not depend on how other
 *   connections' frames interleaved with it.
 */

/** Mix a 32-bit value (a murmur3-style finalizer with different constants). */
function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash a string to 32 bits (FNV-1a, then mixed). */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** Normalise any finite number to an unsigned 32-bit seed. */
export function toSeed(seed: number): number {
  if (!Number.isFinite(seed)) throw new RangeError('seed must be a finite number');
  return Math.trunc(seed) >>> 0;
}

/** A stream of draws. */
export interface SeededRandom {
  /** The seed this stream started from. */
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[];
  /** An independent stream derived from this seed and a label. */
  fork(label: string): SeededRandom;
}

/**
 * A seeded stream: a 32-bit Weyl sequence passed through {@link mix32} (the same shape as
 * splitmix, reduced to 32 bits). Period 2^32, good enough equidistribution for schedules.
 */
export function seededRandom(seed: number): SeededRandom {
  const start = toSeed(seed);
  let state = start;
  const next = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    return mix32(state ^ (state >>> 13)) / 4294967296;
  };
  const rnd: SeededRandom = {
    seed: start,
    next,
    int(min, max) {
      if (max < min) throw new RangeError('int(min, max): max < min');
      return min + Math.floor(next() * (max - min + 1));
    },
    chance(p) {
      return p > 0 && next() < p;
    },
    pick(items) {
      if (items.length === 0) throw new RangeError('pick from an empty array');
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
    shuffle(items) {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const tmp = out[i] as (typeof out)[number];
        out[i] = out[j] as (typeof out)[number];
        out[j] = tmp;
      }
      return out;
    },
    fork(label) {
      return seededRandom(mix32(start ^ hashString(label)));
    },
  };
  return rnd;
}

/** A pure draw in [0, 1) for `(seed, ...coordinates)`; coordinates are integers or strings. */
export function pointRandom(seed: number, ...coordinates: Array<number | string>): number {
  let h = mix32(toSeed(seed) ^ 0x5bd1e995);
  for (const c of coordinates) {
    const v = typeof c === 'string' ? hashString(c) : toSeed(c);
    h = mix32((h ^ v) + 0x9e3779b9);
  }
  return h / 4294967296;
}

/** Derive a sub-seed from a seed and a label (stable across runs and machines). */
export function deriveSeed(seed: number, label: string): number {
  return mix32(toSeed(seed) ^ hashString(label));
}
