import { describe, expect, it } from 'vitest';
import { SyncClient } from '../../src/client/sync-client.js';
import { startReferenceServer } from '../../src/server/index.js';
import { startFaultProxy } from '../../src/testing.js';
import { pointRandom } from '../../src/testing/seeded-random.js';
import { proxyRig, until } from './proxy-rig.js';
import { tokenEndpoint } from '../../src/http.js';

const rig = proxyRig();

describe('a SyncClient through the fault proxy', () => {
  it('a SyncClient converges through the proxy under in-contract faults (one copy of each doubled batch lost)', async () => {
    const server = (rig.server = await startReferenceServer({ port: 0, maxBatchSize: 5 }));
    for (let i = 0; i < 60; i++) server.publish('runtime.run_summaries', [{ docKey: `d${i % 7}`, payload: { i } }]);
    // Drop exactly one of the two copies of each batch (which one is drawn per batch), duplicate others.
    const proxy = await startFaultProxy({
      target: server.url,
      seed: 5,
      rules: {
        toClient: {
          match: (f) => f.batch !== undefined && (pointRandom(5, f.batch.seq) < 0.5) === (f.event === 'sync:frame'),
          dropRate: 1,
        },
      },
    });
    rig.proxies.push(proxy);
    const client = new SyncClient({ url: proxy.url, token: tokenEndpoint({ url: proxy.via(server.tokenUrl) }), topics: ['runtime.run_summaries'], reconnectDelay: () => 20 });
    const applied: number[] = [];
    client.on('updates', (b) => applied.push(...b.updates.map((u) => u.watermark)));
    await client.connect();
    await until(() => client.getWatermark('runtime.run_summaries') === 60 && client.status === 'live', 'caught up');
    for (let i = 0; i < 20; i++) server.publish('runtime.run_summaries', [{ docKey: `d${i % 7}`, payload: { live: i } }]);
    await until(() => client.getWatermark('runtime.run_summaries') === 80, 'live');
    expect(applied).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    expect(proxy.stats().toClient.dropped).toBeGreaterThanOrEqual(12 + 4);
    await client.close();
  });
});
