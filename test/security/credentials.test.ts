import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSpacetimeLane } from '../../src/adapters/spacetime/index.js';
import { SyncClient } from '../../src/client/sync-client.js';
import type { SyncClientOptions } from '../../src/client/options.js';
import type { KhalaSyncError } from '../../src/errors/index.js';
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js';
import { until } from '../client/harness.js';
import { ensureBuilt, jsonLines, startCli } from '../cli/built-cli.js';
import { mapTestHostsToLoopback, TEST_HOST } from './fixtures/loopback-dns.mjs';
import { json, recordingServer, type RecordingServer } from './recording-server.js';
import { httpHydrator, httpSnapshotSource, tokenEndpoint } from '../../src/http.js';

// Every "remote" URL below names *.sync.test, which this process resolves to 127.0.0.1: a request
// the SDK wrongly lets through arrives at `remote` (a loopback server) and fails the test, and no
// traffic ever leaves the machine.
const TOPIC = 'runtime.run_summaries';
const SECRET = 'static-opaque-secret-1234';
let undoDns: () => void;
let remote: RecordingServer;
let srv: ReferenceServer;
const PRELOAD = fileURLToPath(new URL('./fixtures/loopback-dns-preload.mjs', import.meta.url));
beforeAll(async () => {
  ensureBuilt();
  undoDns = mapTestHostsToLoopback();
  remote = await recordingServer((req, res) => json(res, 200, { data: { token: 'minted-token-xyz' }, topic: TOPIC, head_watermark: 0, docs: [], doc_key: 'k', doc_version: 1, payload: {} }));
  srv = await startReferenceServer({ port: 0 });
}, 120_000);
afterAll(async () => {
  undoDns();
  await remote.close();
  await srv.close();
});
afterEach(() => void remote.requests.splice(0));

const remoteHttp = (path: string): string => `http://${TEST_HOST}:${remote.port}${path}`;
const readAll = async (source: ReturnType<typeof httpSnapshotSource>): Promise<void> => {
  for await (const page of source(TOPIC, { signal: new AbortController().signal, token: async () => SECRET })) void page;
};

describe('secure-URL rule on every URL that carries a credential (library)', () => {
  it('the test host really reaches the loopback server when insecure is allowed (so the refusals below can fail)', async () => {
    await readAll(httpSnapshotSource({ baseUrl: remoteHttp('/snap'), allowInsecure: true }));
    await tokenEndpoint({ url: remoteHttp('/token'), allowInsecure: true })();
    expect(remote.requests.map((r) => r.url.split('?')[0])).toEqual([`/snap/${encodeURIComponent(TOPIC)}`, '/token']);
    expect(remote.requests[0]!.headers.authorization).toBe(`Bearer ${SECRET}`);
  });

  it('snapshot, hydration and token endpoint over http:// to a non-loopback host are refused before any request (when the plug-in is made)', () => {
    const insecure = expect.objectContaining({ code: 'insecure_transport' });
    expect(() => httpSnapshotSource({ baseUrl: remoteHttp('/snap') })).toThrow(insecure);
    expect(() => httpHydrator({ baseUrl: remoteHttp('/docs') })).toThrow(insecure);
    expect(() => tokenEndpoint({ url: remoteHttp('/token'), headers: { authorization: `Bearer ${SECRET}` } })).toThrow(insecure);
    expect(remote.requests).toEqual([]);
  });
});

describe('secure-URL rule in the client, both lanes', () => {
  async function refused(options: Partial<SyncClientOptions>): Promise<{ errors: KhalaSyncError[]; status: string }> {
    const client = new SyncClient({ url: srv.url, token: tokenEndpoint({ url: srv.tokenUrl }), topics: [TOPIC], reconnectDelay: () => 20, ...options });
    const errors: KhalaSyncError[] = [];
    client.on('error', (e) => errors.push(e));
    const connectionsBefore = srv.stats().connections;
    await client.connect();
    await until(() => client.status === 'closed', 'closed');
    await new Promise((r) => setTimeout(r, 50));
    const status = client.status;
    await client.close();
    expect(srv.stats().connections).toBe(connectionsBefore);
    return { errors, status };
  }

  const cases: Array<[string, () => Partial<SyncClientOptions>]> = [
    ['socket url (khala)', () => ({ url: `ws://${TEST_HOST}:${remote.port}/sync/socket/websocket` })],
    ['socket url given as http base (khala)', () => ({ url: `http://${TEST_HOST}:${remote.port}` })],
    ['socket url (spacetime)', () => ({ url: `ws://${TEST_HOST}:${remote.port}`, lane: createSpacetimeLane() })],
  ];
  for (const [name, options] of cases) {
    it(`${name}: insecure_transport, status closed, nothing sent anywhere`, async () => {
      const { errors, status } = await refused({ token: SECRET, ...options() });
      expect(status).toBe('closed');
      expect(errors.map((e) => e.code)).toEqual(['insecure_transport']);
      expect(JSON.stringify(errors.map((e) => [e.message, e.toJSON()]))).not.toContain(SECRET);
      expect(remote.requests).toEqual([]);
    });
  }

  // The khala-sync/http plug-ins check their URLs when they are made, before a client exists.
  const plugins: Array<[string, () => Partial<SyncClientOptions>]> = [
    ['token endpoint', () => ({ token: tokenEndpoint({ url: remoteHttp('/token'), headers: { authorization: `Bearer ${SECRET}` } }) })],
    ['snapshot source', () => ({ snapshot: httpSnapshotSource({ baseUrl: remoteHttp('/sync/snapshot') }) })],
    ['hydrator', () => ({ hydrator: httpHydrator({ baseUrl: remoteHttp('/sync/documents') }) })],
  ];
  for (const [name, options] of plugins) {
    it(`${name}: insecure_transport when the plug-in is made, no client, nothing sent anywhere`, () => {
      let thrown: KhalaSyncError | undefined;
      try {
        options();
      } catch (err) {
        thrown = err as KhalaSyncError;
      }
      expect(thrown?.code).toBe('insecure_transport');
      expect(JSON.stringify([thrown?.message, thrown?.toJSON()])).not.toContain(SECRET);
      expect(remote.requests).toEqual([]);
    });
  }

  it('allowInsecure opts in: the token endpoint over http:// to the test host is called', async () => {
    // Its own server: a token request still in flight when this test ends must not land in the
    // shared \`remote\` that the next tests expect to stay silent.
    const own = await recordingServer((_req, res) => json(res, 200, { token: 'minted-token-xyz' }));
    try {
      const client = new SyncClient({ url: srv.url, token: tokenEndpoint({ url: `http://${TEST_HOST}:${own.port}/token`, allowInsecure: true }), reconnectDelay: () => 5000 });
      await client.connect();
      await until(() => own.requests.length > 0, 'token request');
      await client.close();
      expect(own.requests[0]!.url).toBe('/token');
    } finally {
      await own.close();
    }
  });
});

describe('secure-URL rule on tail flags', () => {
  // The child resolves *.sync.test to 127.0.0.1 too (preload), so a regression would reach `remote`.
  const flags: Array<[string, () => string[]]> = [
    ['--url', () => ['--url', `ws://${TEST_HOST}:${remote.port}/sync/socket/websocket`, '--token', SECRET]],
    ['--token-url', () => ['--url', srv.url, '--token-url', remoteHttp('/token')]],
    ['--snapshot-url', () => ['--url', srv.url, '--token', SECRET, '--snapshot-url', remoteHttp('/snap')]],
    ['--hydrate-url', () => ['--url', srv.url, '--token', SECRET, '--hydrate-url', remoteHttp('/docs')]],
    ['--url with --lane spacetime', () => ['--lane', 'spacetime', '--url', `ws://${TEST_HOST}:${remote.port}`, '--token', SECRET]],
  ];
  for (const [name, args] of flags) {
    it(`${name} over plain http/ws to a non-loopback host: exit 1, insecure_transport, nothing sent`, async () => {
      const run = startCli(['tail', ...args(), '--topic', TOPIC], { NODE_OPTIONS: `--import ${PRELOAD}` });
      expect(await run.exited).toBe(1);
      expect(jsonLines(run.stdout()).filter((l) => l['type'] === 'error').map((l) => l['code'])).toEqual(['insecure_transport']);
      expect(run.stdout() + run.stderr()).not.toContain(SECRET);
      expect(remote.requests).toEqual([]);
    }, 30_000);
  }
});

describe('redirects of credentialed requests (two loopback origins)', () => {
  let a: RecordingServer;
  let b: RecordingServer;
  let target = '';
  beforeAll(async () => {
    b = await recordingServer((req, res) => {
      if (req.url?.startsWith('/docs/')) return json(res, 200, { doc_key: 'k', doc_version: 1, payload: { ok: true } });
      if (req.url?.startsWith('/token')) return json(res, 200, { token: 'minted-elsewhere' });
      json(res, 200, { topic: TOPIC, head_watermark: 3, docs: [] });
    });
    a = await recordingServer((req, res) => {
      if (req.url?.startsWith('/same/')) return json(res, 200, { topic: TOPIC, head_watermark: 3, docs: [] });
      const status = req.url?.startsWith('/token/303') ? 303 : req.url?.startsWith('/token') ? 307 : 302;
      res.writeHead(status, { location: target || `${b.origin}${req.url}` });
      res.end();
    });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });
  afterEach(() => {
    a.requests.splice(0);
    b.requests.splice(0);
    target = '';
  });

  it('snapshot: the first origin gets Authorization, the other origin never does', async () => {
    await readAll(httpSnapshotSource({ baseUrl: `${a.origin}/snap` }));
    expect(a.requests[0]!.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(b.requests).toHaveLength(1);
    expect(b.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('hydration: same rule', async () => {
    const hydrate = httpHydrator({ baseUrl: `${a.origin}/docs` });
    const got = await hydrate(TOPIC, 'k', { signal: new AbortController().signal, token: async () => SECRET });
    expect(got.payload).toEqual({ ok: true });
    expect(b.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('token endpoint: a 307 to another origin is refused; neither the body nor any app header reaches it', async () => {
    const mint = tokenEndpoint({ url: `${a.origin}/token`, headers: { authorization: `Bearer ${SECRET}`, 'x-api-key': SECRET }, body: { session: SECRET } });
    const err = await mint().catch((e: unknown) => e as KhalaSyncError);
    expect(err).toMatchObject({ code: 'redirect_refused', details: { status: 307 } });
    expect(JSON.stringify({ message: (err as Error).message, details: (err as KhalaSyncError).details })).not.toContain(SECRET);
    expect(a.requests[0]!.headers['x-api-key']).toBe(SECRET);
    expect(b.requests).toEqual([]);
  });

  it('token endpoint: a 303 to another origin is followed as a GET with Accept as its only header', async () => {
    const { token } = await tokenEndpoint({ url: `${a.origin}/token/303`, headers: { authorization: `Bearer ${SECRET}`, 'x-api-key': SECRET } })();
    expect(token).toBe('minted-elsewhere');
    expect(b.requests[0]!.method).toBe('GET');
    const sent = b.requests[0]!.headers;
    expect([sent.authorization, sent['x-api-key'], sent['content-type'], sent.accept]).toEqual([undefined, undefined, undefined, 'application/json']);
  });

  it('a same-origin redirect keeps Authorization', async () => {
    target = `${a.origin}/same/${encodeURIComponent(TOPIC)}`;
    await readAll(httpSnapshotSource({ baseUrl: `${a.origin}/snap` }));
    expect(a.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${SECRET}`, `Bearer ${SECRET}`]);
  });

  it('a redirect to plain http:// on a non-loopback host is refused before it is followed', async () => {
    target = `http://${TEST_HOST}:${b.port}/snap`;
    await expect(readAll(httpSnapshotSource({ baseUrl: `${a.origin}/snap` }))).rejects.toMatchObject({ code: 'insecure_transport' });
    expect(b.requests).toEqual([]);
  });

  it('a redirect loop ends with redirect_refused', async () => {
    target = `${a.origin}/snap/loop`;
    await expect(readAll(httpSnapshotSource({ baseUrl: `${a.origin}/snap` }))).rejects.toMatchObject({ code: 'redirect_refused' });
    expect(a.requests.length).toBe(6);
  });
});
