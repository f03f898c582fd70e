// Bounds on the HTTP requests of httpSnapshotSource/httpHydrator (src/bootstrap/http-fetch.ts,
// http-snapshot-source.ts) against a real loopback server: a server that never answers, one that
// asks to be left alone for a day, one whose page tokens loop, one with endless pages.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { httpHydrator, httpSnapshotSource, type HttpSnapshotOptions } from '../../src/bootstrap/http-snapshot-source.js';
import type { KhalaSyncError } from '../../src/errors/index.js';
import { json, recordingServer, type RecordingServer } from '../security/recording-server.js';

const TOPIC = 'runtime.run_summaries';
let srv: RecordingServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

const page = (next: string | null, keys: string[] = ['k']) => ({
  format: 'openagents.sync.snapshot.v1',
  topic: TOPIC,
  head_watermark: 7,
  docs: keys.map((k) => ({ doc_key: k, doc_version: 1, payload: { k }, payload_hash: null })),
  next_page_token: next,
});

const tokenOf = (req: { url?: string }): string => new URL(req.url ?? '/', 'http://x').searchParams.get('page_token') ?? '';

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<RecordingServer> {
  srv = await recordingServer(handler);
  return srv;
}

async function read(options: Partial<HttpSnapshotOptions>, signal = new AbortController().signal): Promise<number> {
  const source = httpSnapshotSource({ baseUrl: `${srv!.origin}/snap`, retryDelay: () => 10, ...options });
  let pages = 0;
  for await (const p of source(TOPIC, { signal, token: async () => 't' })) pages += p.headWatermark === 7 ? 1 : 0;
  return pages;
}

const failure = (p: Promise<unknown>): Promise<KhalaSyncError> =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: KhalaSyncError) => e,
  );

describe('request time limit', () => {
  it('a snapshot server that never answers fails with request_timeout (retryable) after the retries, each request aborted', async () => {
    const aborted: string[] = [];
    await serve((req) => req.on('close', () => aborted.push(req.url ?? '')));
    const started = Date.now();
    const err = await failure(read({ timeoutMs: 250, attempts: 3 }));
    expect(err.code).toBe('request_timeout');
    expect(err.retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(3000);
    await expect.poll(() => srv!.requests.length).toBe(3);
    await expect.poll(() => aborted.length).toBe(3);
  });

  it('the limit covers the body too: headers sent, body never finished', async () => {
    await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"topic":');
    });
    const err = await failure(read({ timeoutMs: 250, attempts: 2 }));
    expect(err.code).toBe('request_timeout');
    await expect.poll(() => srv!.requests.length).toBe(2);
  });

  it('hydration of a document from a silent server fails with request_timeout', async () => {
    await serve(() => undefined);
    const hydrate = httpHydrator({ baseUrl: `${srv!.origin}/docs`, timeoutMs: 150, attempts: 1 });
    const err = await failure(hydrate(TOPIC, 'k', { signal: new AbortController().signal, token: async () => 't' }));
    expect(err.code).toBe('request_timeout');
  });
});

describe('Retry-After is honoured but capped', () => {
  /** Serve 503 with each of `retryAfter` in turn, then the page; read it and return how long that took, ms. */
  async function throttled(retryAfter: string[], maxRetryAfterMs: number): Promise<number> {
    await serve((_req, res) => {
      const header = retryAfter[srv!.requests.length - 1];
      if (header === undefined) return json(res, 200, page(null));
      res.writeHead(503, { 'retry-after': header });
      res.end();
    });
    const started = Date.now();
    expect(await read({ maxRetryAfterMs })).toBe(1);
    expect(srv!.requests).toHaveLength(retryAfter.length + 1);
    return Date.now() - started;
  }

  it('86400 seconds is cut to maxRetryAfterMs; a shorter one (1 s) is still waited out', async () => {
    const took = await throttled(['86400', '1'], 1100);
    expect(took).toBeGreaterThanOrEqual(2050);
    expect(took).toBeLessThan(5000);
  });

  it('an HTTP date a day away is cut to maxRetryAfterMs', async () => {
    const took = await throttled([new Date(Date.now() + 86_400_000).toUTCString()], 150);
    expect(took).toBeGreaterThanOrEqual(140);
    expect(took).toBeLessThan(3000);
  });
});

describe('pagination cannot run forever', () => {
  it('the same next_page_token again is bad_snapshot, before it is asked for twice', async () => {
    await serve((_req, res) => json(res, 200, page('same')));
    const err = await failure(read({}));
    expect(err.code).toBe('bad_snapshot');
    expect(srv!.requests.map(tokenOf)).toEqual(['', 'same']);
  });

  it('a token seen earlier in the read (a cycle a → b → c → a) is bad_snapshot too', async () => {
    const nextOf: Record<string, string> = { '': 'a', a: 'b', b: 'c', c: 'a' };
    await serve((req, res) => json(res, 200, page(nextOf[tokenOf(req)]!, [`k${tokenOf(req)}`])));
    const err = await failure(read({}));
    expect(err.code).toBe('bad_snapshot');
    expect(srv!.requests.map(tokenOf)).toEqual(['', 'a', 'b', 'c']);
  });

  it('more pages than maxPages is bad_snapshot; exactly maxPages is read', async () => {
    const endless = (req: IncomingMessage, res: ServerResponse): void => {
      const n = Number(tokenOf(req) || '0');
      json(res, 200, page(n + 1 < 5 ? String(n + 1) : null, [`k${n}`]));
    };
    await serve(endless);
    expect(await read({ maxPages: 5 })).toBe(5);
    srv!.requests.splice(0);
    const err = await failure(read({ maxPages: 4 }));
    expect(err.code).toBe('bad_snapshot');
    expect(err.message).toContain('more than 4 pages');
    expect(srv!.requests).toHaveLength(4);
  });

  it('a server that pages forever with fresh tokens is stopped at maxPages requests', async () => {
    await serve((req, res) => json(res, 200, page(String(Number(tokenOf(req) || '0') + 1), [])));
    const err = await failure(read({ maxPages: 50 }));
    expect(err.code).toBe('bad_snapshot');
    expect(srv!.requests).toHaveLength(50);
  });
});
