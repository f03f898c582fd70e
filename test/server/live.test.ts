import { describe, expect, it } from 'vitest';
import type { ReferenceServer, ReferenceServerOptions } from '../../src/server/index.js';
import { TestClient, decodePayloadBytes, sleep, startServer } from './helpers.js';

const RUNS = 'runtime.run_summaries';
const WORKERS = 'runtime.codex_worker_summaries';
const EVENTS = 'runtime.codex_worker_events';

async function subscribed(server: ReferenceServer, topics: string[], token?: string): Promise<TestClient> {
  const client = await TestClient.connect(server, token);
  await client.join();
  const reply = await client.request('sync:subscribe', { topics });
  expect(reply[4].status).toBe('ok');
  return client;
}

const applied = (client: TestClient, topic: string): number[] =>
  client
    .events('sync:update_batch')
    .flatMap((f) => f[4].updates as Array<{ topic: string; watermark: number }>)
    .filter((u) => u.topic === topic)
    .map((u) => u.watermark);

describe('live tail (§2.6)', () => {
  it('fans a publish out to every subscribed socket, as update_batch + frame pairs', async () => {
    const server = await startServer();
    const a = await subscribed(server, [RUNS]);
    const b = await subscribed(server, [RUNS, WORKERS]);
    const c = await subscribed(server, [WORKERS]);
    const entries = server.publish(RUNS, [{ docKey: 'x', payload: { v: 1 } }, { docKey: 'y', payload: { v: 2 } }]);
    expect(entries.map((e) => e.watermark)).toEqual([1, 2]);
    for (const client of [a, b]) {
      const frame = await client.waitFor((f) => f[3] === 'sync:frame');
      const batch = client.events('sync:update_batch')[0]![4];
      expect(batch.updates.map((u: { watermark: number }) => u.watermark)).toEqual([1, 2]);
      expect(batch.replay_complete).toBe(true);
      expect(decodePayloadBytes(frame[4].payload_bytes)).toEqual(batch);
    }
    await sleep(30);
    expect(c.events('sync:update_batch')).toHaveLength(0);
  });

  it('drains a backlog one batch per topic per tick, requeueing until caught up', async () => {
    const server = await startServer({ maxBatchSize: 3 });
    const client = await subscribed(server, [RUNS]);
    for (let i = 0; i < 8; i++) server.publish(RUNS, [{ docKey: `d${i}`, payload: { i } }]);
    await client.waitFor((f) => f[3] === 'sync:update_batch' && f[4].replay_complete === true);
    const batches = client.events('sync:update_batch').map((f) => f[4]);
    expect(batches.map((b) => b.updates.map((u: { watermark: number }) => u.watermark))).toEqual([[1, 2, 3], [4, 5, 6], [7, 8]]);
    expect(batches.map((b) => b.replay_complete)).toEqual([false, false, true]);
  });

  it('delivers every event exactly once per socket under interleaved publishes on several topics', async () => {
    const server = await startServer({ drainTopicsPerTick: 1 });
    const client = await subscribed(server, [RUNS, WORKERS, EVENTS]);
    for (let i = 0; i < 30; i++) {
      server.publish([RUNS, WORKERS, EVENTS][i % 3]!, [{ docKey: `d${i}`, payload: { i } }]);
      if (i % 7 === 0) await sleep(1);
    }
    await client.waitFor(() => applied(client, RUNS).length === 10 && applied(client, WORKERS).length === 10 && applied(client, EVENTS).length === 10);
    for (const t of [RUNS, WORKERS, EVENTS]) expect(applied(client, t)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('unsubscribe replies with the topics still subscribed and stops delivery', async () => {
    const server = await startServer();
    const client = await subscribed(server, [RUNS, WORKERS]);
    const reply = await client.request('sync:unsubscribe', { topics: [RUNS, 'runtime.never_subscribed'] });
    expect(reply[4]).toEqual({ status: 'ok', response: { subscription_id: expect.any(String), topics: [WORKERS] } });
    expect((await client.request('sync:unsubscribe', { topics: [] }))[4].response).toEqual({ code: 'bad_subscription' });
    expect((await client.request('sync:unsubscribe', {}))[4].response).toEqual({ code: 'bad_subscription' });
    server.publish(RUNS, [{ docKey: 'a', payload: {} }]);
    server.publish(WORKERS, [{ docKey: 'b', payload: {} }]);
    await client.waitFor((f) => f[3] === 'sync:update_batch');
    await sleep(20);
    expect(applied(client, RUNS)).toEqual([]);
    expect(applied(client, WORKERS)).toEqual([1]);
  });

  it('sync:heartbeat: push with delivered watermarks, then the ok reply', async () => {
    const server = await startServer();
    server.publish(RUNS, [{ docKey: 'a', payload: {} }, { docKey: 'b', payload: {} }]);
    server.publish(WORKERS, [{ docKey: 'a', payload: {} }]);
    const client = await subscribed(server, [RUNS]);
    server.publish(WORKERS, [{ docKey: 'b', payload: {} }]);
    const since = client.mark();
    const ref = client.push('sync:heartbeat');
    const reply = await client.reply(ref);
    const frames = client.frames.slice(since);
    expect(frames[0]).toEqual(['1', null, 'sync:v1', 'sync:heartbeat', { watermarks: [{ topic: RUNS, watermark: 2 }] }]);
    expect(frames[1]).toBe(reply);
    expect(reply[4]).toEqual({ status: 'ok', response: { subscription_id: expect.any(String), watermarks: [{ topic: RUNS, watermark: 2 }] } });
  });

  it('pushes unsolicited heartbeats and closes an idle channel with phx_close (socket stays open)', async () => {
    const server = await startServer({ serverHeartbeatMs: 40, channelIdleTimeoutMs: 150 });
    const client = await subscribed(server, [RUNS]);
    await client.waitFor((f) => f[3] === 'sync:heartbeat');
    const close = await client.waitFor((f) => f[3] === 'phx_close', 0, 2000);
    expect(close).toEqual(['1', null, 'sync:v1', 'phx_close', {}]);
    expect(client.isOpen).toBe(true);
    const count = client.events('sync:heartbeat').length;
    expect(count).toBeGreaterThanOrEqual(2);
    await sleep(120);
    expect(client.events('sync:heartbeat')).toHaveLength(count);
  });

  it('client sync:heartbeat keeps the channel alive', async () => {
    const server = await startServer({ serverHeartbeatMs: 30, channelIdleTimeoutMs: 250 });
    const client = await subscribed(server, [RUNS]);
    for (let i = 0; i < 8; i++) {
      await sleep(40);
      client.push('sync:heartbeat');
    }
    expect(client.events('phx_close')).toHaveLength(0);
  });

  it('an unknown sync:* event crashes the channel: phx_error, socket open, channel gone', async () => {
    const server = await startServer();
    const client = await subscribed(server, [RUNS]);
    const since = client.mark();
    client.push('sync:does_not_exist', { x: 1 });
    const err = await client.waitFor((f) => f[3] === 'phx_error', since);
    expect(err).toEqual(['1', null, 'sync:v1', 'phx_error', {}]);
    expect(client.frames.slice(since).filter((f) => f[3] === 'phx_reply')).toHaveLength(0);
    expect(client.isOpen).toBe(true);
    expect((await client.request('sync:heartbeat'))[4].response).toEqual({ reason: 'unmatched topic' });
    expect((await client.join())[4].status).toBe('ok');
  });
});

describe('slow consumer (§3.2, §8.3)', () => {
  const tight: ReferenceServerOptions = { queueLimit: 1 };

  it('throttles on overflow, then disconnects on strike 3 with phx_error; socket stays open', async () => {
    const server = await startServer(tight);
    const client = await subscribed(server, [RUNS, WORKERS]);
    const publishPair = (): void => {
      server.publish(RUNS, [{ docKey: 'r', payload: {} }]);
      server.publish(WORKERS, [{ docKey: 'w', payload: {} }]); // same tick: the pending set is full
    };
    publishPair();
    const first = await client.waitFor((f) => f[3] === 'sync:error');
    expect(first[4]).toEqual({
      code: 'slow_consumer', message: 'client cannot keep up with live fanout', action: 'throttle', topic: WORKERS,
      queue_depth: 2, queue_limit: 1, reconnect_after_ms: 2000, full_resync_required: false,
    });
    const frame = client.events('sync:frame').find((f) => f[4].kind === 'KHALA_FRAME_KIND_ERROR')!;
    expect(frame[4]).toMatchObject({ topic: WORKERS, seq: 0 });
    expect(decodePayloadBytes(frame[4].payload_bytes)).toEqual(first[4]);
    await sleep(10);
    publishPair();
    await client.waitFor((f) => f[3] === 'sync:error', client.frames.indexOf(first) + 1);
    await sleep(10);
    const since = client.mark();
    publishPair();
    const last = await client.waitFor((f) => f[3] === 'sync:error', since);
    expect(last[4]).toMatchObject({ action: 'disconnect', full_resync_required: true });
    const err = await client.waitFor((f) => f[3] === 'phx_error', since);
    expect(client.frames.indexOf(err)).toBeGreaterThan(client.frames.indexOf(last));
    expect(client.isOpen).toBe(true);
    expect(server.stats().slowConsumerEvictions).toBe(1);
    // The dropped notifications are not lost from the journal: a rejoin replays them.
    await client.join();
    await client.request('sync:subscribe', { topics: [WORKERS] });
    expect(applied(client, WORKERS).at(-1)).toBe(3);
  });

  it('faults.slowConsumer pushes throttle, and disconnect followed by phx_error', async () => {
    const server = await startServer();
    const client = await subscribed(server, [EVENTS]);
    server.faults.slowConsumer('throttle');
    const throttle = await client.waitFor((f) => f[3] === 'sync:error');
    expect(throttle[4]).toMatchObject({ code: 'slow_consumer', action: 'throttle', topic: EVENTS, queue_limit: 64, queue_depth: 65 });
    expect(client.events('phx_error')).toHaveLength(0);
    server.faults.slowConsumer('disconnect');
    await client.waitFor((f) => f[3] === 'phx_error');
    expect(client.events('sync:error').map((f) => f[4].action)).toEqual(['throttle', 'disconnect']);
  });
});

describe('session revocation (§8.5)', () => {
  it('pushes reauth_required (frame topic sync.auth) then phx_error on live channels of that session only', async () => {
    const server = await startServer();
    const victim = await subscribed(server, [RUNS], await server.mintToken({ sessionId: 'sess_v' }));
    const bystander = await subscribed(server, [RUNS], await server.mintToken({ sessionId: 'sess_b' }));
    server.revokeSession('sess_v');
    const push = await victim.waitFor((f) => f[3] === 'sync:error');
    const expected = { code: 'reauth_required', message: 'session access was revoked; sign in again', reauth_required: true, reason: 'session_revoked' };
    expect(push[4]).toEqual(expected);
    const frame = victim.events('sync:frame')[0]!;
    expect(frame[4]).toMatchObject({ topic: 'sync.auth', seq: 0, kind: 'KHALA_FRAME_KIND_ERROR' });
    expect(decodePayloadBytes(frame[4].payload_bytes)).toEqual(expected);
    const err = await victim.waitFor((f) => f[3] === 'phx_error');
    expect(victim.frames.indexOf(err)).toBeGreaterThan(victim.frames.indexOf(frame));
    expect(victim.isOpen).toBe(true);
    expect((await victim.join())[4].response.code).toBe('reauth_required');
    // A freshly minted token for the same session fails the same way.
    const again = await TestClient.connect(server, await server.mintToken({ sessionId: 'sess_v' }));
    expect((await again.join())[4].response.code).toBe('reauth_required');
    await sleep(20);
    expect(bystander.events('sync:error')).toHaveLength(0);
    expect(bystander.events('phx_error')).toHaveLength(0);
  });
});
