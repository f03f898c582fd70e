import { request } from 'node:http';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { socketUrl, startServer, upgradeStatus } from './helpers.js';

function rawUpgrade(wsUrl: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(wsUrl.replace('ws://', 'http://'), {
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('upgrade', () => reject(new Error('unexpected upgrade')));
    req.on('error', reject);
    req.end();
  });
}

const keys = {
  current: { kid: 'kid-now', secret: 'current-secret-current-secret-32b' },
  previous: { kid: 'kid-old', secret: 'previous-secret-previous-secret-3' },
};

describe('WebSocket upgrade authentication (§1.1, §4.3)', () => {
  it('accepts a freshly minted token', async () => {
    const server = await startServer();
    expect(await upgradeStatus(socketUrl(server, await server.mintToken()))).toBe(101);
    expect(server.stats().connections).toBe(1);
  });

  it('answers 403 with an empty body for a missing token', async () => {
    const server = await startServer();
    expect(await upgradeStatus(socketUrl(server, undefined))).toBe(403);
    // A raw request shows the body is empty.
    const raw = await rawUpgrade(socketUrl(server, undefined));
    expect(raw).toEqual({ status: 403, body: '' });
    expect(server.stats().upgradesRefused).toBeGreaterThanOrEqual(1);
  });

  it('answers 403 for a bad signature', async () => {
    const server = await startServer({ signingKeys: keys });
    const token = await server.mintToken();
    const [h, p, s] = token.split('.');
    const flipped = `${h}.${p}.${s!.startsWith('A') ? 'B' : 'A'}${s!.slice(1)}`;
    expect(await upgradeStatus(socketUrl(server, flipped))).toBe(403);
  });

  it('answers 403 for a token signed with a different secret under the current kid', async () => {
    const server = await startServer({ signingKeys: keys });
    const other = await startServer({ signingKeys: { current: { kid: 'kid-now', secret: 'another-secret-another-secret-xx' } } });
    expect(await upgradeStatus(socketUrl(server, await other.mintToken()))).toBe(403);
  });

  it('answers 403 for an unknown kid and accepts the previous kid', async () => {
    const server = await startServer({ signingKeys: keys });
    const stranger = await startServer({ signingKeys: { current: { kid: 'kid-unknown', secret: keys.current.secret } } });
    expect(await upgradeStatus(socketUrl(server, await stranger.mintToken()))).toBe(403);
    expect(await upgradeStatus(socketUrl(server, await server.mintToken({ kid: 'previous' })))).toBe(101);
  });

  it('answers 403 for an expired token and for a token older than maxAgeSeconds', async () => {
    const server = await startServer();
    expect(await upgradeStatus(socketUrl(server, await server.mintToken({ expired: true })))).toBe(403);
    // exp is still in the future, but iat is 400 s ago (> 300 s).
    const old = await server.mintToken({ ttlSeconds: 900, iatOffsetSeconds: -400 });
    expect(await upgradeStatus(socketUrl(server, old))).toBe(403);
    const lenient = await startServer({ maxAgeSeconds: 0 });
    expect(await upgradeStatus(socketUrl(lenient, await lenient.mintToken({ ttlSeconds: 900, iatOffsetSeconds: -400 })))).toBe(101);
  });

  it('answers 403 when iat is more than 30 s in the future, accepts 20 s', async () => {
    const server = await startServer();
    expect(await upgradeStatus(socketUrl(server, await server.mintToken({ iatOffsetSeconds: 60 })))).toBe(403);
    expect(await upgradeStatus(socketUrl(server, await server.mintToken({ iatOffsetSeconds: 20 })))).toBe(101);
  });

  it('answers 403 when a required claim is missing', async () => {
    const server = await startServer({ signingKeys: keys });
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: 'https://openagents.com', aud: 'openagents-sync', sub: 'user:1', iat: now, nbf: now, exp: now + 300, jti: 'sync_x',
      oa_org_id: 'org', oa_session_id: 'sess', oa_device_id: 'dev', oa_sync_scopes: 'runtime.run_summaries, runtime.notifications',
      oa_claims_version: 'oa_sync_claims_v1', oa_user_id: 7,
    };
    const sign = (c: Record<string, unknown>): Promise<string> =>
      new SignJWT(c).setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: 'kid-now' }).sign(new TextEncoder().encode(keys.current.secret));
    // Comma-separated scopes and a numeric oa_user_id are accepted (§4.2, §14 item 13).
    expect(await upgradeStatus(socketUrl(server, await sign(claims)))).toBe(101);
    const { oa_device_id: _d, ...noDevice } = claims;
    expect(await upgradeStatus(socketUrl(server, await sign(noDevice)))).toBe(403);
    expect(await upgradeStatus(socketUrl(server, await sign({ ...claims, aud: 'someone-else' })))).toBe(403);
    expect(await upgradeStatus(socketUrl(server, await sign({ ...claims, oa_sync_scopes: [] })))).toBe(403);
    // iat alone (no nbf) more than 30 s ahead is refused; exp <= iat is refused.
    const { nbf: _n, ...noNbf } = claims;
    expect(await upgradeStatus(socketUrl(server, await sign({ ...noNbf, iat: now + 60, exp: now + 600 })))).toBe(403);
    expect(await upgradeStatus(socketUrl(server, await sign({ ...noNbf, iat: now + 10, exp: now + 5 })))).toBe(403);
    const noKid = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(keys.current.secret));
    expect(await upgradeStatus(socketUrl(server, noKid))).toBe(403);
  });

  it('answers 400 when vsn is not 2.0.0 and 404 on another path', async () => {
    const server = await startServer();
    const token = await server.mintToken();
    expect(await upgradeStatus(socketUrl(server, token, { vsn: '1.0.0' }))).toBe(400);
    const noVsn = new URL(server.url);
    noVsn.searchParams.set('token', token);
    expect(await upgradeStatus(noVsn.toString())).toBe(400);
    expect(await upgradeStatus(socketUrl(server, token).replace('/sync/socket/websocket', '/socket/websocket'))).toBe(404);
  });

  it('refuseUpgrades answers the given status until cleared', async () => {
    const server = await startServer();
    const token = await server.mintToken();
    server.faults.refuseUpgrades(503);
    expect(await upgradeStatus(socketUrl(server, token))).toBe(503);
    server.faults.refuseUpgrades(403);
    expect(await upgradeStatus(socketUrl(server, token))).toBe(403);
    server.faults.refuseUpgrades(null);
    expect(await upgradeStatus(socketUrl(server, token))).toBe(101);
  });

  it('never logs the token', async () => {
    const lines: string[] = [];
    const server = await startServer({ log: (l) => lines.push(l) });
    const token = await server.mintToken({ expired: true });
    expect(await upgradeStatus(socketUrl(server, token))).toBe(403);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(token.split('.')[2]);
    expect(lines.join('\n')).not.toContain('eyJ');
  });
});
