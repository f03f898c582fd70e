import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import type { ReferenceServer } from '../../src/server/index.js';
import { TestClient, socketUrl, startServer, upgradeStatus } from './helpers.js';

const RUNS = 'runtime.run_summaries';
const EVENTS = 'runtime.codex_worker_events';
const NOTES = 'runtime.notifications';

const post = (url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

const getWith = (url: string, token?: string): Promise<Response> =>
  fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('POST /api/sync/token (§4.1)', () => {
  it('mints a working token with the §4.1 response fields and §4.2 claims', async () => {
    const server = await startServer();
    const res = await post(server.tokenUrl, { device_id: 'device_a' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { data } = (await res.json()) as { data: Record<string, unknown> };
    expect(data).toMatchObject({
      token_type: 'Bearer', expires_in: 300, kid: 'sync-auth-v1', refresh_after_in: 270, device_id: 'device_a',
      issuer: 'https://openagents.com', audience: 'openagents-sync', claims_version: 'oa_sync_claims_v1',
      scopes: ['runtime.codex_worker_events', 'runtime.codex_worker_summaries', 'runtime.notifications', 'runtime.run_summaries'],
    });
    expect(data.issued_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    expect(Date.parse(data.expires_at as string) - Date.parse(data.issued_at as string)).toBe(300_000);
    expect(data.token_id).toMatch(/^sync_[0-9a-f]{32}$/);
    const token = data.token as string;
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT', kid: 'sync-auth-v1' });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: 'https://openagents.com', aud: 'openagents-sync', oa_session_id: data.session_id, oa_device_id: 'device_a', jti: data.token_id });
    expect(claims.nbf).toBe(claims.iat);
    expect(await upgradeStatus(socketUrl(server, token))).toBe(101);
  });

  it('trims, de-duplicates and sorts scopes; unknown scope → 422 invalid_scope', async () => {
    const server = await startServer();
    const ok = await post(server.tokenUrl, { scopes: [` ${RUNS}`, NOTES, RUNS], ttl_seconds: 60 });
    const { data } = (await ok.json()) as { data: { scopes: string[]; expires_in: number; refresh_after_in: number } };
    expect(data.scopes).toEqual([NOTES, RUNS]);
    expect([data.expires_in, data.refresh_after_in]).toEqual([60, 30]);
    const bad = await post(server.tokenUrl, { scopes: [RUNS, 'runtime.secret'] });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_scope');
  });

  it('rejects ttl_seconds outside [60, 900] and malformed bodies', async () => {
    const server = await startServer();
    for (const ttl_seconds of [59, 901, '300', 120.5]) {
      const res = await post(server.tokenUrl, { ttl_seconds });
      expect(res.status, String(ttl_seconds)).toBe(422);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    }
    expect((await post(server.tokenUrl, { ttl_seconds: 900 })).status).toBe(200);
    expect((await post(server.tokenUrl, [1])).status).toBe(422);
    expect((await post(server.tokenUrl, '{oops')).status).toBe(400);
    expect((await post(server.tokenUrl, '{"__proto__":{"x":1}}')).status).toBe(400);
    expect((await fetch(server.tokenUrl)).status).toBe(405);
    expect((await post(server.tokenUrl, 'x'.repeat(1024 * 1024 + 10))).status).toBe(413);
  });

  it('requires the control token when configured (mint and publish)', async () => {
    const server = await startServer({ controlToken: 'ctl-secret' });
    expect((await post(server.tokenUrl, {})).status).toBe(401);
    expect((await post(server.tokenUrl, {}, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await post(server.tokenUrl, {}, { authorization: 'Bearer ctl-secret' })).status).toBe(200);
    const body = { topic: RUNS, updates: [{ doc_key: 'a', payload: {} }] };
    expect((await post(server.publishUrl, body)).status).toBe(401);
    expect((await post(server.publishUrl, body, { authorization: 'Bearer ctl-secret' })).status).toBe(200);
  });

  it('keeps one session across mints, so a revoked session stays revoked after re-minting', async () => {
    const server = await startServer();
    const mint = async (): Promise<{ token: string; session_id: string }> => ((await (await post(server.tokenUrl, {})).json()) as { data: { token: string; session_id: string } }).data;
    const first = await mint();
    const second = await mint();
    expect(second.session_id).toBe(first.session_id);
    server.revokeSession(first.session_id);
    const client = await TestClient.connect(server, (await mint()).token);
    expect((await client.join())[4].response.code).toBe('reauth_required');
  });

  it('never logs the minted token', async () => {
    const lines: string[] = [];
    const server = await startServer({ log: (l) => lines.push(l) });
    const { data } = (await (await post(server.tokenUrl, {})).json()) as { data: { token: string } };
    const client = await TestClient.connect(server, data.token);
    client.ws.send('garbage');
    await client.join();
    expect(lines.join('\n')).not.toContain(data.token.slice(-20));
  });
});

describe('POST /api/publish', () => {
  it('appends, answers the watermarks and fans out', async () => {
    const server = await startServer();
    const client = await TestClient.connect(server);
    await client.join();
    await client.request('sync:subscribe', { topics: [RUNS] });
    const res = await post(server.publishUrl, {
      topic: RUNS,
      updates: [{ doc_key: 'a', payload: { s: 1 } }, { doc_key: 'b', doc_version: 9, payload: { s: 2 }, pointer: true }],
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ watermarks: [1, 2] });
    expect(server.journal(RUNS).map((e) => [e.docKey, e.docVersion, e.pointer])).toEqual([['a', 1, false], ['b', 9, true]]);
    const batch = await client.waitFor((f) => f[3] === 'sync:update_batch');
    expect(batch[4].updates.map((u: { payload: unknown }) => u.payload)).toEqual([{ s: 1 }, null]);
  });

  it('rejects bad requests with 422 and appends nothing', async () => {
    const server = await startServer();
    for (const body of [
      { topic: 'runtime.nope', updates: [{ doc_key: 'a', payload: {} }] },
      { topic: RUNS },
      { topic: RUNS, updates: [{ payload: {} }] },
      { topic: RUNS, updates: [{ doc_key: 'a' }] },
      { topic: RUNS, updates: [{ doc_key: 'a', payload: {} }, { doc_key: 'b', doc_version: -1, payload: {} }] },
      { topic: RUNS, updates: [{ doc_key: 'a', payload: {} }, { doc_key: 'b', doc_version: 'x', payload: {} }] },
      { topic: RUNS, updates: [] },
    ]) {
      expect((await post(server.publishUrl, body)).status, JSON.stringify(body)).toBe(422);
    }
    expect(server.head(RUNS)).toBe(0);
  });
});

async function seedDocs(server: ReferenceServer): Promise<void> {
  for (const key of ['e', 'a', 'd', 'b', 'c']) server.publish(RUNS, [{ docKey: `runtime/run_summary:${key}`, payload: { key } }]);
  server.publish(RUNS, [{ docKey: 'runtime/run_summary:a', payload: { key: 'a', v: 2 } }]);
}

describe('GET /sync/snapshot/:topic (SDK_CONTRACTS §1)', () => {
  it('pages a pinned generation sorted by doc_key with one head_watermark', async () => {
    const server = await startServer();
    await seedDocs(server);
    const token = await server.mintToken();
    const base = `${server.snapshotUrl}/${encodeURIComponent(RUNS)}`;
    const first = await getWith(`${base}?limit=2`, token);
    expect(first.status).toBe(200);
    const page1 = (await first.json()) as { head_watermark: number; docs: Array<{ doc_key: string; doc_version: number; payload: unknown; payload_hash: string }>; next_page_token: string | null };
    expect(page1).toMatchObject({ format: 'openagents.sync.snapshot.v1', schema_version: 1, topic: RUNS, head_watermark: 6 });
    expect(page1.docs[0]).toEqual({ doc_key: 'runtime/run_summary:a', doc_version: 2, payload: { key: 'a', v: 2 }, payload_hash: server.journal(RUNS)[5]!.payloadHash });
    // Published after the pin: not visible in this generation.
    server.publish(RUNS, [{ docKey: 'runtime/run_summary:0', payload: {} }, { docKey: 'runtime/run_summary:b', payload: { changed: true } }]);
    const keys = page1.docs.map((d) => d.doc_key);
    let token2 = page1.next_page_token;
    while (token2) {
      const res = await getWith(`${base}?limit=2&page_token=${encodeURIComponent(token2)}`, token);
      const page = (await res.json()) as typeof page1;
      expect(page.head_watermark).toBe(6);
      keys.push(...page.docs.map((d) => d.doc_key));
      if (page.docs.some((d) => d.doc_key.endsWith(':b'))) expect(page.docs.find((d) => d.doc_key.endsWith(':b'))!.payload).toEqual({ key: 'b' });
      token2 = page.next_page_token;
    }
    expect(keys).toEqual(['a', 'b', 'c', 'd', 'e'].map((k) => `runtime/run_summary:${k}`));
    // A new first page pins a new generation.
    const fresh = (await (await getWith(base, token)).json()) as typeof page1;
    expect(fresh.head_watermark).toBe(8);
    expect(fresh.docs).toHaveLength(6);
    expect(fresh.next_page_token).toBeNull();
  });

  it('answers 410 snapshot_expired once the generation moved', async () => {
    const server = await startServer();
    await seedDocs(server);
    const token = await server.mintToken();
    const base = `${server.snapshotUrl}/${encodeURIComponent(RUNS)}`;
    const page1 = (await (await getWith(`${base}?limit=2`, token)).json()) as { next_page_token: string };
    server.faults.moveSnapshotGeneration(RUNS);
    const res = await getWith(`${base}?limit=2&page_token=${encodeURIComponent(page1.next_page_token)}`, token);
    expect(res.status).toBe(410);
    expect(await res.json()).toEqual({ code: 'snapshot_expired' });
    expect((await getWith(`${base}?limit=2`, token)).status).toBe(200);
    expect((await getWith(`${base}?page_token=not-a-token`, token)).status).toBe(400);
  });

  it('injected statuses answer the next requests, with Retry-After', async () => {
    const server = await startServer();
    const token = await server.mintToken();
    const url = `${server.snapshotUrl}/${encodeURIComponent(RUNS)}`;
    server.faults.snapshotStatus(503, 7, 2);
    for (let i = 0; i < 2; i++) {
      const res = await getWith(url, token);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('7');
    }
    expect((await getWith(url, token)).status).toBe(200);
    server.faults.snapshotStatus(429, 1);
    expect((await getWith(url, token)).status).toBe(429);
    server.faults.snapshotStatus(500);
    server.faults.snapshotStatus(null);
    expect((await getWith(url, token)).status).toBe(200);
  });

  it('401 without a valid token, 404 for unknown or snapshot-less topics, 403 outside the scopes', async () => {
    const server = await startServer();
    const token = await server.mintToken({ scopes: [EVENTS] });
    const url = (t: string): string => `${server.snapshotUrl}/${encodeURIComponent(t)}`;
    expect((await getWith(url(RUNS))).status).toBe(401);
    expect((await getWith(url(RUNS), 'nope')).status).toBe(401);
    expect((await getWith(url(RUNS), await server.mintToken({ expired: true }))).status).toBe(401);
    expect((await getWith(url('runtime.unknown'), token)).status).toBe(404);
    expect((await getWith(url(EVENTS), token)).status).toBe(404);
    expect((await getWith(url(RUNS), token)).status).toBe(403);
  });
});

describe('GET /sync/documents/:topic/:docKey (SDK_CONTRACTS §2)', () => {
  it('hydrates a pointer-mode document, matching the wire payload_hash', async () => {
    const server = await startServer();
    const docKey = 'runtime/run_summary:run_42';
    const [entry] = server.publish(RUNS, [{ docKey, docVersion: 7, payload: { status: 'running', title: 'ünïcode' }, pointer: true }]);
    const token = await server.mintToken({ scopes: [RUNS] });
    const res = await getWith(`${server.hydrateUrl}/${encodeURIComponent(RUNS)}/${encodeURIComponent(docKey)}`, token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ doc_key: docKey, doc_version: 7, payload: { status: 'running', title: 'ünïcode' }, payload_hash: entry!.payloadHash, watermark: 1 });
    // A raw '/' inside the doc key is accepted too.
    expect((await getWith(`${server.hydrateUrl}/${RUNS}/${docKey}`, token)).status).toBe(200);
  });

  it('401 / 403 / 404', async () => {
    const server = await startServer();
    server.publish(NOTES, [{ docKey: 'n1', payload: {} }]);
    const token = await server.mintToken({ scopes: [RUNS] });
    expect((await getWith(`${server.hydrateUrl}/${NOTES}/n1`)).status).toBe(401);
    expect((await getWith(`${server.hydrateUrl}/${NOTES}/n1`, token)).status).toBe(403);
    expect((await getWith(`${server.hydrateUrl}/${RUNS}/missing`, token)).status).toBe(404);
    expect((await getWith(`${server.hydrateUrl}/runtime.nope/x`, token)).status).toBe(404);
    expect((await getWith(`${server.hydrateUrl}/${RUNS}`, token)).status).toBe(404);
    expect((await getWith(`${server.httpUrl}/elsewhere`, token)).status).toBe(404);
  });
});
