import type { WireTopicWatermarks } from './schemas.js';

/**
 * Store `value` under `key` as an own property. Topics come off the wire, and a plain assignment of
 * the key `__proto__` would replace the object's prototype instead of adding an entry.
 */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** True when `record` has `key` as an own property (so `constructor` is never read from the prototype). */
export function hasOwn(record: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(record, key);
}

/**
 * Turn a wire `[{topic, watermark}]` list into `{topic: watermark}`. When a topic repeats, the highest
 * value wins: these lists are progress hints, so the most advanced one is the most informative.
 */
export function watermarkMap(list: WireTopicWatermarks): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { topic, watermark } of list) {
    const seen = hasOwn(out, topic) ? out[topic] : undefined;
    if (seen === undefined || watermark > seen) setOwn(out, topic, watermark);
  }
  return out;
}
