import { IDBFactory } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { BrowserSync } from '../../src/browser/browser-sync.js';
import { MAX_HYDRATIONS_IN_FLIGHT } from '../../src/client/hydration-scheduler.js';
import { SyncClient } from '../../src/client/sync-client.js';
import { clientMetrics } from '../../src/observability/client-metrics.js';
import type { SyncClientOptions } from '../../src/client/options.js';
import type { KhalaSyncError } from '../../src/errors/index.js';
import { until } from '../client/harness.js';
import { hostileServer, joinOk, push, subscribeThenSend, type HostileServer } from './hostile-server.js';
import { json, recordingServer } from './recording-server.js';
import { httpHydrator } from '../../src/http.js';

// What a hostile server can make the client hold: names it makes up (topics in errors and
// heartbeats) must not become entries the client keeps. Sizes nothing public shows are read
// white-box, the way the inbound queue's are (test/client/inbound-queue.test.ts).

const TOPIC = 'runtime.run_summaries';
const GHOSTS = 2000;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function watched(options: SyncClientOptions): { client: SyncClient; errors: KhalaSyncError[] } {
  const client = new SyncClient({ reconnectDelay: () => 20, ...options });
  const errors: KhalaSyncError[] = [];
  client.on('error', (e) => errors.push(e));
  cleanups.push(() => client.close());
  return { client, errors };
}

/** A Khala server that joins, answers subscribes, then sends the given raw frames. */
async function scripted(frames: () => string[]): Promise<HostileServer> {
  const srv = await subscribeThenSend(frames);
  cleanups.push(() => srv.close());
  return srv;
}

const pushedError = (topic: string, i: number): string => JSON.stringify([null, null, 'sync:v1', 'sync:error', { code: 'ghost_code', topic, message: `ghost ${i}` }]);

describe('a hostile server cannot grow per-topic state with topic names it makes up', () => {
  it(`errors naming ${GHOSTS} unsubscribed topics, and a subscribed live one: whenLive keeps none (only a failed topic's cause)`, async () => {
    const frames = [...Array.from({ length: GHOSTS }, (_, i) => pushedError(`ghost.${i}`, i)), pushedError(TOPIC, -1)];
    const srv = await scripted(() => frames);
    const w = watched({ url: srv.url, token: 't0ken', topics: [TOPIC] });
    await w.client.connect();
    await until(() => w.errors.filter((e) => e.code === 'internal').length === GHOSTS + 1, 'every pushed error reported');
    const topicErrors = (w.client as unknown as { live: { topicErrors?: Map<string, KhalaSyncError> } }).live.topicErrors;
    expect(topicErrors?.size ?? 0).toBe(0);
  });

  it(`a heartbeat naming ${GHOSTS} unsubscribed topics: health learns the subscribed topic's head only`, async () => {
    const watermarks = [{ topic: TOPIC, watermark: 7 }, ...Array.from({ length: GHOSTS }, (_, i) => ({ topic: `ghost.${i}`, watermark: i }))];
    const srv = await scripted(() => [JSON.stringify([null, null, 'sync:v1', 'sync:heartbeat', { watermarks }])]);
    const w = watched({ url: srv.url, token: 't0ken', topics: [TOPIC], metrics: clientMetrics() });
    let beats = 0;
    w.client.on('heartbeat', () => beats++);
    await w.client.connect();
    await until(() => beats > 0, 'heartbeat received');
    expect(w.client.metrics!.health().topics.map((t) => [t.topic, t.serverHead])).toEqual([[TOPIC, 7]]);
    const heads = (w.client.metrics as unknown as { tracker: { heads?: Map<string, number> } }).tracker.heads;
    expect([...(heads?.keys() ?? [])]).toEqual([TOPIC]);
  });

  it(`BrowserSync: heartbeats naming ${GHOSTS} unsubscribed topics leave serverHeads() (relayed to every tab) with the app's topics only`, async () => {
    const heartbeat = (n: number): string => {
      const watermarks = [{ topic: TOPIC, watermark: n }, ...Array.from({ length: GHOSTS / 2 }, (_, i) => ({ topic: `ghost.${n}.${i}`, watermark: i }))];
      return JSON.stringify([null, null, 'sync:v1', 'sync:heartbeat', { watermarks }]);
    };
    const srv = await subscribeThenSend(() => [heartbeat(1), heartbeat(2)]);
    cleanups.push(() => srv.close());
    const global = globalThis as { indexedDB?: IDBFactory };
    global.indexedDB = new IDBFactory();
    cleanups.push(() => void delete global.indexedDB);
    const sync = new BrowserSync({ client: { url: srv.url, token: 't0ken', topics: [TOPIC], reconnectDelay: () => 20 }, multiTab: false, lifecycle: false });
    cleanups.push(() => sync.close());
    let beats = 0;
    sync.on('heads', () => beats++);
    await sync.start();
    await until(() => beats === 2, 'two heartbeats');
    expect(sync.serverHeads()).toEqual({ [TOPIC]: 2 });
  });
});

describe('unsubscribed topics leave no per-topic state behind', () => {
  it('500 topics subscribed, applied, heard in heartbeats and unsubscribed: the driver, health and metrics keep only the topic still subscribed', async () => {
    // Answers every subscribe ok, then sends one update and a heartbeat for each topic in it.
    const srv = await hostileServer((frame, socket) => {
      if (joinOk(frame, socket)) return;
      const [joinRef, ref, channel, event, payload] = frame;
      if (event !== 'sync:subscribe') return;
      push(socket, [joinRef, ref, channel, 'phx_reply', { status: 'ok', response: { current_watermarks: [] } }]);
      const topics = payload['topics'] as string[];
      for (const topic of topics) push(socket, [null, null, channel, 'sync:update_batch', { updates: [{ topic, doc_key: 'd', doc_version: 1, payload: { n: 1 }, watermark: 1 }], replay_complete: true }]);
      push(socket, [null, null, channel, 'sync:heartbeat', { watermarks: topics.map((topic) => ({ topic, watermark: 1 })) }]);
    });
    cleanups.push(() => srv.close());
    const w = watched({ url: srv.url, token: 't0ken', topics: [TOPIC], metrics: clientMetrics() });
    await w.client.connect();
    await w.client.whenLive();
    const churn = Array.from({ length: 500 }, (_, i) => `churn.${i}`);
    await w.client.subscribe(churn);
    await w.client.whenLive(churn);
    await until(() => w.client.metrics!.health().topics.every((t) => t.serverHead === 1 && t.lastAppliedAt !== null), 'heads and applies of every topic');
    await w.client.unsubscribe(churn);
    const inner = w.client as unknown as { driver: { sent: Map<string, { at: number; after: number }> } };
    const tracker = (w.client.metrics as unknown as { tracker: { heads?: Map<string, number>; appliedAt?: Map<string, number> } }).tracker;
    expect([...inner.driver.sent.keys()]).toEqual([TOPIC]);
    expect(Object.keys(w.client.getMetrics().timeToCaughtUpMs)).toEqual([TOPIC]);
    expect([...(tracker.heads?.keys() ?? [])]).toEqual([TOPIC]);
    expect([...(tracker.appliedAt?.keys() ?? [])]).toEqual([TOPIC]);
  });
});

describe('a server-chosen count does not open requests without bound', () => {
  it('a batch of 100 pointer-mode updates hydrates every document with at most MAX_HYDRATIONS_IN_FLIGHT requests at once', async () => {
    const COUNT = 100;
    let open = 0;
    let most = 0;
    const http = await recordingServer((req, res) => {
      most = Math.max(most, ++open);
      const docKey = decodeURIComponent(req.url!.split('/').pop()!);
      setTimeout(() => {
        open--;
        json(res, 200, { doc_key: docKey, doc_version: 1, payload: { body: docKey } });
      }, 20);
    });
    cleanups.push(() => http.close());
    const updates = Array.from({ length: COUNT }, (_, i) => ({ topic: TOPIC, doc_key: `p${i}`, doc_version: 1, payload: null, hydration_required: true, watermark: i + 1 }));
    const srv = await subscribeThenSend(() => [JSON.stringify([null, null, 'sync:v1', 'sync:update_batch', { updates, replay_complete: true }])]);
    cleanups.push(() => srv.close());
    const w = watched({ url: srv.url, token: 't0ken', topics: [TOPIC], hydrator: httpHydrator({ baseUrl: http.origin }) });
    await w.client.connect();
    await until(() => w.client.listDocuments(TOPIC).filter((d) => !d.hydrationPending).length === COUNT, 'every document hydrated');
    expect(http.requests).toHaveLength(COUNT);
    expect(most).toBe(MAX_HYDRATIONS_IN_FLIGHT);
    expect(w.client.getMetrics().hydrationFetches).toBe(COUNT);
  });
});
