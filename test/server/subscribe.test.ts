import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ReferenceServer } from '../../src/server/index.js';
import { TestClient, decodePayloadBytes, startServer } from './helpers.js';

const RUNS = 'runtime.run_summaries';
const WORKERS = 'runtime.codex_worker_summaries';
const NOTES = 'runtime.notifications';

function seed(server: ReferenceServer, topic: string, n: number): void {
  for (let i = 0; i < n; i++) server.publish(topic, [{ docKey: `doc:${i % 3}`, payload: { i } }]);
}

async function joined(server: ReferenceServer, scopes?: string[]): Promise<TestClient> {
  const client = await TestClient.connect(server, await server.mintToken(scopes ? { scopes } : {}));
  await client.join();
  return client;
}

const watermarksOf = (batch: { updates: Array<{ watermark: number }> }): number[] => batch.updates.map((u) => u.watermark);

describe('sync:subscribe processing order (§2.2)', () => {
  it('rejects topics that normalize to nothing with bad_subscription', async () => {
    const server = await startServer();
    const client = await joined(server);
    for (const payload of [{}, { topics: [] }, { topics: [' ', 5, null] }, { topics: 'runtime.run_summaries' }]) {
      const reply = await client.request('sync:subscribe', payload);
      expect(reply[4]).toEqual({ status: 'error', response: { code: 'bad_subscription' } });
    }
  });

  it('trims, drops non-strings and de-duplicates topics keeping order', async () => {
    const server = await startServer();
    const client = await joined(server);
    const reply = await client.request('sync:subscribe', { topics: [` ${WORKERS} `, 7, RUNS, WORKERS, ''] });
    expect(reply[4].status).toBe('ok');
    expect(reply[4].response.topics).toEqual([WORKERS, RUNS]);
    expect(reply[4].response.subscription_id).toMatch(/^sub_sync_session:/);
  });

  it('lists unknown topics first (catalog check precedes the allowed check)', async () => {
    const server = await startServer();
    const client = await joined(server, [RUNS]);
    const reply = await client.request('sync:subscribe', { topics: [NOTES, 'SYNC_TOPIC_RUNTIME_RUN_SUMMARIES', 'runtime.unknown'] });
    expect(reply[4]).toEqual({ status: 'error', response: { code: 'forbidden_topic', forbidden_topics: ['SYNC_TOPIC_RUNTIME_RUN_SUMMARIES', 'runtime.unknown'] } });
    const second = await client.request('sync:subscribe', { topics: [RUNS, NOTES] });
    expect(second[4]).toEqual({ status: 'error', response: { code: 'forbidden_topic', forbidden_topics: [NOTES] } });
  });

  it('checks topics before resume_after, and resume_after before freshness', async () => {
    const server = await startServer();
    seed(server, RUNS, 10);
    server.prune(RUNS, 5);
    const client = await joined(server, [RUNS]);
    const forbidden = await client.request('sync:subscribe', { topics: [NOTES], resume_after: 'garbage' });
    expect(forbidden[4].response.code).toBe('forbidden_topic');
    const bad = await client.request('sync:subscribe', { topics: [RUNS], resume_after: { [RUNS]: 1, [NOTES]: -1 } });
    expect(bad[4].response).toEqual({ code: 'bad_subscription' });
    expect(client.events('sync:error')).toHaveLength(0);
  });

  it('rejects every malformed resume_after with bad_subscription', async () => {
    const server = await startServer();
    const client = await joined(server);
    const cases = [
      { [RUNS]: '5' }, { [RUNS]: 1.5 }, { [RUNS]: -1 }, { [RUNS]: null }, 5, 'x', true,
      [{ topic: RUNS }], [{ watermark: 1 }], [{ topic: RUNS, watermark: '1' }], [RUNS],
    ];
    for (const resume_after of cases) {
      const reply = await client.request('sync:subscribe', { topics: [RUNS], resume_after });
      expect(reply[4], JSON.stringify(resume_after)).toEqual({ status: 'error', response: { code: 'bad_subscription' } });
    }
    // Nothing got subscribed by the failures.
    const hb = await client.request('sync:heartbeat');
    expect(hb[4].response.watermarks).toEqual([]);
    expect(server.stats().subscribes).toBe(0);
  });

  it('injectSubscribeError answers the next subscribe with the payload', async () => {
    const server = await startServer();
    const client = await joined(server);
    server.faults.injectSubscribeError({ code: 'rate_limited', retry_after_ms: 50 });
    const reply = await client.request('sync:subscribe', { topics: [RUNS] });
    expect(reply[4]).toEqual({ status: 'error', response: { code: 'rate_limited', retry_after_ms: 50 } });
    expect((await client.request('sync:subscribe', { topics: [RUNS] }))[4].status).toBe('ok');
  });
});

describe('replay (§2.6) and emission (§2.5)', () => {
  it('accepts the map form and the list form of resume_after', async () => {
    const server = await startServer();
    seed(server, RUNS, 5);
    seed(server, WORKERS, 4);
    const client = await joined(server);
    const since = client.mark();
    const reply = await client.request('sync:subscribe', { topics: [RUNS], resume_after: { [RUNS]: 2, [WORKERS]: 999999 } });
    expect(client.events('sync:update_batch', since).map((f) => watermarksOf(f[4]))).toEqual([[3, 4, 5]]);
    expect(reply[4].response.current_watermarks).toEqual([{ topic: RUNS, watermark: 5 }]);
    const other = await joined(server);
    const mark = other.mark();
    await other.request('sync:subscribe', { topics: [WORKERS], resume_after: [{ topic: WORKERS, watermark: 3 }, { topic: RUNS, watermark: 0 }] });
    expect(other.events('sync:update_batch', mark).map((f) => watermarksOf(f[4]))).toEqual([[4]]);
  });

  it('replays before the reply, split at replay_batch_size, replay_complete only on the last batch', async () => {
    const server = await startServer();
    seed(server, RUNS, 7);
    const client = await joined(server);
    const since = client.mark();
    const ref = client.push('sync:subscribe', { topics: [RUNS], resume_after: { [RUNS]: 0 }, replay_batch_size: 3 });
    const reply = await client.reply(ref);
    const after = client.frames.slice(since);
    expect(after.map((f) => f[3])).toEqual([
      'sync:update_batch', 'sync:frame', 'sync:update_batch', 'sync:frame', 'sync:update_batch', 'sync:frame', 'phx_reply',
    ]);
    const batches = client.events('sync:update_batch', since).map((f) => f[4]);
    expect(batches.map(watermarksOf)).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(batches.map((b) => b.replay_complete)).toEqual([false, false, true]);
    for (const b of batches) expect(b.head_watermarks).toEqual([{ topic: RUNS, watermark: 7 }]);
    expect(client.events('sync:frame', since).map((f) => f[4].seq)).toEqual([3, 6, 7]);
    expect(reply[4].response).toEqual({ subscription_id: expect.any(String), topics: [RUNS], current_watermarks: [{ topic: RUNS, watermark: 7 }] });
  });

  it('caps batches at maxBatchSize; bad replay_batch_size means the server default', async () => {
    const server = await startServer({ maxBatchSize: 2 });
    seed(server, RUNS, 5);
    for (const replay_batch_size of [100, 'x', 0, -3, 1.5]) {
      const client = await joined(server);
      const since = client.mark();
      await client.request('sync:subscribe', { topics: [RUNS], replay_batch_size });
      expect(client.events('sync:update_batch', since).map((f) => watermarksOf(f[4]))).toEqual([[1, 2], [3, 4], [5]]);
    }
  });

  it('replays topics in request order, one topic per batch, with gaps from burned watermarks', async () => {
    const server = await startServer();
    seed(server, RUNS, 1);
    server.burnWatermarks(RUNS, 3);
    seed(server, RUNS, 1);
    seed(server, WORKERS, 2);
    const client = await joined(server);
    const since = client.mark();
    const reply = await client.request('sync:subscribe', { topics: [WORKERS, RUNS] });
    const batches = client.events('sync:update_batch', since).map((f) => f[4]);
    expect(batches.map((b) => b.updates.map((u: { topic: string }) => u.topic))).toEqual([[WORKERS, WORKERS], [RUNS, RUNS]]);
    expect(watermarksOf(batches[1])).toEqual([1, 5]);
    expect(batches[1].replay_complete).toBe(true);
    expect(batches[1].head_watermarks).toEqual([{ topic: RUNS, watermark: 5 }]);
    expect(reply[4].response.current_watermarks).toEqual([{ topic: WORKERS, watermark: 2 }, { topic: RUNS, watermark: 5 }]);
  });

  it('pushes update_batch then sync:frame whose payload_bytes decode (UTF-8) to the same batch', async () => {
    const server = await startServer();
    const payload = { title: 'héllo wörld 🌍 日本語', status: 'running', n: 1 };
    server.publish(RUNS, [{ docKey: 'runtime/run_summary:run_42', docVersion: 7, payload }]);
    server.publish(RUNS, [{ docKey: 'runtime/run_summary:run_43', payload: { status: 'running' } }]);
    const client = await joined(server);
    const since = client.mark();
    await client.request('sync:subscribe', { topics: [RUNS] });
    const [legacy, frame] = client.frames.slice(since);
    expect(legacy![3]).toBe('sync:update_batch');
    expect(frame![3]).toBe('sync:frame');
    expect(frame![4]).toMatchObject({ topic: RUNS, seq: 2, kind: 'KHALA_FRAME_KIND_UPDATE_BATCH', schema_version: 1 });
    expect(decodePayloadBytes(frame![4].payload_bytes)).toEqual(legacy![4]);
    const [first, second] = legacy![4].updates;
    expect(first).toEqual({
      topic: RUNS, doc_key: 'runtime/run_summary:run_42', doc_version: 7, payload, watermark: 1, hydration_required: false,
      payload_hash: createHash('sha256').update('{"n":1,"status":"running","title":"héllo wörld 🌍 日本語"}', 'utf8').digest('base64'),
    });
    // The §2.5 example hash.
    expect(second.payload_hash).toBe('QJRDpu5aopbczWwNGT4hRWjaoAU7ZhVfuorcqZW3gj0=');
    expect(second.doc_version).toBe(1);
  });

  it('sends payload null + hydration_required in pointer mode, hash of the full document', async () => {
    const server = await startServer();
    server.publish(RUNS, [{ docKey: 'd1', payload: { status: 'running' }, pointer: true }]);
    const client = await joined(server);
    const since = client.mark();
    await client.request('sync:subscribe', { topics: [RUNS] });
    const [update] = client.events('sync:update_batch', since)[0]![4].updates;
    expect(update).toMatchObject({ payload: null, hydration_required: true, payload_hash: 'QJRDpu5aopbczWwNGT4hRWjaoAU7ZhVfuorcqZW3gj0=' });
    expect(server.documents(RUNS).get('d1')?.payload).toEqual({ status: 'running' });
  });

  it('with doubleEmission false sends one stream: legacy by default, frames with singleEmission "frame"', async () => {
    const legacy = await startServer({ doubleEmission: false });
    seed(legacy, RUNS, 2);
    const a = await joined(legacy);
    await a.request('sync:subscribe', { topics: [RUNS] });
    expect(a.events('sync:update_batch')).toHaveLength(1);
    expect(a.events('sync:frame')).toHaveLength(0);
    const frames = await startServer({ doubleEmission: false, singleEmission: 'frame' });
    seed(frames, RUNS, 2);
    frames.prune(RUNS, 1);
    const b = await joined(frames);
    await b.request('sync:subscribe', { topics: [RUNS] });
    await b.request('sync:subscribe', { topics: [RUNS], resume_after: { [RUNS]: 0 } });
    expect(b.events('sync:update_batch')).toHaveLength(0);
    expect(b.events('sync:error')).toHaveLength(0);
    expect(b.events('sync:frame').map((f) => f[4].kind)).toEqual(['KHALA_FRAME_KIND_UPDATE_BATCH', 'KHALA_FRAME_KIND_ERROR']);
  });

  it('without resume_after continues from the socket cursor; a lower resume_after re-sends', async () => {
    const server = await startServer();
    seed(server, RUNS, 3);
    const client = await joined(server);
    await client.request('sync:subscribe', { topics: [RUNS] });
    seed(server, RUNS, 2);
    await client.waitFor((f) => f[3] === 'sync:update_batch' && f[4].updates.some((u: { watermark: number }) => u.watermark === 5));
    let since = client.mark();
    const again = await client.request('sync:subscribe', { topics: [RUNS] });
    expect(client.events('sync:update_batch', since)).toHaveLength(0);
    expect(again[4].response.current_watermarks).toEqual([{ topic: RUNS, watermark: 5 }]);
    since = client.mark();
    await client.request('sync:subscribe', { topics: [RUNS], resume_after: { [RUNS]: 3 } });
    expect(client.events('sync:update_batch', since).map((f) => watermarksOf(f[4]))).toEqual([[4, 5]]);
  });

  it('echoes a cursor above head in current_watermarks and replays nothing (§8.7)', async () => {
    const server = await startServer();
    seed(server, RUNS, 3);
    const client = await joined(server);
    const since = client.mark();
    const reply = await client.request('sync:subscribe', { topics: [RUNS], resume_after: { [RUNS]: 10 } });
    expect(reply[4].status).toBe('ok');
    expect(reply[4].response.current_watermarks).toEqual([{ topic: RUNS, watermark: 10 }]);
    expect(client.frames.slice(since).filter((f) => f[3] !== 'phx_reply')).toHaveLength(0);
    const hb = await client.request('sync:heartbeat');
    expect(hb[4].response.watermarks).toEqual([{ topic: RUNS, watermark: 10 }]);
  });
});
