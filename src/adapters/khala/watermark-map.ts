import { hasOwn, setOwn } from '../../util/records.js';
import type { WireTopicWatermarks } from './checks.js';

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
