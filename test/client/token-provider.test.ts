import { afterEach, describe, expect, it } from 'vitest';
import { SignInRequiredError, tokenProvider } from '../../src/client/token-provider.js';
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js';
import { record, RUNS, until } from './harness.js';

let srv: ReferenceServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

describe('token sources', () => {
  it('a mint URL yields a fresh token per call (data.token)', async () => {
    srv = await startReferenceServer({ port: 0 });
    const next = tokenProvider({ url: srv.tokenUrl });
    const [a, b] = [await next(), await next()];
    expect(a.split('.')).toHaveLength(3);
    expect(a).not.toBe(b);
  });

  it('401 from the mint endpoint means sign-in required: the client stops in auth_required', async () => {
    srv = await startReferenceServer({ port: 0, controlToken: 'control-secret' });
    await expect(tokenProvider({ url: srv.tokenUrl })()).rejects.toBeInstanceOf(SignInRequiredError);
    expect(await tokenProvider({ url: srv.tokenUrl, headers: { authorization: 'Bearer control-secret' } })()).toMatch(/\./);
    const r = record(srv, { topics: [RUNS], token: { url: srv.tokenUrl } });
    await r.client.connect();
    await until(() => r.client.status === 'auth_required', 'auth_required');
    expect(r.errors.map((e) => e.code)).toEqual(['reauth_required']);
    expect(srv.stats().connections).toBe(0);
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
