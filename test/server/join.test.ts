import { readFixture } from '../fixtures.js';
import { describe, expect, it } from 'vitest';
import { TestClient, sleep, startServer } from './helpers.js';

const fixture = readFixture<{
  window: { protocol_version: string; min_client_build_id: string; max_client_build_id: string | null; min_schema_version: number; max_schema_version: number };
  scenarios: Array<{ name: string; request: { client_build_id: string; protocol_version: string; schema_version: number }; result: { accepted: boolean; code?: string; upgrade_required?: boolean } }>;
}>('compatibility-negotiation-v1.json');

describe('phx_join (§2.1, §1.3)', () => {
  it('replies with subscription_id, allowed_topics = scopes ∩ catalog, empty current_watermarks', async () => {
    const server = await startServer();
    const token = await server.mintToken({ sessionId: 'sess_abc', scopes: ['runtime.codex_worker_events', 'runtime.not_a_topic'] });
    const client = await TestClient.connect(server, token);
    const reply = await client.join();
    expect(reply).toEqual([
      '1', '1', 'sync:v1', 'phx_reply',
      { status: 'ok', response: { subscription_id: 'sub_sync_session:sess_abc', allowed_topics: ['runtime.codex_worker_events'], current_watermarks: [] } },
    ]);
    expect(server.stats().joins).toBe(1);
  });

  it('legacy join with null join_ref: reply and pushes carry null join_ref', async () => {
    const server = await startServer();
    const client = await TestClient.connect(server);
    const reply = await client.join({ legacy: true });
    expect(reply[0]).toBeNull();
    expect(reply[4].status).toBe('ok');
    // Legacy clients then push with join_ref "1"; the server does not care.
    client.send(['1', '2', 'sync:v1', 'sync:subscribe', { topics: ['runtime.run_summaries'] }]);
    await client.reply('2');
    server.publish('runtime.run_summaries', [{ docKey: 'd', payload: { a: 1 } }]);
    const push = await client.waitFor((f) => f[3] === 'sync:update_batch');
    expect(push[0]).toBeNull();
    expect(push[1]).toBeNull();
  });

  it('stamps the join_ref of the join on every push', async () => {
    const server = await startServer();
    const client = await TestClient.connect(server);
    client.nextRef();
    client.nextRef();
    await client.join(); // ref "3" → join_ref "3"
    await client.request('sync:subscribe', { topics: ['runtime.run_summaries'] });
    server.publish('runtime.run_summaries', [{ docKey: 'd', payload: { a: 1 } }]);
    const push = await client.waitFor((f) => f[3] === 'sync:frame');
    expect(push[0]).toBe('3');
  });

  it('a join on another topic gets {"reason":"unmatched topic"}', async () => {
    const server = await startServer();
    const client = await TestClient.connect(server);
    const reply = await client.join({ topic: 'sync:v2' });
    expect(reply[2]).toBe('sync:v2');
    expect(reply[4]).toEqual({ status: 'error', response: { reason: 'unmatched topic' } });
    expect(server.stats().joins).toBe(0);
  });

  it('pushes before a join, or to a dead channel, get unmatched topic', async () => {
    const server = await startServer();
    const client = await TestClient.connect(server);
    const early = await client.request('sync:heartbeat');
    expect(early[4]).toEqual({ status: 'error', response: { reason: 'unmatched topic' } });
    await client.join();
    server.faults.phxCloseAll();
    await client.waitFor((f) => f[3] === 'phx_close');
    const late = await client.request('sync:subscribe', { topics: ['runtime.run_summaries'] });
    expect(late[4]).toEqual({ status: 'error', response: { reason: 'unmatched topic' } });
  });

  it('answers the Phoenix socket heartbeat', async () => {
    const server = await startServer();
    const client = await TestClient.connect(server);
    client.send([null, '9', 'phoenix', 'heartbeat', {}]);
    expect(await client.reply('9')).toEqual([null, '9', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);
  });

  it('ignores malformed frames and stays usable', async () => {
    const server = await startServer();
    const client = await TestClient.connect(server);
    for (const bad of ['not json', '{}', '[1,2,3]', '[null,1,"sync:v1","phx_join",{}]', '[null,"1",5,"phx_join",{}]', '{"__proto__":{}}',
      '["1","2","sync:v1","phx_join",{"constructor":{"prototype":{}}}]']) {
      client.ws.send(bad);
    }
    client.ws.send(Buffer.from(JSON.stringify([null, '77', 'phoenix', 'heartbeat', {}])), { binary: true });
    expect((await client.reply('77'))[4].status).toBe('ok');
    const reply = await client.join();
    expect(reply[4].status).toBe('ok');
    // Only the two replies: nothing answered the garbage.
    expect(client.frames).toHaveLength(2);
  });

  it('phx_leave replies ok, then phx_close, and the socket stays open', async () => {
    const server = await startServer();
    const client = await TestClient.connect(server);
    await client.join();
    const since = client.mark();
    const reply = await client.request('phx_leave');
    expect(reply[4]).toEqual({ status: 'ok', response: {} });
    const close = await client.waitFor((f) => f[3] === 'phx_close', since);
    expect(close).toEqual(['1', null, 'sync:v1', 'phx_close', {}]);
    expect(client.frames.indexOf(reply)).toBeLessThan(client.frames.indexOf(close));
    expect(client.isOpen).toBe(true);
    expect((await client.join())[4].status).toBe('ok');
  });

  it('a second join closes the first channel instance and starts fresh', async () => {
    const server = await startServer();
    const client = await TestClient.connect(server);
    await client.join();
    await client.request('sync:subscribe', { topics: ['runtime.run_summaries'] });
    const second = await client.join();
    expect(second[4].status).toBe('ok');
    expect(client.events('phx_close')).toEqual([['1', null, 'sync:v1', 'phx_close', {}]]);
    const hb = await client.request('sync:heartbeat');
    expect(hb[4].response.watermarks).toEqual([]);
  });

  it('injectJoinError answers the next joins with the payload', async () => {
    const server = await startServer();
    const client = await TestClient.connect(server);
    server.faults.injectJoinError({ code: 'internal', message: 'boom' }, 2);
    expect((await client.join())[4]).toEqual({ status: 'error', response: { code: 'internal', message: 'boom' } });
    expect((await client.join())[4].status).toBe('error');
    expect((await client.join())[4].status).toBe('ok');
  });

  it('a revoked session connects but its joins fail with reauth_required', async () => {
    const server = await startServer();
    server.revokeSession('sess_gone', 'user_requested');
    const client = await TestClient.connect(server, await server.mintToken({ sessionId: 'sess_gone' }));
    const reply = await client.join();
    expect(reply[4]).toEqual({
      status: 'error',
      response: { code: 'reauth_required', message: 'session access was revoked; sign in again', reauth_required: true, reason: 'user_requested' },
    });
  });
});

describe('compatibility negotiation (§3.4) against compatibility-negotiation-v1.json', () => {
  const window = {
    enforce: true,
    protocolVersion: fixture.window.protocol_version,
    minClientBuildId: fixture.window.min_client_build_id,
    maxClientBuildId: fixture.window.max_client_build_id,
    minSchemaVersion: fixture.window.min_schema_version,
    maxSchemaVersion: fixture.window.max_schema_version,
  };

  for (const scenario of fixture.scenarios) {
    it(`${scenario.name}: query params`, async () => {
      const server = await startServer({ compatibility: window });
      const client = await TestClient.connect(server, undefined, {
        client: 'oa-ts',
        client_build_id: scenario.request.client_build_id,
        protocol_version: scenario.request.protocol_version,
        schema_version: String(scenario.request.schema_version),
      });
      const reply = await client.join();
      if (scenario.result.accepted) {
        expect(reply[4].status).toBe('ok');
      } else {
        expect(reply[4].status).toBe('error');
        expect(reply[4].response).toMatchObject({
          code: scenario.result.code,
          upgrade_required: true,
          retryable: false,
          surface: 'khala_websocket',
          min_client_build_id: window.minClientBuildId,
          max_client_build_id: window.maxClientBuildId,
          min_schema_version: window.minSchemaVersion,
          max_schema_version: window.maxSchemaVersion,
          protocol_version: window.protocolVersion,
        });
        expect(typeof reply[4].response.message).toBe('string');
      }
    });
  }

  it('checks run in order: blank build wins over a bad protocol; protocol wins over schema', async () => {
    const server = await startServer({ compatibility: window });
    const a = await TestClient.connect(server, undefined, { client_build_id: '  ', protocol_version: 'nope', schema_version: '9' });
    expect((await a.join())[4].response.code).toBe('invalid_client_build');
    const b = await TestClient.connect(server, undefined, { client_build_id: '20260221T110000Z', protocol_version: 'nope', schema_version: '9' });
    expect((await b.join())[4].response.code).toBe('unsupported_protocol_version');
    const c = await TestClient.connect(server, undefined, { client_build_id: '20260221T110000Z', protocol_version: 'khala.ws.v1', schema_version: '1.5' });
    expect((await c.join())[4].response.code).toBe('unsupported_schema_version');
  });

  it('falls back to JWT claims when the query param is absent; the query wins when present', async () => {
    const server = await startServer({ compatibility: window });
    const token = await server.mintToken({ client_build_id: '20260221T110000Z' });
    const viaClaim = await TestClient.connect(server, token, { protocol_version: 'khala.ws.v1', schema_version: '1' });
    expect((await viaClaim.join())[4].response.code).toBe('upgrade_required');
    const viaQuery = await TestClient.connect(server, token, { client_build_id: '20260221T130000Z', protocol_version: 'khala.ws.v1', schema_version: '1' });
    expect((await viaQuery.join())[4].status).toBe('ok');
  });

  it('is off by default and setCompatibility switches it at runtime', async () => {
    const server = await startServer();
    const client = await TestClient.connect(server);
    expect((await client.join())[4].status).toBe('ok');
    server.setCompatibility(window);
    expect((await client.join())[4].response.code).toBe('invalid_client_build');
    server.setCompatibility(undefined);
    await sleep(1);
    expect((await client.join())[4].status).toBe('ok');
  });
});
