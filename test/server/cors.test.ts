import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { startReferenceServer } from '../../src/server/index.js';
import { corsAllows } from '../../src/server/http-routes.js';
import { startServer } from './helpers.js';

const RUNS = 'runtime.run_summaries';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * A raw HTTP request: Node's fetch refuses to set `Origin` itself on some versions and never sends
 * a real preflight, so the browser's requests are reproduced by hand.
 */
function raw(url: string, method: string, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

const preflight = (url: string, origin: string, method = 'GET'): Promise<RawResponse> =>
  raw(url, 'OPTIONS', { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization' });

describe('CORS on the HTTP endpoints', () => {
  it('answers the preflight of a loopback page (any port) and echoes its origin on the real request', async () => {
    const server = await startServer();
    server.publish(RUNS, [{ docKey: 'runtime/run_summary:a', payload: { n: 1 } }]);
    const snapshot = `${server.snapshotUrl}/${RUNS}`;
    for (const origin of ['http://127.0.0.1:5173', 'http://localhost:8080', 'http://localhost', 'http://[::1]:3000']) {
      const pre = await preflight(snapshot, origin);
      expect(pre.status, origin).toBe(204);
      expect(pre.headers['access-control-allow-origin']).toBe(origin);
      expect(pre.headers['access-control-allow-methods']).toBe('GET, OPTIONS');
      expect(String(pre.headers['access-control-allow-headers'])).toContain('authorization');
      expect(pre.headers['vary']).toBe('Origin');
    }
    const token = await server.mintToken({ scopes: [RUNS] });
    const res = await raw(snapshot, 'GET', { origin: 'http://127.0.0.1:5173', authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('http://127.0.0.1:5173');
    expect(res.headers['access-control-expose-headers']).toBe('Retry-After');
    // Errors carry the header too, so a page can read why it was refused.
    const denied = await raw(snapshot, 'GET', { origin: 'http://localhost:1' });
    expect(denied.status).toBe(401);
    expect(denied.headers['access-control-allow-origin']).toBe('http://localhost:1');
    // The mint endpoint is a POST with a JSON body: its preflight allows content-type.
    const mint = await preflight(server.tokenUrl, 'http://localhost:5173', 'POST');
    expect(mint.status).toBe(204);
    expect(mint.headers['access-control-allow-methods']).toBe('POST, OPTIONS');
    expect(String(mint.headers['access-control-allow-headers'])).toContain('content-type');
  });

  it('gives other origins no CORS headers by default', async () => {
    const server = await startServer();
    const snapshot = `${server.snapshotUrl}/${RUNS}`;
    for (const origin of ['https://evil.example', 'null', 'http://127.0.0.1.evil.example:80', 'ftp://localhost']) {
      const pre = await preflight(snapshot, origin);
      expect(pre.status, origin).toBe(204);
      expect(pre.headers['access-control-allow-origin'], origin).toBeUndefined();
      expect(pre.headers['access-control-allow-methods'], origin).toBeUndefined();
      const res = await raw(snapshot, 'GET', { origin });
      expect(res.headers['access-control-allow-origin'], origin).toBeUndefined();
    }
    // Requests without Origin (Node, curl) are unchanged; OPTIONS on an unknown path is still 404.
    expect((await raw(snapshot, 'GET', {})).headers['access-control-allow-origin']).toBeUndefined();
    expect((await raw(`${server.httpUrl}/nope`, 'OPTIONS', { origin: 'http://localhost:1' })).status).toBe(404);
    expect((await fetch(server.tokenUrl)).status).toBe(405);
  });

  it('corsOrigins replaces the default: exact origins, "*", or [] for none', async () => {
    const exact = await startServer({ corsOrigins: ['https://app.example'] });
    const url = `${exact.snapshotUrl}/${RUNS}`;
    expect((await preflight(url, 'https://app.example')).headers['access-control-allow-origin']).toBe('https://app.example');
    expect((await preflight(url, 'http://localhost:5173')).headers['access-control-allow-origin']).toBeUndefined();

    const any = await startServer({ corsOrigins: ['*'] });
    expect((await preflight(`${any.snapshotUrl}/${RUNS}`, 'https://elsewhere.example')).headers['access-control-allow-origin']).toBe('https://elsewhere.example');

    const none = await startServer({ corsOrigins: [] });
    expect((await preflight(`${none.snapshotUrl}/${RUNS}`, 'http://localhost:5173')).headers['access-control-allow-origin']).toBeUndefined();

    await expect(startReferenceServer({ corsOrigins: ['https://app.example/'] })).rejects.toThrow(RangeError);
    await expect(startReferenceServer({ corsOrigins: ['localhost'] })).rejects.toThrow(RangeError);
  });

  it('corsAllows matches origins exactly', () => {
    expect(corsAllows(['loopback'], 'http://127.0.0.2:9')).toBe(true);
    expect(corsAllows(['loopback'], 'https://localhost:8443')).toBe(true);
    expect(corsAllows(['loopback'], 'http://localhost:80')).toBe(false); // browsers never send the default port
    expect(corsAllows(['loopback'], 'http://localhost.evil.example')).toBe(false);
    expect(corsAllows(['https://a.example'], 'https://a.example:444')).toBe(false);
  });
});

describe('cross-site POST guard', () => {
  it('refuses a POST that is not application/json (no preflight-free cross-site writes)', async () => {
    const server = await startReferenceServer({ port: 0 });
    try {
      const before = server.head('runtime.run_summaries');
      const res = await fetch(server.publishUrl, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', origin: 'https://evil.example' },
        body: JSON.stringify({ topic: 'runtime.run_summaries', updates: [{ doc_key: 'k', payload: { x: 1 } }] }),
      });
      expect(res.status).toBe(415);
      expect(server.head('runtime.run_summaries')).toBe(before);
      const mint = await fetch(server.tokenUrl, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
      expect(mint.status).toBe(415);
      const ok = await fetch(server.publishUrl, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ topic: 'runtime.run_summaries', updates: [{ doc_key: 'k', payload: { x: 1 } }] }) });
      expect(ok.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
