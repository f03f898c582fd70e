import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SyncClient } from '../../src/client/sync-client.js';
import type { SyncClientOptions } from '../../src/client/options.js';
import type { KhalaSyncError } from '../../src/errors/index.js';
import { payloadHashBase64 } from '../../src/hash/index.js';
import { createIndexedDbStore } from '../../src/indexeddb.js';
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js';
import { createSqliteStore } from '../../src/sqlite.js';
import { WATERMARKS } from '../../src/watermarks/indexeddb-schema.js';
import { until } from '../client/harness.js';
import { subscribeThenSend, type HostileServer } from './hostile-server.js';
import { httpHydrator, httpSnapshotSource, tokenEndpoint } from '../../src/http.js';

// Every bad input a server, a store file or the app's options can produce, with the host process
// watched: an uncaught exception or an unhandled rejection anywhere fails the test that caused it.
const escaped: unknown[] = [];
const onEscape = (err: unknown): void => void escaped.push(err);
beforeEach(() => {
  escaped.length = 0;
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
});
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await new Promise((r) => setTimeout(r, 20));
  process.off('uncaughtException', onEscape);
  process.off('unhandledRejection', onEscape);
  expect(escaped).toEqual([]);
});

const TOPIC = 'runtime.run_summaries';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function watched(options: SyncClientOptions): { client: SyncClient; errors: KhalaSyncError[]; updates: Array<{ topic: string; seq: number; payload: unknown }> } {
  const client = new SyncClient({ reconnectDelay: () => 20, ...options });
  const errors: KhalaSyncError[] = [];
  const updates: Array<{ topic: string; seq: number; payload: unknown }> = [];
  client.on('error', (e) => errors.push(e));
  client.on('updates', (b) => updates.push(...b.updates.map((u) => ({ topic: u.topic, seq: u.watermark, payload: u.payload }))));
  cleanups.push(() => client.close());
  return { client, errors, updates };
}

/** `{"k":{"k":…1…}}`, `depth` levels: about 6 bytes per level. */
function deepObject(depth: number): string {
  return '{"k":'.repeat(depth) + '1' + '}'.repeat(depth);
}

function update(seq: number, payload: string, hash?: string): string {
  return `{"topic":"${TOPIC}","doc_key":"d${seq}","doc_version":${seq},"payload":${payload},${hash ? `"payload_hash":"${hash}",` : ''}"watermark":${seq}}`;
}

function batchFrame(updates: string[], replayComplete = true): string {
  return `[null,null,"sync:v1","sync:update_batch",{"updates":[${updates.join(',')}],"replay_complete":${replayComplete},"head_watermarks":[]}]`;
}

/** A Khala server that joins, answers subscribes, then sends the given raw frames. */
async function scripted(frames: () => string[]): Promise<HostileServer> {
  const srv = await subscribeThenSend(frames);
  cleanups.push(() => srv.close());
  return srv;
}

describe('hostile frames: nesting depth', () => {
  it('a ~60 KB frame nested 10,000 deep (with a payload_hash) is refused as json_too_deep on every path; later frames apply', async () => {
    const deep = deepObject(10_000);
    expect(deep.length).toBeGreaterThan(60_000);
    const b64 = Buffer.from(deep).toString('base64');
    const srv = await scripted(() => [
      batchFrame([update(1, deep, 'QJRDpu5aAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=')]),
      `[null,null,"sync:v1","sync:error",${deep.replace('{"k":', '{"code":"internal","k":')}]`,
      `[null,null,"sync:v1","sync:frame",{"topic":"${TOPIC}","seq":0,"kind":"KHALA_FRAME_KIND_ERROR","payload_bytes":"${b64}","schema_version":1}]`,
      `[null,null,"sync:v1","sync:frame",{"topic":"${TOPIC}","seq":1,"kind":"KHALA_FRAME_KIND_UPDATE_BATCH","payload_bytes":"${b64}","schema_version":1}]`,
      `[null,null,"sync:v1","sync:heartbeat",${deep}]`,
      batchFrame([update(1, '{"ok":true}', payloadHashBase64({ ok: true }))]),
    ]);
    const w = watched({ url: srv.url, token: 't0ken', topics: [TOPIC] });
    await w.client.connect();
    await until(() => w.client.getWatermark(TOPIC) === 1, 'good frame applied after the deep ones');
    const codes = w.errors.map((e) => e.code);
    expect(codes.filter((c) => c === 'json_too_deep').length).toBeGreaterThanOrEqual(3);
    expect(codes).toContain('undecodable_frame'); // payload_bytes too deep
    expect(w.updates).toEqual([{ topic: TOPIC, seq: 1, payload: { ok: true } }]);
  });
});

describe('hostile strings: credential redaction', () => {
  it('pushed errors whose message is 1 MB of "-eyJ" or a 15 MB run after "eyJ" are reported at once; later frames apply', async () => {
    const error = (message: string): string => JSON.stringify([null, null, 'sync:v1', 'sync:error', { code: 'ghost_code', message }]);
    const srv = await scripted(() => [error('-eyJ'.repeat(256 * 1024)), error(`eyJ${'a'.repeat(15 * 1024 * 1024)}`), batchFrame([update(1, '{"ok":true}')])]);
    const w = watched({ url: srv.url, token: 't0ken', topics: [TOPIC] });
    const t0 = Date.now();
    await w.client.connect();
    await until(() => w.client.getWatermark(TOPIC) === 1, 'frame after the errors applied');
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(w.errors.filter((e) => e.code === 'internal').map((e) => e.message.length)).toEqual([1024 * 1024, 15 * 1024 * 1024 + 3]);
  });
});

describe('hostile frames: forbidden keys spelled with JSON escapes', () => {
  const spellings = ['\\u005f_proto__', '__proto\\u005f_', '\\u005F\\u005Fproto\\u005F\\u005F', '\\u0063onstructor', 'prot\\u006ftype', '\\u0070rototype'];
  it('every escaped spelling is refused as forbidden_key and never reaches the app; the watermark does not move', async () => {
    const srv = await scripted(() => [
      ...spellings.map((k, i) => batchFrame([update(i + 1, `{"a":{"${k}":{"polluted":true}}}`)])),
      batchFrame([update(1, `{"${spellings[0]}":1}`)]).replace('"doc_key"', `"${spellings[3]}":1,"doc_key"`),
      batchFrame([update(1, '{"ok":"\\u00e9\\u65e5"}')]),
    ]);
    const w = watched({ url: srv.url, token: 't0ken', topics: [TOPIC] });
    await w.client.connect();
    await until(() => w.client.getWatermark(TOPIC) === 1, 'clean frame applied');
    expect(w.errors.filter((e) => e.code === 'forbidden_key')).toHaveLength(spellings.length + 1);
    expect(w.updates).toEqual([{ topic: TOPIC, seq: 1, payload: { ok: 'é日' } }]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('options the app gets wrong', () => {
  const good = (): SyncClientOptions => ({ url: 'wss://sync.example.com', token: 't0ken' });
  const bad: Array<[string, Partial<SyncClientOptions> | Record<string, unknown>]> = [
    ['ftp url', { url: 'ftp://sync.example.com/socket' }],
    ['unparsable url', { url: 'not a url' }],
    ['empty url', { url: '' }],
    ['url of wrong type', { url: 42 }],
    ['javascript: url', { url: 'javascript:alert(1)' }],
    ['spacetime lane, ftp url', { url: 'ftp://db.example.com', lane: undefined, __spacetime: true }],
    ['token of wrong type', { token: 42 }],
    ['empty token', { token: '' }],
    ['token url unparsable (the 0.1 object form)', { token: { url: '::nope' } }],
    ['token url ftp (the 0.1 object form)', { token: { url: 'ftp://example.com/token' } }],
    ['snapshotUrl (moved to khala-sync/http)', { snapshotUrl: 'ftp://example.com/snap' }],
    ['snapshotUrl unparsable (moved to khala-sync/http)', { snapshotUrl: 'http//x' }],
    ['hydrateUrl unparsable (moved to khala-sync/http)', { hydrateUrl: '%%%' }],
    ['topics not an array', { topics: 'runtime.run_summaries' }],
    ['empty topic', { topics: [''] }],
    ['NaN heartbeat', { heartbeatIntervalMs: Number.NaN }],
    ['negative deadAfterMs', { deadAfterMs: -1 }],
    ['infinite joinTimeoutMs', { joinTimeoutMs: Number.POSITIVE_INFINITY }],
    ['timer above 2^31', { stableAfterMs: 2 ** 32 }],
    ['zero maxFrameBytes', { maxFrameBytes: 0 }],
    ['fractional maxFrameBytes', { maxFrameBytes: 1.5 }],
    ['transport not a function', { transport: 'ws' }],
    ['store not an object', { store: 'memory' }],
    ['schemaVersion not an integer', { clientInfo: { schemaVersion: 1.5 } }],
  ];
  for (const [name, patch] of bad) {
    it(`${name}: the constructor throws invalid_options (nothing escapes later)`, async () => {
      const options = { ...good(), ...patch } as Record<string, unknown>;
      if (options['__spacetime']) {
        delete options['__spacetime'];
        options['lane'] = (await import('../../src/adapters/spacetime/index.js')).createSpacetimeLane();
      }
      let thrown: unknown;
      try {
        const client = new SyncClient(options as unknown as SyncClientOptions);
        cleanups.push(() => client.close());
        await client.connect();
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toMatchObject({ code: 'invalid_options' });
      await sleep(30);
    });
  }

  it('the khala-sync/http plug-ins refuse bad options when they are made: invalid_options naming the option', () => {
    const cases: Array<[string, () => unknown]> = [
      ['tokenEndpoint.url', () => tokenEndpoint({ url: '::nope' })],
      ['tokenEndpoint.url', () => tokenEndpoint({ url: 'ftp://example.com/token' })],
      ['tokenEndpoint.url', () => tokenEndpoint({} as never)],
      ['tokenEndpoint', () => tokenEndpoint(undefined as never)],
      ['tokenEndpoint.fetch', () => tokenEndpoint({ url: 'https://sync.example.com/t', fetch: 'fetch' as never })],
      ['tokenEndpoint.timeoutMs', () => tokenEndpoint({ url: 'https://sync.example.com/t', timeoutMs: Number.NaN })],
      ['httpSnapshotSource.baseUrl', () => httpSnapshotSource({ baseUrl: 'ftp://example.com/snap' })],
      ['httpSnapshotSource.baseUrl', () => httpSnapshotSource({ baseUrl: 'http//x' })],
      ['httpSnapshotSource.pageSize', () => httpSnapshotSource({ baseUrl: 'https://sync.example.com/s', pageSize: 0 })],
      ['httpHydrator.baseUrl', () => httpHydrator({ baseUrl: '%%%' })],
      ['httpHydrator.allowInsecure', () => httpHydrator({ baseUrl: 'https://sync.example.com/d', allowInsecure: 'yes' as never })],
    ];
    for (const [option, make] of cases) expect(make, option).toThrow(expect.objectContaining({ code: 'invalid_options', details: { option } }));
  });

  it('options of the wrong shape altogether', () => {
    for (const o of [undefined, null, 'wss://x', 42]) expect(() => new SyncClient(o as unknown as SyncClientOptions)).toThrow(expect.objectContaining({ code: 'invalid_options' }));
  });

  it('metrics and telemetry given as plain options (their shape before they became plug-ins) say where the plug-in comes from', () => {
    const base = { url: 'wss://sync.example.test', token: 't' };
    const bad = (o: Record<string, unknown>) => () => new SyncClient({ ...base, ...o } as unknown as SyncClientOptions);
    expect(bad({ metrics: true })).toThrow(expect.objectContaining({ code: 'invalid_options', message: expect.stringContaining('clientMetrics()') }));
    expect(bad({ metrics: {} })).toThrow(expect.objectContaining({ code: 'invalid_options', details: { option: 'metrics' } }));
    expect(bad({ telemetry: { onEvent: () => undefined, sampleRate: 1 } })).toThrow(expect.objectContaining({ code: 'invalid_options', message: expect.stringContaining('clientTelemetry(') }));
  });
});

describe('topics named like Object.prototype members', () => {
  const NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__'];
  let srv: ReferenceServer;
  beforeEach(async () => {
    const topics: Record<string, { replayBudget: number; snapshot: boolean; qosTier: 'hot' }> = JSON.parse('{}');
    for (const n of NAMES) Object.defineProperty(topics, n, { value: { replayBudget: 1000, snapshot: true, qosTier: 'hot' }, enumerable: true });
    srv = await startReferenceServer({ port: 0, topics });
    cleanups.push(() => srv.close());
  });

  it('apply, survive a restart on SQLite (cursors keep), and show in the snapshot and metrics', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'khala-proto-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 's.sqlite');
    for (const n of NAMES) for (let i = 0; i < 3; i++) srv.publish(n, [{ docKey: `k${i}`, payload: { n, i } }]);
    const first = watched({ url: srv.url, token: tokenEndpoint({ url: srv.tokenUrl }), topics: NAMES, store: createSqliteStore({ path }), snapshot: httpSnapshotSource({ baseUrl: srv.snapshotUrl }) });
    await first.client.connect();
    await until(() => NAMES.every((n) => first.client.getWatermark(n) === 3) && first.client.status === 'live', 'all live');
    const snap = first.client.getSnapshot();
    for (const n of NAMES) expect(Object.getOwnPropertyDescriptor(snap.topics, n)?.value).toMatchObject({ watermark: 3 });
    expect(Object.keys(first.client.getMetrics().timeToCaughtUpMs).sort()).toEqual([...NAMES].sort());
    await first.client.close();
    for (const n of NAMES) srv.publish(n, [{ docKey: 'late', payload: { n } }]);
    const second = watched({ url: srv.url, token: tokenEndpoint({ url: srv.tokenUrl }), topics: NAMES, store: createSqliteStore({ path }), snapshot: httpSnapshotSource({ baseUrl: srv.snapshotUrl }) });
    await second.client.connect();
    await until(() => NAMES.every((n) => second.client.getWatermark(n) === 4), 'resumed');
    // Resumed from the stored cursor: only the late update is new, nothing is delivered twice.
    expect(second.updates.map((u) => u.seq)).toEqual(NAMES.map(() => 4));
    expect(second.errors).toEqual([]);
    expect(first.errors).toEqual([]);
  });
});

describe('a corrupt stored cursor', () => {
  const BAD: Array<[string, unknown]> = [
    ['text', 'abc'],
    ['negative', -5],
    ['fractional', 2.5],
    ['above 2^53', 2n ** 53n + 1n],
  ];
  let srv: ReferenceServer;
  beforeEach(async () => {
    srv = await startReferenceServer({ port: 0 });
    cleanups.push(() => srv.close());
    for (let i = 0; i < 5; i++) srv.publish(TOPIC, [{ docKey: `k${i % 2}`, payload: { i } }]);
  });

  for (const [name, value] of BAD) {
    it(`SQLite row tampered to ${name}: store_corrupt, then bootstrap and live; the file is healed`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'khala-corrupt-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const path = join(dir, 's.sqlite');
      const seed = createSqliteStore({ path });
      await seed.commit({ topic: TOPIC, watermark: 3, documents: [] });
      await seed.close();
      const db = new Database(path);
      db.prepare('UPDATE watermarks SET watermark = ? WHERE topic = ?').run(value as never, TOPIC);
      db.close();
      const w = watched({ url: srv.url, token: tokenEndpoint({ url: srv.tokenUrl }), topics: [TOPIC], store: createSqliteStore({ path }), snapshot: httpSnapshotSource({ baseUrl: srv.snapshotUrl }) });
      await w.client.connect();
      await until(() => w.client.getWatermark(TOPIC) === 5 && w.client.status === 'live', 'recovered');
      expect(w.errors.map((e) => e.code)).toEqual(['store_corrupt']);
      expect(w.errors[0]!.topic).toBe(TOPIC);
      await w.client.close();
      const check = new Database(path, { readonly: true });
      expect(check.prepare('SELECT watermark FROM watermarks WHERE topic = ?').get(TOPIC)).toEqual({ watermark: 5 });
      check.close();
    });
  }

  it('IndexedDB record tampered (text, negative, fractional, unsafe): store_corrupt, then live', async () => {
    for (const [, raw] of BAD) {
      const value = typeof raw === 'bigint' ? Number(raw) : raw;
      const factory = new IDBFactory();
      const seed = createIndexedDbStore({ indexedDB: factory, dbName: 'x' });
      await seed.commit({ topic: TOPIC, watermark: 3, documents: [] });
      await seed.close();
      await new Promise<void>((resolve, reject) => {
        const req = factory.open('x');
        req.onsuccess = () => {
          const tx = req.result.transaction(WATERMARKS, 'readwrite');
          tx.objectStore(WATERMARKS).put({ topic: TOPIC, watermark: value, updatedAtMs: 0 });
          tx.oncomplete = () => (req.result.close(), resolve());
          tx.onerror = () => reject(tx.error);
        };
      });
      const w = watched({ url: srv.url, token: tokenEndpoint({ url: srv.tokenUrl }), topics: [TOPIC], store: createIndexedDbStore({ indexedDB: factory, dbName: 'x' }), snapshot: httpSnapshotSource({ baseUrl: srv.snapshotUrl }) });
      await w.client.connect();
      await until(() => w.client.getWatermark(TOPIC) === 5 && w.client.status === 'live', 'recovered');
      expect(w.errors.map((e) => e.code)).toEqual(['store_corrupt']);
      await w.client.close();
    }
  });

  it('a tampered document body does not fail the load: the document waits for hydration', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'khala-corrupt-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 's.sqlite');
    const seed = createSqliteStore({ path });
    await seed.commit({ topic: TOPIC, watermark: 5, documents: [{ topic: TOPIC, docKey: 'k0', docVersion: 5, payload: { i: 4 }, payloadHash: null, watermark: 5, hydrationPending: false }] });
    await seed.close();
    const db = new Database(path);
    db.prepare('UPDATE documents SET payload_json = ? WHERE topic = ?').run('{"broken', TOPIC);
    db.close();
    const w = watched({ url: srv.url, token: tokenEndpoint({ url: srv.tokenUrl }), topics: [TOPIC], store: createSqliteStore({ path }) });
    await w.client.connect();
    await until(() => w.client.status === 'live', 'live');
    expect(w.client.getDocument(TOPIC, 'k0')).toMatchObject({ hydrationPending: true, payload: null });
  });
});
