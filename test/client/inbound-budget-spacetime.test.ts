import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/watermarks/memory-store.js';
import { range, seqsOf, stClient, stTestBed, STREAM_A, until } from '../adapters/spacetime/client-helpers.js';

const bed = stTestBed();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('inbound budget on the Spacetime lane (same connection path)', () => {
  it('live transaction updates behind a slow store pause the real ws socket; every event applied once, in order', async () => {
    const srv = await bed.start();
    const inner = createMemoryStore();
    const r = bed.track(stClient(srv, { topics: [STREAM_A], maxInboundBytes: 4096, store: { ...inner, commit: async (c) => (await sleep(3), inner.commit(c)) } }));
    await r.client.connect();
    await until(() => r.events.some((e) => e.type === 'caught_up'), 'caught up');
    for (let i = 0; i < 300; i++) srv.publish(STREAM_A, [{ payload: { i, pad: 'p'.repeat(400) } }]);
    await until(() => seqsOf(r, STREAM_A).length === 300, 'all applied', 20_000);
    expect(seqsOf(r, STREAM_A)).toEqual(range(1, 300));
    expect(r.client.getMetrics().inboundPauses).toBeGreaterThan(0);
    expect(r.errors).toEqual([]);
  });
});
