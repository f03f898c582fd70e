import fc from 'fast-check';
import type { Lane } from '../../src/adapters/lane.js';
import { SyncClient } from '../../src/client/sync-client.js';
import { createMemoryNetwork, type MemoryPeer } from '../../src/transport/memory-transport.js';
import type { SyncStore } from '../../src/watermarks/store.js';
import { mutateAll, mutationsArb, type Mutation } from './mutate.js';
import type { Seed, SeedContext } from './seeds.js';
import { digestsSettled } from '../../conformance/runner/digests.js';

/** One lane as the fuzzer drives it. */
export interface LaneFuzz {
  topic: string;
  lane: Lane | undefined;
  seeds: Seed[];
  /** Answer a freshly dialled connection like a quiet server; `ids` are our subscribe's. */
  serve(peer: MemoryPeer, ids: { requestId: number; queryId: number }): void;
}

/** One generated frame: a seed, where it starts against the cursor (behind: a replay), and its mutations. */
export interface FrameSpec {
  seed: number;
  ahead: number;
  mutations: Mutation[];
}

/** 1 frame in 4 is left intact, so that cursors do move and later frames meet a real state. */
export function framesArb(seeds: number, perRun: number): fc.Arbitrary<FrameSpec[]> {
  const spec = fc.record({ seed: fc.nat({ max: seeds - 1 }), ahead: fc.integer({ min: -3, max: 2 }), mutations: fc.oneof({ weight: 1, arbitrary: fc.constant<Mutation[]>([]) }, { weight: 3, arbitrary: mutationsArb(3) }) });
  return fc.array(spec, { minLength: perRun, maxLength: perRun });
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const TERMINAL = new Set(['closed', 'upgrade_required', 'auth_required']);
const JOINED = new Set(['replaying', 'live', 'failed']);

/** A forbidden own key or a non-plain prototype anywhere in `v`, as a path; undefined when clean. */
export function forbiddenIn(v: unknown, path = '$'): string | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) return `${path} (prototype changed)`;
  for (const k of Object.keys(v)) {
    if (FORBIDDEN.has(k)) return `${path}.${k}`;
    const bad = forbiddenIn((v as Record<string, unknown>)[k], `${path}.${k}`);
    if (bad !== undefined) return bad;
  }
  return undefined;
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A few event-loop turns, restarted after any WebCrypto digest (`verifyAll`) they had to wait for. */
async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    await turn();
    if (await digestsSettled()) i = -1;
  }
}

/**
 * Feed `frames` to a fresh client on `store` (real lane session, real replay driver) and check
 * after each one (`verifyAll`: socket bodies hashed too, another decode path): a frame the client refused left the cursor where it was; nothing the app saw
 * or can read carries a prototype key. Throws the first violation with the frame that caused it.
 */
export async function fuzzRun(lf: LaneFuzz, frames: FrameSpec[], store: SyncStore, verifyAll = false): Promise<{ frames: number; applied: number; refused: number }> {
  const net = createMemoryNetwork();
  const ids = { requestId: 1, queryId: 1 };
  net.onConnection = (peer) => lf.serve(peer, ids);
  const client = new SyncClient({ url: 'ws://127.0.0.1:1/sync/socket/websocket', token: 'fuzz', topics: [lf.topic], store, transport: net.factory, reconnectDelay: () => 0, verifyPayloadHash: verifyAll ? 'all' : 'fetched', ...(lf.lane ? { lane: lf.lane } : {}) });
  let leak: string | undefined;
  client.on('updates', (b) => (leak ??= forbiddenIn(b.updates.map((u) => u.payload))));
  client.on('hydrated', (d) => (leak ??= forbiddenIn(d.payload)));
  client.on('error', () => undefined);
  let fed = 0;
  let counts = client.getMetrics();
  try {
    await client.connect();
    for (const f of frames) {
      for (let i = 0; i < 50 && !(JOINED.has(client.status) && net.peers.at(-1)?.closed === false); i++) await turn();
      if (TERMINAL.has(client.status)) break;
      const before = client.getWatermark(lf.topic);
      const rejected = client.getMetrics().framesRejected;
      const c: SeedContext = { seq: Math.max(1, (before ?? 0) + 1 + f.ahead), ...ids };
      const text = mutateAll(lf.seeds[f.seed]!(c), f.mutations);
      net.peers.at(-1)!.push(text);
      fed++;
      await settle();
      const after = client.getWatermark(lf.topic);
      if (client.getMetrics().framesRejected > rejected && after !== before) throw new Error(`refused frame moved the watermark ${before} → ${after}: ${text.slice(0, 300)}`);
      if (leak !== undefined) throw new Error(`forbidden key reached the app at ${leak}: ${text.slice(0, 300)}`);
    }
    for (const d of client.listDocuments(lf.topic)) {
      const bad = forbiddenIn(d.payload);
      if (bad !== undefined) throw new Error(`forbidden key in a stored document at ${bad}`);
    }
    const durable = (await store.load([lf.topic])).watermarks[lf.topic];
    if (durable !== client.getWatermark(lf.topic)) throw new Error(`durable watermark ${durable} ≠ in-memory ${client.getWatermark(lf.topic)}`);
    if ((Object.prototype as Record<string, unknown>)['polluted'] !== undefined) throw new Error('Object.prototype polluted');
  } finally {
    counts = client.getMetrics();
    await client.close();
  }
  return { frames: fed, applied: counts.applied, refused: counts.framesRejected };
}
