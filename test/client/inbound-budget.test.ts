import { afterEach, describe, expect, it } from 'vitest';
import { InboundQueue } from '../../src/client/inbound-queue.js';
import type { ReplayDriver } from '../../src/client/replay-driver.js';
import { SyncClient } from '../../src/client/sync-client.js';
import type { KhalaSyncError } from '../../src/errors/index.js';
import { clientMetrics } from '../../src/observability/client-metrics.js';
import { createMemoryNetwork, type MemoryPeer } from '../../src/transport/memory-transport.js';
import type { TransportFactory } from '../../src/transport/transport.js';
import { createMemoryStore } from '../../src/watermarks/memory-store.js';
import type { SyncStore } from '../../src/watermarks/store.js';
import { FLOOD_TOPIC, floodFrame } from '../backpressure/flood-server.js';
import { until } from './harness.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const PAD = 'p'.repeat(1000);
const COUNT = 300;

/** A Khala server on a memory peer: join ok, and a subscribe answered with frames after its cursor. */
function serve(peer: MemoryPeer, subscribes: Array<number | undefined>): void {
  peer.onClientMessage = (text) => {
    const frame = JSON.parse(text) as [unknown, unknown, string, string, { resume_after?: Record<string, number> }];
    const ok = (response: object): void => peer.push(JSON.stringify([frame[0], frame[1], frame[2], 'phx_reply', { status: 'ok', response }]));
    if (frame[3] === 'phx_join') ok({ current_watermarks: [] });
    else if (frame[3] === 'sync:heartbeat') ok({ watermarks: [] });
    else if (frame[3] === 'sync:subscribe') {
      const after = frame[4].resume_after?.[FLOOD_TOPIC];
      subscribes.push(after);
      ok({ current_watermarks: [] });
      for (let seq = (after ?? 0) + 1; seq <= COUNT; seq++) peer.push(floodFrame(seq, PAD));
    }
  };
}

function slowStore(ms: number): SyncStore {
  const inner = createMemoryStore();
  return { ...inner, commit: async (c) => (await sleep(ms), inner.commit(c)) };
}

const clients: SyncClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});

function start(transport: TransportFactory, store: SyncStore, extra: { deadAfterMs?: number } = {}): { client: SyncClient; seqs: number[]; errors: KhalaSyncError[] } {
  const client = new SyncClient({ url: 'ws://127.0.0.1:1/sync/socket/websocket', token: 't', topics: [FLOOD_TOPIC], store, transport, maxInboundBytes: 8 * 1024, reconnectDelay: () => 10, metrics: clientMetrics(), ...extra });
  clients.push(client);
  const seqs: number[] = [];
  const errors: KhalaSyncError[] = [];
  client.on('updates', (b) => seqs.push(...b.updates.map((u) => u.watermark)));
  client.on('error', (e) => errors.push(e));
  client.connect();
  return { client, seqs, errors };
}

const inOrderOnce = (seqs: number[]): boolean => seqs.length === COUNT && seqs.every((s, i) => s === i + 1);

function pausedGauge(client: SyncClient): number | undefined {
  return client.metrics!.snapshot().metrics.find((m) => m.def.name === 'khala_sync.inbound.paused')?.samples[0]?.value;
}

describe('inbound budget', () => {
  it('InboundQueue reports over budget above high water (never for one frame) and relief at low water, once each', async () => {
    const events: Array<[boolean, number]> = [];
    const gates: Array<() => void> = [];
    const q: InboundQueue = new InboundQueue(
      () => q.chain(() => new Promise<void>((r) => gates.push(r))),
      () => true,
      { highWater: 350, lowWater: 175, onPressure: (over) => events.push([over, q.bytes]) },
    );
    q.push('big', 1000);
    expect(events).toEqual([]);
    for (let i = 0; i < 9; i++) q.push(`f${i}`, 100);
    expect(events).toEqual([[true, 400]]);
    for (let i = 0; i < 8; i++) {
      expect(events.length).toBe(1);
      gates.shift()!();
      await sleep(0);
    }
    expect(events).toEqual([
      [true, 400],
      [false, 100],
    ]);
    while (gates.length > 0) {
      gates.shift()!();
      await sleep(0);
    }
    expect(events.length).toBe(2);
    expect(q.bytes).toBe(0);
  });

  it('a pausable socket is paused above maxInboundBytes and resumed below half; every update applied once, in order', async () => {
    const net = createMemoryNetwork();
    const subscribes: Array<number | undefined> = [];
    net.onConnection = (peer) => serve(peer, subscribes);
    let sawPaused = false;
    let sawGauge = false;
    let maxBacklog = 0;
    const inner = slowStore(1);
    const store: SyncStore = {
      ...inner,
      commit: async (c) => {
        sawPaused ||= net.peers[0]!.paused;
        sawGauge ||= pausedGauge(client) === 1;
        maxBacklog = Math.max(maxBacklog, client.metrics!.snapshot().metrics.find((m) => m.def.name === 'khala_sync.inbound.queue.size')!.samples[0]!.value);
        await inner.commit(c);
      },
    };
    const { client, seqs, errors } = start(net.factory, store);
    await until(() => seqs.length === COUNT, 'all applied');
    expect(inOrderOnce(seqs)).toBe(true);
    expect(sawPaused).toBe(true);
    expect(sawGauge).toBe(true);
    // 8 KiB budget, ~1.1 KB frames: the backlog never exceeds the budget by more than one frame.
    expect(maxBacklog).toBeLessThanOrEqual(8 * 1024 + 1200);
    expect(client.getMetrics().inboundPauses).toBeGreaterThan(0);
    expect(net.peers[0]!.paused).toBe(false);
    expect(pausedGauge(client)).toBe(0);
    expect(errors).toEqual([]);
    expect(subscribes).toEqual([undefined]);
  });

  it('a socket that cannot pause (browser): inbound_overflow, the held frames applied, then a reconnect from the watermark; nothing lost or doubled', async () => {
    const net = createMemoryNetwork();
    const subscribes: Array<number | undefined> = [];
    net.onConnection = (peer) => serve(peer, subscribes);
    const unpausable: TransportFactory = (url, handlers, options) => {
      const { pause: _p, resume: _r, ...rest } = net.factory(url, handlers, options);
      return rest;
    };
    const { client, seqs, errors } = start(unpausable, slowStore(1));
    await until(() => seqs.length === COUNT, 'all applied', 20_000);
    expect(inOrderOnce(seqs)).toBe(true);
    expect(errors.map((e) => e.code)).toContain('inbound_overflow');
    expect(errors.every((e) => e.code === 'inbound_overflow' && e.retryable)).toBe(true);
    expect(net.peers.length).toBeGreaterThan(1);
    // Each reconnect resumed from what was durable, strictly further each time.
    expect(subscribes[0]).toBeUndefined();
    const resumes = subscribes.slice(1) as number[];
    expect(resumes.every((w, i) => w > 0 && (i === 0 || w > resumes[i - 1]!))).toBe(true);
    expect(client.getMetrics().inboundOverflows).toBe(subscribes.length - 1);
  });

  it('an apply barrier (a consumer that is behind) holds the apply chain, pauses the socket, and the dead-socket watchdog waits', async () => {
    const net = createMemoryNetwork();
    const subscribes: Array<number | undefined> = [];
    net.onConnection = (peer) => serve(peer, subscribes);
    const { client, seqs, errors } = start(net.factory, createMemoryStore(), { deadAfterMs: 150 });
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const driver = (client as unknown as { driver: ReplayDriver }).driver;
    const remove = driver.addApplyBarrier(() => gate);
    await until(() => net.peers[0]?.paused === true, 'socket paused');
    expect(seqs).toEqual([1]);
    // Far longer than deadAfterMs without reading: not declared dead, no reconnect.
    await sleep(600);
    expect(seqs).toEqual([1]);
    expect(errors).toEqual([]);
    expect(net.peers.length).toBe(1);
    remove();
    open();
    await until(() => seqs.length === COUNT, 'all applied');
    expect(inOrderOnce(seqs)).toBe(true);
    expect(net.peers[0]!.paused).toBe(false);
  });
});
