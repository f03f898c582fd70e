import { afterEach, beforeEach, expect } from 'vitest';
import type { WebSocket } from 'ws';
import { SyncClient } from '../../src/client/sync-client.js';
import type { SyncClientOptions } from '../../src/client/options.js';
import type { KhalaSyncError } from '../../src/errors/index.js';
import { until } from '../client/harness.js';
import { hostileServer, joinOk, push, type HostileServer } from './hostile-server.js';

/** The topic every bad-input table runs on. */
export const TOPIC = 'runtime.run_summaries';

/** One bad input: built for the next watermark `n` (so that a wrongly accepted one would apply). */
export interface BadInput {
  name: string;
  make: (n: number) => string | Buffer;
  /** The `error` code expected for it; null: nothing is reported (ignored per the protocol). */
  code: string | null;
}

/** What one bad input did, observed after a good batch sent behind it was applied. */
export interface Outcome {
  codes: string[];
  /** The bad input's watermark reached the app or the cursor. */
  applied: boolean;
  /** A document other than the good batch's one changed. */
  documentsChanged: boolean;
  /** The client dialled again (the bad input cost the connection). */
  reconnected: boolean;
}

/** A good update at watermark `n` (its document is `ok`, so bad inputs' documents stay apart). */
export function update(n: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { topic: TOPIC, doc_key: 'bad', doc_version: n, payload: { n }, watermark: n, ...extra };
}

/**
 * A Khala server on loopback (closed by `cleanups`) that answers each subscribe ok, then pushes
 * `updates` as one replay-complete batch.
 */
export async function batchOnSubscribe(cleanups: Array<() => Promise<void>>, updates: unknown[]): Promise<HostileServer> {
  const srv = await hostileServer((frame, socket) => {
    if (joinOk(frame, socket)) return;
    const [joinRef, ref, topic, event] = frame;
    if (event !== 'sync:subscribe') return;
    push(socket, [joinRef, ref, topic, 'phx_reply', { status: 'ok', response: {} }]);
    push(socket, [joinRef, null, topic, 'sync:update_batch', { updates, replay_complete: true }]);
  });
  cleanups.push(() => srv.close());
  return srv;
}

/** A `sync:update_batch` push. */
export function batch(updates: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify([null, null, 'sync:v1', 'sync:update_batch', { updates, replay_complete: true, head_watermarks: [], ...extra }]);
}

/**
 * A Khala server on loopback that joins and answers every subscribe ok, and a client on it that is
 * live: `probe(bad)` sends one bad input, then a good batch, and says what the bad one did.
 */
export async function liveKhala(options: Partial<SyncClientOptions> = {}): Promise<{ server: HostileServer; client: SyncClient; probe(bad: BadInput): Promise<Outcome>; close(): Promise<void> }> {
  let socket: WebSocket | undefined;
  const server = await hostileServer((frame, ws) => {
    if (joinOk(frame, ws)) return;
    const [joinRef, ref, topic, event] = frame;
    if (event === 'sync:subscribe') {
      socket = ws;
      push(ws, [joinRef, ref, topic, 'phx_reply', { status: 'ok', response: { current_watermarks: [] } }]);
    }
  });
  const client = new SyncClient({ url: server.url, token: 't0ken', topics: [TOPIC], reconnectDelay: () => 20, ...options });
  const errors: KhalaSyncError[] = [];
  const applied = new Set<number>();
  client.on('error', (e) => errors.push(e));
  client.on('updates', (b) => b.updates.forEach((u) => applied.add(u.watermark)));
  await client.connect();
  await until(() => client.status === 'live', 'live');
  let cursor = 0;
  const good = async (n: number): Promise<void> => {
    socket!.send(batch([{ ...update(n), doc_key: 'ok' }]));
    await until(() => client.getWatermark(TOPIC) === n, `good batch ${n}`, 3000);
    cursor = n;
  };
  await good(1);
  const documents = (): string => JSON.stringify(client.listDocuments(TOPIC).filter((d) => d.docKey !== 'ok'));
  return {
    server,
    client,
    async probe(bad) {
      const n = cursor + 1;
      const seen = errors.length;
      const accepted = server.accepted;
      const before = documents();
      const input = bad.make(n);
      if (typeof input === 'string') socket!.send(input);
      else socket!.send(input, { binary: true });
      await good(n + 1);
      return { codes: errors.slice(seen).map((e) => e.code), applied: applied.has(n), documentsChanged: documents() !== before, reconnected: server.accepted !== accepted };
    },
    async close() {
      await client.close();
      await server.close();
    },
  };
}

/**
 * Per test of the calling file: anything that escapes to the host process (uncaught exception,
 * unhandled rejection) fails it, and the returned cleanups run afterwards, last pushed first.
 */
export function watchHost(): Array<() => Promise<void>> {
  const escaped: unknown[] = [];
  const onEscape = (err: unknown): void => void escaped.push(err);
  const cleanups: Array<() => Promise<void>> = [];
  beforeEach(() => {
    escaped.length = 0;
    process.on('uncaughtException', onEscape);
    process.on('unhandledRejection', onEscape);
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
    expect(escaped).toEqual([]);
  });
  return cleanups;
}

/** A client on `url` (closed by `cleanups`) and the errors it reports. */
export function watchedClient(cleanups: Array<() => Promise<void>>, options: Partial<SyncClientOptions> & { url: string }): { client: SyncClient; errors: KhalaSyncError[] } {
  const client = new SyncClient({ token: 't0ken', topics: [TOPIC], reconnectDelay: () => 20, ...options });
  cleanups.push(() => client.close());
  const errors: KhalaSyncError[] = [];
  client.on('error', (e) => errors.push(e));
  return { client, errors };
}
