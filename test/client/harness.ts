import { startReferenceServer, type ReferenceServer, type ReferenceServerOptions } from '../../src/server/index.js';
import { SyncClient } from '../../src/client/sync-client.js';
import type { SyncClientOptions } from '../../src/client/options.js';
import type { KhalaSyncError } from '../../src/errors/index.js';
import { tokenEndpoint } from '../../src/http.js';

export const RUNS = 'runtime.run_summaries';
export const WORKERS = 'runtime.codex_worker_summaries';
export const EVENTS = 'runtime.codex_worker_events';

/** A client wired to record everything it reports. */
export interface Recorded {
  client: SyncClient;
  applied: Array<{ topic: string; seq: number }>;
  errors: KhalaSyncError[];
  statuses: string[];
  events: Array<{ type: string; topic?: string; reason?: string }>;
}

export async function server(options: ReferenceServerOptions = {}): Promise<ReferenceServer> {
  return startReferenceServer({ port: 0, ...options });
}

export function record(srv: ReferenceServer, options: Partial<SyncClientOptions> = {}): Recorded {
  return recordClient(new SyncClient({ url: srv.url, token: tokenEndpoint({ url: srv.tokenUrl }), reconnectDelay: () => 20, ...options }));
}

/** Wire any client (either lane) to record what it reports. */
export function recordClient(client: SyncClient): Recorded {
  const r: Recorded = { client, applied: [], errors: [], statuses: [], events: [] };
  client.on('updates', (b) => r.applied.push(...b.updates.map((u) => ({ topic: u.topic, seq: u.watermark }))));
  client.on('error', (e) => r.errors.push(e));
  client.on('status', (s) => r.statuses.push(s));
  client.on('caught_up', (c) => r.events.push({ type: 'caught_up', topic: c.topic }));
  client.on('stale', (c) => r.events.push({ type: 'stale', topic: c.topic, reason: c.reason }));
  client.on('bootstrap', (c) => r.events.push({ type: 'bootstrap', topic: c.topic }));
  return r;
}

/** Resolve when `ok()` holds, checking on every client event and every 10 ms. */
export function until(ok: () => boolean, what = 'condition', timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = (): void => {
      if (ok()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

export function publishRange(srv: ReferenceServer, topic: string, count: number, docs = 10, prefix = 'doc'): void {
  for (let i = 0; i < count; i++) srv.publish(topic, [{ docKey: `${prefix}:${i % docs}`, payload: { i, text: 'é日本🙂' } }]);
}

/** The client's documents of `topic` equal the server's, version and body. */
export function converged(srv: ReferenceServer, client: SyncClient, topic: string): boolean {
  const want = srv.documents(topic);
  const have = client.listDocuments(topic);
  if (want.size !== have.length) return false;
  return have.every((d) => {
    const w = want.get(d.docKey);
    return w !== undefined && w.docVersion === d.docVersion && JSON.stringify(w.payload) === JSON.stringify(d.payload);
  });
}

export function seqs(r: Recorded, topic: string): number[] {
  return r.applied.filter((a) => a.topic === topic).map((a) => a.seq);
}

export function noDuplicates(list: number[]): boolean {
  return new Set(list).size === list.length;
}
