import { afterEach, describe, expect, it } from 'vitest';
import type { ReferenceServer } from '../../src/server/index.js';
import type { AppliedBatch } from '../../src/replay/events.js';
import type { KhalaSyncError } from '../../src/errors/index.js';
import { EVENTS, publishRange, record, RUNS, server, until, type Recorded } from './harness.js';

let srv: ReferenceServer;
const open: Recorded[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.client.close();
  await srv?.close();
});

function client(options: Parameters<typeof record>[1] = {}): Recorded {
  const r = record(srv, options);
  open.push(r);
  return r;
}

const seqsOf = (batches: AppliedBatch[]): number[] => batches.flatMap((b) => b.updates.map((u) => u.watermark));
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('client.updates() async iteration over a real socket', () => {
  it('yields the chosen topics in order, live updates included; break releases the listener', async () => {
    srv = await server();
    publishRange(srv, RUNS, 30);
    publishRange(srv, EVENTS, 5);
    const r = client({ topics: [RUNS, EVENTS] });
    const listeners = r.client.listenerCount('updates');
    const got: AppliedBatch[] = [];
    const consumed = (async () => {
      for await (const batch of r.client.updates({ topics: RUNS })) {
        got.push(batch);
        if (seqsOf(got).at(-1) === 40) break;
      }
    })();
    expect(r.client.listenerCount('updates')).toBe(listeners + 1);
    await r.client.connect();
    await r.client.whenLive();
    publishRange(srv, RUNS, 10, 10, 'live');
    await consumed;
    expect(got.every((b) => b.topic === RUNS)).toBe(true);
    expect(seqsOf(got)).toEqual(range(1, 40));
    expect(got.at(-1)!.replayed).toBe(false);
    expect(r.client.listenerCount('updates')).toBe(listeners);
  });

  it('a consumer that stops pulling holds the apply chain, the inbound budget pauses the socket, and nothing is lost when it resumes', async () => {
    srv = await server({ maxBatchSize: 5 });
    const r = client({ topics: [RUNS], maxInboundBytes: 4096 });
    await r.client.connect();
    await r.client.whenLive();
    const it = r.client.updates({ bufferSize: 2 });
    publishRange(srv, RUNS, 400, 50, 'flood');
    // Nobody pulls: the buffer fills (2 batches) and the chain waits on the third.
    await until(() => r.client.getMetrics().inboundPauses > 0, 'socket paused');
    const held = r.client.getWatermark(RUNS)!;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(r.client.getWatermark(RUNS)).toBe(held);
    expect(held).toBeLessThan(400);
    const got: AppliedBatch[] = [];
    for await (const batch of it) {
      got.push(batch);
      if (seqsOf(got).at(-1) === 400) break;
    }
    expect(seqsOf(got)).toEqual(range(1, 400));
    expect(r.client.getWatermark(RUNS)).toBe(400);
    expect(r.errors).toEqual([]);
  });

  it('an abort drops the buffer, rejects next() once with aborted, then is done; the apply chain and the listener are released', async () => {
    srv = await server({ maxBatchSize: 5 });
    const r = client({ topics: [RUNS] });
    await r.client.connect();
    await r.client.whenLive();
    const listeners = r.client.listenerCount('updates');
    const ac = new AbortController();
    const it = r.client.updates({ bufferSize: 1, signal: ac.signal });
    publishRange(srv, RUNS, 50);
    await until(() => r.client.getWatermark(RUNS) !== undefined, 'first batch');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(r.client.getWatermark(RUNS)).toBeLessThan(50); // held by the full buffer
    ac.abort(new Error('view closed'));
    const err = await it.next().then(
      () => undefined,
      (e: KhalaSyncError) => e,
    );
    expect(err?.code).toBe('aborted');
    expect(err?.name).toBe('AbortError');
    await expect(it.next()).resolves.toEqual({ value: undefined, done: true });
    await until(() => r.client.getWatermark(RUNS) === 50, 'chain released');
    expect(r.client.listenerCount('updates')).toBe(listeners);
  });

  it('close() ends the iteration after the buffered batches; an iterator made after close is done', async () => {
    srv = await server();
    publishRange(srv, RUNS, 3);
    const r = client({ topics: [RUNS] });
    const it = r.client.updates();
    await r.client.connect();
    await r.client.whenLive();
    await r.client.close();
    const got: AppliedBatch[] = [];
    for await (const batch of it) got.push(batch);
    expect(seqsOf(got)).toEqual([1, 2, 3]);
    await expect(r.client.updates().next()).resolves.toEqual({ value: undefined, done: true });
    expect(() => r.client.updates({ bufferSize: 0 })).toThrow(/bufferSize/);
  });
});
