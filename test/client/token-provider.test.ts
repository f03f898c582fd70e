import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SyncClient } from '../../src/client/sync-client.js';
import { MAX_TOKEN_CHARS } from '../../src/client/token-provider.js';
import { SignInRequiredError } from '../../src/http.js';
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js';
import { record, RUNS, until } from './harness.js';
import { tokenEndpoint } from '../../src/http.js';

let srv: ReferenceServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

describe('token sources', () => {
  it('a mint URL yields a fresh token per call (data.token)', async () => {
    srv = await startReferenceServer({ port: 0 });
    const mint = tokenEndpoint({ url: srv.tokenUrl });
    const next = async (): Promise<string> => (await mint()).token;
    const [a, b] = [await next(), await next()];
    expect(a.split('.')).toHaveLength(3);
    expect(a).not.toBe(b);
  });

  it('401 from the mint endpoint means sign-in required: the client stops in auth_required', async () => {
    srv = await startReferenceServer({ port: 0, controlToken: 'control-secret' });
    await expect(tokenEndpoint({ url: srv.tokenUrl })()).rejects.toBeInstanceOf(SignInRequiredError);
    expect((await tokenEndpoint({ url: srv.tokenUrl, headers: { authorization: 'Bearer control-secret' } })()).token).toMatch(/\./);
    const r = record(srv, { topics: [RUNS], token: tokenEndpoint({ url: srv.tokenUrl }) });
    await r.client.connect();
    await until(() => r.client.status === 'auth_required', 'auth_required');
    expect(r.errors.map((e) => e.code)).toEqual(['reauth_required']);
    expect(srv.stats().connections).toBe(0);
    await r.client.close();
  });

  it('a token endpoint answering a 1 MB token is refused (token_provider_failed): the client does not keep it', async () => {
    const http = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 't'.repeat(1024 * 1024) })));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const tokenUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/api/sync/token`;
    try {
      await expect(tokenEndpoint({ url: tokenUrl })()).rejects.toMatchObject({ code: 'token_provider_failed', details: { length: 1024 * 1024 } });
      expect(MAX_TOKEN_CHARS).toBe(64 * 1024);
      const client = new SyncClient({ url: 'ws://127.0.0.1:9/sync/socket/websocket', token: tokenEndpoint({ url: tokenUrl }), topics: [RUNS], reconnectDelay: () => 20 });
      const codes: string[] = [];
      client.on('error', (e) => codes.push(e.code));
      await client.connect();
      await until(() => codes.filter((c) => c === 'token_provider_failed').length >= 2, 'retried');
      await client.close();
      expect((client as unknown as { scrubber: { recent: string[] } }).scrubber.recent).toEqual([]);
    } finally {
      await new Promise((resolve) => http.close(resolve));
    }
  });

  it('a token function is given the client lifetime signal: close() aborts a mint in flight, and no call follows', async () => {
    srv = await startReferenceServer({ port: 0 });
    const signals: AbortSignal[] = [];
    const r = record(srv, {
      topics: [RUNS],
      token: ({ signal }) => {
        signals.push(signal);
        return new Promise<string>((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('mint aborted'))));
      },
    });
    await r.client.connect();
    await until(() => signals.length === 1, 'token function called');
    expect(signals[0]!.aborted).toBe(false);
    await r.client.close();
    expect(signals[0]!.aborted).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(signals).toHaveLength(1);
    expect(r.errors.map((e) => e.code)).not.toContain('token_provider_failed');
    expect(srv.stats().connections).toBe(0);
  });

  it('a token function returning a grant with refreshAfterMs drives the make-before-break refresh', async () => {
    srv = await startReferenceServer({ port: 0 });
    const s = srv;
    let calls = 0;
    const r = record(s, {
      topics: [RUNS],
      token: async () => {
        calls++;
        return { token: await s.mintToken(), refreshAfterMs: 1200 };
      },
    });
    await r.client.connect();
    await until(() => r.client.status === 'live', 'live');
    const before = s.stats().connections;
    await until(() => calls >= 2 && s.stats().connections > before, 'refreshed with a second socket', 5000);
    expect(r.client.status).toBe('live');
    expect(r.errors).toEqual([]);
    await r.client.close();
  });

  it('a throwing token function is reported and retried with backoff', async () => {
    srv = await startReferenceServer({ port: 0 });
    const s = srv;
    let calls = 0;
    const r = record(s, {
      topics: [RUNS],
      token: async () => {
        if (++calls < 3) throw new Error('keychain locked');
        return s.mintToken();
      },
    });
    await r.client.connect();
    await until(() => r.client.status === 'live', 'live');
    expect(r.errors.map((e) => e.code)).toEqual(['token_provider_failed', 'token_provider_failed']);
    await r.client.close();
  });
});
