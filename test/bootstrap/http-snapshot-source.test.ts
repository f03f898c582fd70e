// httpSnapshotSource's read-ahead and onPage hint (src/bootstrap/http-snapshot-source.ts): the next
// page is requested before the current one is validated, each arriving page is offered to onPage
// and yielded at once (the caller stages it; a restarted generation's new head tells it to start
// over), and an early exit cancels the request that was sent ahead.
import { describe, expect, it } from 'vitest';
import { httpSnapshotSource } from '../../src/bootstrap/http-snapshot-source.js';
import type { SnapshotPage } from '../../src/bootstrap/snapshot-source.js';

const TOPIC = 'runtime.run_summaries';

interface FakePage {
  head: number;
  keys: string[];
  next: string | null;
}

/** A fetch serving `pages` by page_token ("" = first page), logging every call and abort. */
function fakeFetch(pages: (token: string, call: number) => FakePage | 410, log: string[]): typeof fetch {
  let calls = 0;
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const token = url.searchParams.get('page_token') ?? '';
    const call = ++calls;
    log.push(`fetch ${token || 'first'}`);
    if (init?.signal?.aborted) log.push(`abort ${token || 'first'}`); // cancelled before it went out
    const onAbort = (): void => void log.push(`abort ${token || 'first'}`);
    init?.signal?.addEventListener('abort', onAbort);
    await new Promise((resolve) => setTimeout(resolve, 5));
    init?.signal?.removeEventListener('abort', onAbort);
    if (init?.signal?.aborted) throw init.signal.reason;
    const page = pages(token, call);
    if (page === 410) return new Response('', { status: 410 });
    const body = {
      format: 'openagents.sync.snapshot.v1',
      topic: TOPIC,
      head_watermark: page.head,
      docs: page.keys.map((k) => ({ doc_key: k, doc_version: 1, payload: { k }, payload_hash: null })),
      next_page_token: page.next,
    };
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
}

async function readAll(source: ReturnType<typeof httpSnapshotSource>, log: string[]): Promise<{ yielded: SnapshotPage[]; offered: SnapshotPage[] }> {
  const offered: SnapshotPage[] = [];
  const yielded: SnapshotPage[] = [];
  const onPage = (p: SnapshotPage): void => {
    offered.push(p);
    log.push(`page ${p.docs.map((d) => d.docKey).join(',')}`);
  };
  // Minted once per read: every page request reuses the token (a new one only after a 401).
  const token = async (): Promise<string> => {
    log.push('mint');
    return 't';
  };
  for await (const p of source(TOPIC, { signal: new AbortController().signal, token, onPage })) yielded.push(p);
  return { yielded, offered };
}

const chain: Record<string, FakePage> = {
  '': { head: 9, keys: ['a', 'b'], next: 'p2' },
  p2: { head: 9, keys: ['c'], next: 'p3' },
  p3: { head: 9, keys: ['d'], next: null },
};

describe('httpSnapshotSource read-ahead', () => {
  it('requests page n+1 as page n is handed to onPage, with one token for the read, and yields the same page objects', async () => {
    const log: string[] = [];
    const source = httpSnapshotSource({ baseUrl: 'https://snap.test/sync/snapshot', fetch: fakeFetch((t) => chain[t]!, log) });
    const { yielded, offered } = await readAll(source, log);
    expect(log).toEqual(['mint', 'fetch first', 'page a,b', 'fetch p2', 'page c', 'fetch p3', 'page d']);
    expect(yielded).toHaveLength(3);
    expect(yielded.every((p, i) => p === offered[i])).toBe(true);
    expect(yielded.map((p) => p.headWatermark)).toEqual([9, 9, 9]);
  });

  it('cancels the request sent ahead when the head moves, then yields the new generation from its first page', async () => {
    const log: string[] = [];
    // First generation: page 2 carries another head (the generation moved); the retry is clean.
    const pages = (t: string, call: number): FakePage => (call === 2 ? { head: 10, keys: ['c'], next: 'p3' } : { ...chain[t]!, head: call <= 3 ? 9 : 11 });
    const source = httpSnapshotSource({ baseUrl: 'https://snap.test/sync/snapshot', fetch: fakeFetch(pages, log) });
    const { yielded, offered } = await readAll(source, log);
    expect(log.slice(0, 4)).toEqual(['mint', 'fetch first', 'page a,b', 'fetch p2']);
    expect(log.filter((l) => l === 'mint')).toHaveLength(1);
    // The read-ahead for the moved generation's page 3 is cancelled (before or after it went out).
    expect(log.indexOf('abort p3')).toBeGreaterThan(log.indexOf('fetch p3'));
    expect(log.filter((l) => l === 'fetch first')).toHaveLength(2);
    // The first generation's page 1 went out before the move showed; the new head restarts the caller.
    expect(yielded.map((p) => p.headWatermark)).toEqual([9, 11, 11, 11]);
    expect(offered).toStrictEqual(yielded);
  });

  it('cancels the request sent ahead when a page is invalid', async () => {
    const log: string[] = [];
    const source = httpSnapshotSource({ baseUrl: 'https://snap.test/sync/snapshot', fetch: fakeFetch((t) => (t === '' ? { head: -1, keys: [], next: 'p2' } : chain[t]!), log) });
    await expect(readAll(source, log)).rejects.toMatchObject({ code: 'bad_snapshot' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    // p2 was asked for before page 1 was found invalid.
    expect(log).toEqual(['mint', 'fetch first', 'fetch p2', 'abort p2']);
  });

  it('restarts on 410 without reading ahead past it', async () => {
    const log: string[] = [];
    const source = httpSnapshotSource({ baseUrl: 'https://snap.test/sync/snapshot', fetch: fakeFetch((t, call) => (call === 2 ? 410 : chain[t]!), log) });
    const { yielded } = await readAll(source, log);
    expect(log.slice(0, 5)).toEqual(['mint', 'fetch first', 'page a,b', 'fetch p2', 'fetch first']);
    // Page 1 was handed out before the 410; the restart hands out the generation again from page 1.
    expect(yielded.map((p) => p.docs.map((d) => d.docKey).join(','))).toEqual(['a,b', 'a,b', 'c', 'd']);
  });
});
