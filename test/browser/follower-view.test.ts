import { describe, expect, it } from 'vitest';
import { FollowerView } from '../../src/browser/follower-view.js';
import type { AppliedBatch } from '../../src/replay/events.js';
import { createMemoryStore } from '../../src/watermarks/memory-store.js';

// Topic names are any string the app and server agree on; names an object literal inherits
// (`constructor`, `toString`, `__proto__`) must behave like any other.
const update = (topic: string, watermark: number) => ({
  topic,
  docKey: `k${watermark}`,
  docVersion: watermark,
  payload: { n: watermark },
  payloadHash: null,
  watermark,
  hydrationRequired: false,
});

describe('FollowerView', () => {
  for (const topic of ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'plain.topic']) {
    it(`applies relayed batches of topic ${JSON.stringify(topic)}, each update once`, async () => {
      const seen: AppliedBatch[] = [];
      const view = new FollowerView([topic], (b) => seen.push(b));
      await view.load(createMemoryStore());
      expect(view.watermark(topic)).toBeUndefined();
      view.apply({ topic, updates: [update(topic, 1), update(topic, 2)], replayed: false });
      view.apply({ topic, updates: [update(topic, 2), update(topic, 3)], replayed: false });
      expect(seen.map((b) => b.updates.map((u) => u.watermark))).toEqual([[1, 2], [3]]);
      expect(view.watermark(topic)).toBe(3);
      expect(view.list(topic).map((d) => d.docKey)).toEqual(['k1', 'k2', 'k3']);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  }
});
