import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SyncClient } from '../../src/client/sync-client.js';
import { createMemoryStore } from '../../src/watermarks/memory-store.js';
import { ensureBuilt } from '../cli/built-cli.js';
import { until } from '../client/harness.js';
import { FLOOD_TOPIC, floodServer, type FloodServer } from './flood-server.js';

interface FloodResult {
  baselineMiB: number;
  peakMiB: number;
  growthMiB: number;
  applied: number;
  inOrder: boolean;
  pauses: number;
  errors: string[];
}

/** Run the client in its own process (so its RSS is its own) against `srv`. */
function runClient(srv: FloodServer, count: number): Promise<FloodResult> {
  const script = fileURLToPath(new URL('./flood-client.mjs', import.meta.url));
  const child = spawn(process.execPath, ['--expose-gc', script, srv.url, FLOOD_TOPIC, String(count)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  return new Promise((resolve, reject) =>
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`flood client exited ${code}: ${err}`));
      resolve(JSON.parse(out) as FloodResult);
    }),
  );
}

let srv: FloodServer | undefined;
let client: SyncClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
  await srv?.close();
  srv = undefined;
});

describe('backpressure: a flood against a slow store stays bounded', () => {
  it('20,000 × 10 KB frames against a store whose commit takes 2 ms: RSS grows < 64 MiB, every update applied once, in order', async () => {
    ensureBuilt();
    srv = await floodServer({ count: 20_000 });
    const r = await runClient(srv, 20_000);
    // Measured before the budget: +254 MiB (19,000 frames queued, and every handled frame kept).
    expect(r.applied).toBe(20_000);
    expect(r.inOrder).toBe(true);
    expect(r.pauses).toBeGreaterThan(0);
    expect(r.errors).toEqual([]);
    expect(r.growthMiB).toBeLessThan(64);
    expect(srv.accepted).toBe(1);
  }, 180_000);
});

describe('backpressure: eviction as a slow consumer', () => {
  it('a paused client the server evicts (slow_consumer disconnect) drains, reconnects no sooner than asked and resumes from its watermark', async () => {
    const count = 2_000;
    srv = await floodServer({ count, evictAfterBlockedMs: 40 });
    const inner = createMemoryStore();
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    client = new SyncClient({
      url: srv.url,
      token: 't',
      topics: [FLOOD_TOPIC],
      reconnectDelay: () => 10,
      store: { ...inner, commit: async (c) => (await sleep(2), inner.commit(c)) },
    });
    const seqs: number[] = [];
    const errors: string[] = [];
    let evictedAt = 0;
    client.on('updates', (b) => seqs.push(...b.updates.map((u) => u.watermark)));
    client.on('error', (e) => {
      errors.push(e.code);
      if (e.code === 'slow_consumer') evictedAt = Date.now();
    });
    client.connect();
    await until(() => seqs.length >= count, 'every update applied', 60_000);
    expect(srv.evicted).toBe(1);
    expect(errors).toContain('slow_consumer');
    expect(srv.accepted).toBe(2);
    expect(srv.resumes[0]).toBeUndefined();
    expect(srv.resumes[1]).toBeGreaterThan(0);
    // SPEC R10: no sooner than reconnect_after_ms (200 here), counted from when the client read it.
    expect(srv.acceptedAt[1]! - evictedAt).toBeGreaterThanOrEqual(190);
    expect(seqs).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    expect(client.getMetrics().inboundPauses).toBeGreaterThan(0);
  }, 90_000);
});
