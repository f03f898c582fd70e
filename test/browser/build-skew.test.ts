// Build-skew evaluation (the compatibility window of manifest.json v2) and the no-store manifest
// read against a real HTTP server.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareBuildIds, evaluateSkew, fetchBuildManifest, MAX_MANIFEST_BYTES, type BuildManifest } from '../../src/browser/build-skew.js';

const A = '20261202T100000Z';
const B = '20261202T110000Z';
const C = '20261202T120000Z';
const window = (c: NonNullable<BuildManifest['compatibility']>, buildId: string | null = B): BuildManifest => ({ buildId, compatibility: c });

describe('evaluateSkew', () => {
  it('names each reason, first match wins, in the documented order', () => {
    const reason = (m: BuildManifest, current: string | undefined, extra: { protocolVersion?: string; schemaVersion?: number } = {}) =>
      evaluateSkew(m, { currentBuildId: current, ...extra }).reason;
    expect(reason(window({ minClientBuildId: C }), '')).toBe('missing_current_build');
    expect(reason(window({ minClientBuildId: C }), '   ')).toBe('missing_current_build');
    expect(reason(window({ minClientBuildId: B }), A)).toBe('below_min_client');
    expect(reason(window({ minClientBuildId: A, maxClientBuildId: A }), B)).toBe('above_max_client');
    expect(reason(window({ minClientBuildId: A, protocolVersion: 'khala.ws.v2' }), B, { protocolVersion: 'khala.ws.v1' })).toBe('unsupported_protocol');
    expect(reason(window({ minClientBuildId: A, syncSchemaMin: 2, syncSchemaMax: 3 }), B, { schemaVersion: 1 })).toBe('unsupported_schema');
    expect(reason(window({ minClientBuildId: A }, C), B)).toBe('build_id_mismatch');
    expect(reason(window({ minClientBuildId: A, maxClientBuildId: null, protocolVersion: 'khala.ws.v1', syncSchemaMin: 1, syncSchemaMax: 1 }), B, { protocolVersion: 'khala.ws.v1', schemaVersion: 1 })).toBe('none');
    // below_min wins over a mismatch; mismatch alone when in the window
    expect(reason(window({ minClientBuildId: C }, C), A)).toBe('below_min_client');
  });

  it('trims ids, ignores empty bounds and an empty deployed id', () => {
    expect(evaluateSkew(window({ minClientBuildId: ` ${A} `, maxClientBuildId: '' }, ` ${B}\n`), { currentBuildId: `${B} ` }).reason).toBe('none');
    expect(evaluateSkew(window({ minClientBuildId: '' }, ''), { currentBuildId: A })).toEqual({ reason: 'none', skewed: false, rollbackAllowed: false, deployedBuildId: null });
    expect(evaluateSkew({}, { currentBuildId: A }).reason).toBe('none');
  });

  it('compares ordinally, never by locale', () => {
    // localeCompare puts lowercase before uppercase ("a" < "B"); code units put "B" (66) before "a" (97).
    expect('a'.localeCompare('B')).toBeLessThan(0);
    expect(compareBuildIds('a', 'B')).toBe(1);
    expect(evaluateSkew(window({ minClientBuildId: 'B' }, null), { currentBuildId: 'a' }).reason).toBe('none');
    expect(evaluateSkew(window({ minClientBuildId: 'a' }, null), { currentBuildId: 'B' }).reason).toBe('below_min_client');
    expect(compareBuildIds(A, A)).toBe(0);
    expect(compareBuildIds(A, B)).toBe(-1);
  });

  it('honours rollback build ids: the window bounds are waived, a different deployed build still promotes', () => {
    const m = window({ minClientBuildId: C, maxClientBuildId: C, rollbackBuildIds: [` ${A} `] }, C);
    expect(evaluateSkew(m, { currentBuildId: A })).toEqual({ reason: 'build_id_mismatch', skewed: true, rollbackAllowed: true, deployedBuildId: C });
    expect(evaluateSkew(m, { currentBuildId: B }).reason).toBe('below_min_client');
  });
});

describe('fetchBuildManifest', () => {
  let server: Server;
  let base = '';
  let streamed = 0;
  const hungUp: Array<Promise<unknown>> = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/manifest.json') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ buildId: B }));
      else if (req.url === '/broken.json') res.writeHead(200).end('{not json');
      else if (req.url === '/array.json') res.writeHead(200).end('[]');
      else if (req.url === '/silent.json') hungUp.push(new Promise((resolve) => req.socket.once('close', resolve)));
      else if (req.url === '/endless.json') {
        const closed = new Promise<void>((resolve) => res.once('close', resolve));
        hungUp.push(closed);
        res.writeHead(200, { 'content-type': 'application/json' }).write('{"pad":"');
        const pump = (): void => {
          while (!res.destroyed && (streamed += 64 * 1024) < 256 * 1024 * 1024) if (!res.write('x'.repeat(64 * 1024))) return void res.once('drain', pump);
        };
        pump();
      }
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));

  it('reads the manifest with cache no-store', async () => {
    const inits: RequestInit[] = [];
    const recording: typeof fetch = (input, init) => {
      inits.push(init ?? {});
      return fetch(input, init);
    };
    expect(await fetchBuildManifest(`${base}/manifest.json`, recording)).toEqual({ buildId: B });
    expect(inits[0]?.cache).toBe('no-store');
  });

  it('a missing, broken or unreachable manifest is "no skew known" (undefined), never a throw', async () => {
    expect(await fetchBuildManifest(`${base}/missing.json`)).toBeUndefined();
    expect(await fetchBuildManifest(`${base}/broken.json`)).toBeUndefined();
    expect(await fetchBuildManifest(`${base}/array.json`)).toBeUndefined();
    expect(await fetchBuildManifest('http://127.0.0.1:1/manifest.json')).toBeUndefined();
  });

  it('a host that never answers, or streams without end, is "no skew known" too: in the time limit, after about MAX_MANIFEST_BYTES; the request is ended', async () => {
    const t0 = Date.now();
    expect(await fetchBuildManifest(`${base}/silent.json`, fetch, 300)).toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await fetchBuildManifest(`${base}/endless.json`)).toBeUndefined();
    await Promise.all(hungUp);
    expect(streamed).toBeLessThan(MAX_MANIFEST_BYTES + 8 * 1024 * 1024);
  });
});
