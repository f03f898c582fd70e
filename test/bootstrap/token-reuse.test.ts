// One token per snapshot read and per burst of hydrations (src/bootstrap/http-fetch.ts `sharedToken`):
// a 100-page snapshot used to POST 100 times to the token endpoint. A real HTTP server on loopback
// records the Authorization of every request; the token getter counts its mints.
import { afterEach, describe, expect, it } from 'vitest';
import { httpHydrator, httpSnapshotSource } from '../../src/http.js';
import { json, recordingServer, type RecordingServer } from '../security/recording-server.js';

const TOPIC = 'runtime.run_summaries';
let srv: RecordingServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

/** A token getter minting `${prefix}1`, `${prefix}2`...; `mints()` counts the calls. */
function minter(prefix: string): { token: () => Promise<string>; mints: () => number } {
  let n = 0;
  return { token: async () => `${prefix}${++n}`, mints: () => n };
}

const pageToken = (url: string | undefined): string => new URL(url ?? '/', 'http://x').searchParams.get('page_token') ?? '';
const auths = (): (string | undefined)[] => srv!.requests.map((r) => r.headers.authorization);

/** Serves a snapshot of `pages` pages; `refuse(auth, page)` answers 401 instead. */
async function snapshotServer(pages: number, refuse: (auth: string | undefined, page: number) => boolean = () => false): Promise<void> {
  srv = await recordingServer((req, res) => {
    const n = Number(pageToken(req.url) || '0');
    if (refuse(req.headers.authorization, n)) return json(res, 401, {});
    json(res, 200, { topic: TOPIC, head_watermark: 4, docs: [{ doc_key: `k${n}`, doc_version: 1, payload: {} }], next_page_token: n + 1 < pages ? String(n + 1) : null });
  });
}

async function read(token: () => Promise<string>): Promise<number> {
  let pages = 0;
  for await (const page of httpSnapshotSource({ baseUrl: `${srv!.origin}/snap` })(TOPIC, { signal: new AbortController().signal, token })) pages += page.docs.length;
  return pages;
}

describe('token reuse', () => {
  it('a 20-page snapshot read mints one token and sends it with every page', async () => {
    await snapshotServer(20);
    const m = minter('t');
    expect(await read(m.token)).toBe(20);
    expect(m.mints()).toBe(1);
    expect(auths()).toEqual(Array(20).fill('Bearer t1'));
  });

  it('a 401 mid-read mints one new token, which the later pages reuse', async () => {
    await snapshotServer(5, (auth, page) => auth === 'Bearer t1' && page >= 2);
    const m = minter('t');
    expect(await read(m.token)).toBe(5);
    expect(m.mints()).toBe(2);
    expect(auths()).toEqual(['Bearer t1', 'Bearer t1', 'Bearer t1', 'Bearer t2', 'Bearer t2', 'Bearer t2']);
  });

  it('hydrations in flight together share a token; another client sharing the hydrator gets its own', async () => {
    srv = await recordingServer((req, res) => {
      const key = decodeURIComponent(req.url!.split('/').pop()!);
      setTimeout(() => json(res, 200, { doc_key: key, doc_version: 1, payload: { key } }), 30);
    });
    const hydrate = httpHydrator({ baseUrl: `${srv.origin}/docs` });
    const a = minter('a');
    const b = minter('b');
    const burst = (m: ReturnType<typeof minter>, keys: string[]) => keys.map((k) => hydrate(TOPIC, k, { signal: new AbortController().signal, token: m.token }));
    await Promise.all([...burst(a, ['1', '2', '3', '4', '5', '6']), ...burst(b, ['7', '8'])]);
    expect([a.mints(), b.mints()]).toEqual([1, 1]);
    expect(srv.requests.filter((r) => r.headers.authorization === 'Bearer a1')).toHaveLength(6);
    expect(srv.requests.filter((r) => r.headers.authorization === 'Bearer b1')).toHaveLength(2);
    // The burst is over: the token is not kept for a later hydration.
    await Promise.all(burst(a, ['9']));
    expect(a.mints()).toBe(2);
    expect(srv.requests.at(-1)!.headers.authorization).toBe('Bearer a2');
  });
});
