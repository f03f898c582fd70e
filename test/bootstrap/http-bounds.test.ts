// Bounds on the HTTP requests of httpSnapshotSource/httpHydrator (src/bootstrap/http-fetch.ts,
// http-snapshot-source.ts) against a real loopback server: a server that never answers, one that
// asks to be left alone for a day, one whose page tokens loop, one with endless pages.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { httpHydrator, httpSnapshotSource, PaginationGuard, type HttpSnapshotOptions } from '../../src/bootstrap/http-snapshot-source.js';
import type { KhalaSyncError } from '../../src/errors/index.js';
import { SyncClient } from '../../src/client/sync-client.js';
import { json, recordingServer, type RecordingServer } from '../security/recording-server.js';
import { tokenEndpoint } from '../../src/http.js';

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

  it('hydration whose server sends the headers and then stalls the body fails with request_timeout', async () => {
    await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"doc_key":');
    });
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

  // Neither delay-seconds (digits only) nor an HTTP date: the engine's lenient parsers read `-5` and
  // `Retry 5` as dates in 2001 (no wait at all), `0x10` as 16 s and `1e3` as 1000 s.
  for (const header of ['-5', 'Retry 5', '0x10', '1e3']) {
    it(`Retry-After: ${header} is no Retry-After: the client's own delay applies`, async () => {
      await serve((_req, res) => {
        if (srv!.requests.length > 1) return json(res, 200, page(null));
        res.writeHead(503, { 'retry-after': header });
        res.end();
      });
      const started = Date.now();
      expect(await read({ maxRetryAfterMs: 3000, retryDelay: () => 200 })).toBe(1);
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(190);
      expect(took).toBeLessThan(1500);
    });
  }
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

  it('tokens are remembered as digests: 1,000 distinct tokens of 64 KiB hold under 64 KiB, and a repeat is still caught', () => {
    const guard = new PaginationGuard('t', 10_000);
    const token = (i: number): string => `${i}:`.padEnd(64 * 1024, 'x');
    for (let i = 1; i <= 1000; i++) guard.check(token(i), i);
    const seen = (guard as unknown as { seen: Set<string> }).seen;
    expect([...seen].reduce((n, k) => n + k.length, 0)).toBeLessThan(64 * 1024);
    expect(() => guard.check(token(7), 1001)).toThrow(expect.objectContaining({ code: 'bad_snapshot' }));
  });

  it('a server that pages forever with fresh tokens is stopped at maxPages requests', async () => {
    await serve((req, res) => json(res, 200, page(String(Number(tokenOf(req) || '0') + 1), [])));
    const err = await failure(read({ maxPages: 50 }));
    expect(err.code).toBe('bad_snapshot');
    expect(srv!.requests).toHaveLength(50);
  });
});

describe('response bodies are bounded (maxResponseBytes)', () => {
  /** A 200 that streams `{"docs":[` and then filler without end, until the client hangs up. */
  function endless(res: ServerResponse): { sent: () => number } {
    let sent = 0;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"docs":[');
    const chunk = `"${'x'.repeat(64 * 1024)}",`;
    const pump = (): void => {
      while (!res.destroyed && sent < 256 * 1024 * 1024) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
    };
    pump();
    return { sent: () => sent };
  }

  it('a snapshot page that streams without end fails with response_too_large after ~maxResponseBytes, not retried; the server sees the hang-up', async () => {
    let stream: { sent: () => number } | undefined;
    let hungUp = false;
    await serve((req, res) => {
      res.on('close', () => (hungUp = true));
      stream = endless(res);
      void req;
    });
    const err = await failure(read({ maxResponseBytes: 1024 * 1024 }));
    expect(err.code).toBe('response_too_large');
    expect(err.retryable).toBe(false);
    expect(err.details).toEqual({ maxResponseBytes: 1024 * 1024 });
    expect(srv!.requests).toHaveLength(1);
    await expect.poll(() => hungUp).toBe(true);
    // The client stopped reading long before the server's 256 MiB.
    expect(stream!.sent()).toBeLessThan(64 * 1024 * 1024);
  });

  it('a declared Content-Length above the cap is refused before the body is read', async () => {
    await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024) });
      res.write('{');
    });
    const err = await failure(read({ maxResponseBytes: 1024 * 1024 }));
    expect(err.code).toBe('response_too_large');
  });

  it('a body exactly at the cap is read; multi-byte UTF-8 split across chunks decodes intact', async () => {
    const body = JSON.stringify(page(null, ['ключ-🙂-'.repeat(2000)]));
    const bytes = Buffer.byteLength(body);
    await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const buf = Buffer.from(body);
      // Odd-sized chunks cut through multi-byte characters.
      for (let i = 0; i < buf.length; i += 997) res.write(buf.subarray(i, i + 997));
      res.end();
    });
    const source = httpSnapshotSource({ baseUrl: `${srv!.origin}/snap`, maxResponseBytes: bytes });
    const docs: string[] = [];
    for await (const p of source(TOPIC, { signal: new AbortController().signal, token: async () => 't' })) docs.push(...p.docs.map((d) => d.docKey));
    expect(docs).toEqual(['ключ-🙂-'.repeat(2000)]);
    await srv!.close();
    srv = undefined;
    await serve((_req, res) => json(res, 200, JSON.parse(body)));
    const err = await failure(read({ maxResponseBytes: bytes - 1 }));
    expect(err.code).toBe('response_too_large');
  });

  it('a hydration response above the cap is response_too_large', async () => {
    await serve((_req, res) => void endless(res));
    const hydrate = httpHydrator({ baseUrl: `${srv!.origin}/docs`, maxResponseBytes: 256 * 1024 });
    const err = await failure(hydrate(TOPIC, 'k', { signal: new AbortController().signal, token: async () => 't' }));
    expect(err.code).toBe('response_too_large');
  });

  it('a token endpoint that streams without end fails the mint with response_too_large (retryable)', async () => {
    await serve((_req, res) => void endless(res));
    const err = await failure(tokenEndpoint({ url: `${srv!.origin}/token`, maxResponseBytes: 512 * 1024 })());
    expect(err.code).toBe('response_too_large');
    expect(err.retryable).toBe(true);
  });

  it('the client with a tokenEndpoint maxResponseBytes: an endless token endpoint is an error event and a backoff, never a crash', async () => {
    await serve((_req, res) => void endless(res));
    const client = new SyncClient({ url: 'ws://127.0.0.1:9/sync/socket/websocket', token: tokenEndpoint({ url: `${srv!.origin}/token`, maxResponseBytes: 128 * 1024 }), topics: [TOPIC], reconnectDelay: () => 60_000 });
    const errors: KhalaSyncError[] = [];
    client.on('error', (e) => errors.push(e));
    try {
      await client.connect();
      await expect.poll(() => errors.map((e) => e.code)).toEqual(['response_too_large']);
      await expect.poll(() => client.status).toBe('backoff');
    } finally {
      await client.close();
    }
  });

  it('maxResponseBytes is validated (invalid_options) by each plug-in', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => tokenEndpoint({ url: 'http://127.0.0.1:9/t', maxResponseBytes: bad })).toThrow(expect.objectContaining({ code: 'invalid_options', details: { option: 'tokenEndpoint.maxResponseBytes' } }));
      expect(() => httpSnapshotSource({ baseUrl: 'http://127.0.0.1:9/s', maxResponseBytes: bad })).toThrow(expect.objectContaining({ code: 'invalid_options' }));
      expect(() => httpHydrator({ baseUrl: 'http://127.0.0.1:9/d', maxResponseBytes: bad })).toThrow(expect.objectContaining({ code: 'invalid_options' }));
    }
  });
});
