// The client's HTTP requests are bounded (issue #9 item 4): every token, snapshot and hydration
// request has a time limit (the plug-ins' `timeoutMs`, error `request_timeout`), `close()` aborts the ones in
// flight and sends no new one, `Retry-After` is capped (`maxRetryAfterMs`) and a snapshot cannot
// page forever (`maxPages`, repeated tokens). Real WebSocket reference server, real
// loopback HTTP servers playing the hostile token/snapshot endpoint.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createSpacetimeLane } from '../../src/adapters/spacetime/index.js';
import { SyncClient } from '../../src/client/sync-client.js';
import type { SyncClientOptions } from '../../src/client/options.js';
import type { ReferenceServer } from '../../src/server/index.js';
import { json, recordingServer, type RecordingServer } from '../security/recording-server.js';
import { publishRange, record, RUNS, server, until, type Recorded } from './harness.js';
import { httpSnapshotSource, tokenEndpoint, type HttpSnapshotOptions } from '../../src/http.js';

let srv: ReferenceServer | undefined;
let http: RecordingServer | undefined;
const open: Recorded[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.client.close();
  await http?.close();
  await srv?.close();
  http = undefined;
  srv = undefined;
});

/** A loopback HTTP server; `aborted` lists the requests whose connection closed before an answer. */
async function hostile(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ aborted: string[] }> {
  const aborted: string[] = [];
  http = await recordingServer((req, res) => {
    res.on('close', () => {
      if (!res.writableFinished) aborted.push(`${req.method} ${req.url}`);
    });
    handler(req, res);
  });
  return { aborted };
}

const posts = (): number => http!.requests.filter((r) => r.method === 'POST').length;
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function client(options: Partial<SyncClientOptions>): Recorded {
  const r = record(srv!, options);
  open.push(r);
  return r;
}

// The token request is the connection's, shared by both lanes: each case runs on each lane.
for (const [name, lane] of [
  ['khala', {}],
  ['spacetime', { lane: createSpacetimeLane() }],
] as const) {
  describe(`token endpoint (${name} lane)`, () => {
    it('close() aborts the token request in flight and no second token POST follows', async () => {
      srv = await server();
      const { aborted } = await hostile(() => undefined);
      const r = client({ ...lane, token: tokenEndpoint({ url: `${http!.origin}/token` }), reconnectDelay: () => 10 });
      await r.client.connect();
      await until(() => posts() === 1, 'token request');
      await r.client.close();
      await until(() => aborted.length === 1, 'token request aborted', 2000);
      await pause(150);
      expect(posts()).toBe(1);
      expect(r.client.status).toBe('closed');
    });

    it('a client closed before its connect() got going mints no token and stays closed (connect() then close(), autoConnect)', async () => {
      srv = await server();
      await hostile((_req, res) => json(res, 200, { token: 'not-a-valid-token' }));
      const a = client({ ...lane, token: tokenEndpoint({ url: `${http!.origin}/token` }) });
      const connecting = a.client.connect();
      await a.client.close();
      await connecting;
      const b = client({ ...lane, token: tokenEndpoint({ url: `${http!.origin}/token` }), autoConnect: true });
      await b.client.close();
      await pause(150);
      expect(posts()).toBe(0);
      expect([a.client.status, b.client.status]).toEqual(['closed', 'closed']);
    });

    it('a token endpoint that never answers is request_timeout after timeoutMs, then retried with backoff', async () => {
      srv = await server();
      const { aborted } = await hostile(() => undefined);
      const r = client({ ...lane, token: tokenEndpoint({ url: `${http!.origin}/token`, timeoutMs: 200 }), reconnectDelay: () => 20 });
      await r.client.connect();
      await until(() => r.errors.some((e) => e.code === 'request_timeout') && posts() >= 2, 'timeout and retry', 3000);
      expect(aborted.length).toBeGreaterThanOrEqual(1);
      expect(r.errors.find((e) => e.code === 'request_timeout')?.retryable).toBe(true);
    });

    it('a token endpoint that sends its headers and then stalls the body is request_timeout too (the limit covers the body)', async () => {
      srv = await server();
      await hostile((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"data":{"tok');
      });
      const r = client({ ...lane, token: tokenEndpoint({ url: `${http!.origin}/token`, timeoutMs: 200 }), reconnectDelay: () => 20 });
      await r.client.connect();
      await until(() => r.errors.some((e) => e.code === 'request_timeout') && posts() >= 2, 'timeout and retry', 3000);
      expect(r.client.status).not.toBe('live');
    });

    for (const [status, retryAfter, maxRetryAfterMs, waitMs] of [
      [429, '1', undefined, 1000],
      [503, '3600', 400, 400],
    ] as const) {
      it(`a token endpoint answering ${status} with Retry-After: ${retryAfter} is asked again after ${waitMs} ms (maxRetryAfterMs ${maxRetryAfterMs ?? 'default'}), not after the backoff`, async () => {
        srv = await server();
        const at: number[] = [];
        await hostile((_req, res) => {
          at.push(Date.now());
          res.writeHead(status, { 'retry-after': retryAfter });
          res.end();
        });
        const r = client({ ...lane, token: tokenEndpoint({ url: `${http!.origin}/token` }), reconnectDelay: () => 20, ...(maxRetryAfterMs === undefined ? {} : { maxRetryAfterMs }) });
        await r.client.connect();
        await until(() => at.length >= 2, 'second token request', 3000);
        expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(waitMs - 20);
        expect(at[1]! - at[0]!).toBeLessThan(waitMs + 500);
        expect(r.errors[0]).toMatchObject({ code: 'token_provider_failed', retryable: true });
      });
    }
  });
}

describe('snapshot endpoint', () => {
  /** A live client on RUNS (3 updates) whose snapshot endpoint is `handler`; resync starts a snapshot read. */
  async function resyncAgainst(handler: (req: IncomingMessage, res: ServerResponse) => void, options: Partial<HttpSnapshotOptions> = {}) {
    srv = await server();
    publishRange(srv, RUNS, 3);
    const { aborted } = await hostile(handler);
    const r = client({ topics: [RUNS], snapshot: httpSnapshotSource({ baseUrl: `${http!.origin}/snap`, ...options }) });
    await r.client.connect();
    await until(() => r.client.status === 'live' && r.client.getWatermark(RUNS) === 3, 'live');
    http!.requests.splice(0);
    r.client.resync(RUNS);
    return { r, aborted };
  }
  const pageToken = (req: { url?: string }): string => new URL(req.url ?? '/', 'http://x').searchParams.get('page_token') ?? '';
  const page = (next: string | null) => ({ topic: RUNS, head_watermark: 3, docs: [], next_page_token: next });

  it('a snapshot server that never answers: request_timeout is reported, the read is retried, close() aborts the request in flight', async () => {
    const { r, aborted } = await resyncAgainst(() => undefined, { timeoutMs: 200 });
    await until(() => r.errors.some((e) => e.code === 'request_timeout'), 'request_timeout', 8000);
    expect(r.client.getSnapshot().topics[RUNS]?.phase).toBe('recovering');
    const sent = http!.requests.length;
    await until(() => http!.requests.length > sent, 'snapshot retried', 3000);
    await r.client.close();
    await until(() => aborted.length === http!.requests.length, 'every snapshot request aborted', 2000);
  }, 15_000);

  it('Retry-After: 86400 is waited for maxRetryAfterMs only, then the snapshot is applied', async () => {
    const { r } = await resyncAgainst(
      (_req, res) => {
        if (http!.requests.length > 1) return json(res, 200, page(null));
        res.writeHead(503, { 'retry-after': '86400' });
        res.end();
      },
      { maxRetryAfterMs: 200 },
    );
    await until(() => r.events.some((e) => e.type === 'bootstrap') && r.client.status === 'live', 'bootstrap', 3000);
    expect(http!.requests).toHaveLength(2);
  });

  it('a repeated next_page_token fails the topic with bad_snapshot after two requests', async () => {
    const { r } = await resyncAgainst((_req, res) => json(res, 200, page('again')));
    await until(() => r.errors.some((e) => e.code === 'bad_snapshot'), 'bad_snapshot', 3000);
    expect(http!.requests.map(pageToken)).toEqual(['', 'again']);
    await until(() => r.client.getSnapshot().topics[RUNS]?.phase === 'failed', 'topic failed');
  });

  it('more pages than maxPages fails the topic with bad_snapshot after maxPages requests', async () => {
    const { r } = await resyncAgainst((req, res) => json(res, 200, page(String(Number(pageToken(req) || '0') + 1))), { maxPages: 25 });
    await until(() => r.errors.some((e) => e.code === 'bad_snapshot'), 'bad_snapshot', 3000);
    expect(http!.requests).toHaveLength(25);
  });
});

describe('options', () => {
  const bad: Array<[string, Partial<HttpSnapshotOptions>]> = [
    ['httpSnapshotSource.timeoutMs', { timeoutMs: 0 }],
    ['httpSnapshotSource.timeoutMs', { timeoutMs: Number.NaN }],
    ['httpSnapshotSource.maxRetryAfterMs', { maxRetryAfterMs: -1 }],
    ['httpSnapshotSource.maxPages', { maxPages: 0 }],
    ['httpSnapshotSource.maxPages', { maxPages: 2.5 }],
  ];
  for (const [option, options] of bad) {
    it(`${option} ${String(Object.values(options)[0])} is invalid_options`, () => {
      expect(() => httpSnapshotSource({ baseUrl: 'https://sync.example.test/snap', ...options })).toThrow(expect.objectContaining({ code: 'invalid_options', details: { option } }));
    });
  }

  it('the client refuses its own maxRetryAfterMs out of range, and the options that moved to the plug-ins', () => {
    expect(() => new SyncClient({ url: 'ws://127.0.0.1:1', token: 't', maxRetryAfterMs: -1 })).toThrow(expect.objectContaining({ code: 'invalid_options', details: { option: 'maxRetryAfterMs' } }));
    for (const option of ['snapshotUrl', 'hydrateUrl', 'fetch', 'httpTimeoutMs', 'maxSnapshotPages', 'maxResponseBytes']) {
      const moved = { url: 'ws://127.0.0.1:1', token: 't', [option]: 1 } as unknown as SyncClientOptions;
      expect(() => new SyncClient(moved)).toThrow(expect.objectContaining({ code: 'invalid_options', details: { option }, message: expect.stringContaining('khala-sync/http') }));
    }
    // The 0.1 token endpoint object is refused too, pointing at the plug-in that replaces it.
    const oldToken = { url: 'ws://127.0.0.1:1', token: { url: 'https://app.example.test/token' } } as unknown as SyncClientOptions;
    expect(() => new SyncClient(oldToken)).toThrow(expect.objectContaining({ code: 'invalid_options', details: { option: 'token' }, message: expect.stringContaining('khala-sync/http') }));
  });
});
