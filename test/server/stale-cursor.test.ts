import { describe, expect, it } from 'vitest';
import type { ReferenceServer } from '../../src/server/index.js';
import { TestClient, decodePayloadBytes, startServer } from './helpers.js';

const RUNS = 'runtime.run_summaries';
const EVENTS = 'runtime.codex_worker_events';
const NOTES = 'runtime.notifications';

function seed(server: ReferenceServer, topic: string, n: number): void {
  for (let i = 0; i < n; i++) server.publish(topic, [{ docKey: `doc:${i % 3}`, payload: { i } }]);
}

async function joined(server: ReferenceServer): Promise<TestClient> {
  const client = await TestClient.connect(server);
  await client.join();
  return client;
}

const watermarksOf = (batch: { updates: Array<{ watermark: number }> }): number[] => batch.updates.map((u) => u.watermark);

describe('stale_cursor (§3.2, §5.5)', () => {
  it('retention_floor_breach: error push, ERROR frame, error reply with the same full payload', async () => {
    const server = await startServer();
    seed(server, RUNS, 10);
    server.prune(RUNS, 5);
    const client = await joined(server);
    const since = client.mark();
    const reply = await client.request('sync:subscribe', { topics: [RUNS], resume_after: { [RUNS]: 3 } });
    const expected = {
      code: 'stale_cursor',
      message: 'cursor is older than retention floor',
      full_resync_required: true,
      reason_codes: ['retention_floor_breach'],
      snapshot_plan: {
        format: 'openagents.sync.snapshot.v1',
        topics: [{
          topic: RUNS, head_watermark: 10,
          snapshot: { topic: RUNS, format: 'openagents.sync.snapshot.v1', schema_version: 1, cadence_seconds: 300, source_table: 'runtime.sync_run_summaries' },
        }],
      },
      stale_topics: [{
        topic: RUNS, reason: 'retention_floor_breach', qos_tier: 'warm', resume_after: 3, retention_floor: 5, head_watermark: 10,
        replay_lag: 7, replay_budget_events: 20000,
      }],
    };
    const frames = client.frames.slice(since);
    expect(frames.map((f) => f[3])).toEqual(['sync:error', 'sync:frame', 'phx_reply']);
    expect(frames[0]![4]).toEqual(expected);
    expect(frames[1]![4]).toMatchObject({ topic: RUNS, seq: 0, kind: 'KHALA_FRAME_KIND_ERROR', schema_version: 1 });
    expect(decodePayloadBytes(frames[1]![4].payload_bytes)).toEqual(expected);
    expect(reply[4]).toEqual({ status: 'error', response: expected });
    expect(server.stats().staleCursors).toBe(1);
    // Nothing was subscribed: a publish reaches nobody.
    seed(server, RUNS, 1);
    const hb = await client.request('sync:heartbeat');
    expect(hb[4].response.watermarks).toEqual([]);
    expect(client.events('sync:update_batch')).toHaveLength(0);
  });

  it('c = oldest - 1 is fresh; topics without resume_after are never checked', async () => {
    const server = await startServer();
    seed(server, RUNS, 10);
    server.prune(RUNS, 5);
    const client = await joined(server);
    let since = client.mark();
    expect((await client.request('sync:subscribe', { topics: [RUNS], resume_after: { [RUNS]: 5 } }))[4].status).toBe('ok');
    expect(client.events('sync:update_batch', since).map((f) => watermarksOf(f[4]))).toEqual([[6, 7, 8, 9, 10]]);
    const other = await joined(server);
    since = other.mark();
    expect((await other.request('sync:subscribe', { topics: [RUNS] }))[4].status).toBe('ok');
    expect(other.events('sync:update_batch', since).map((f) => watermarksOf(f[4]))).toEqual([[6, 7, 8, 9, 10]]);
  });

  it('replay_budget_exceeded with its own message, one reason per topic, first stale topic on the frame', async () => {
    const server = await startServer({
      topics: {
        [RUNS]: { replayBudget: 100, snapshot: true, qosTier: 'warm' },
        [EVENTS]: { replayBudget: 3, snapshot: false, qosTier: 'hot' },
        [NOTES]: { replayBudget: 2, snapshot: false, qosTier: 'cold' },
      },
    });
    seed(server, EVENTS, 10);
    seed(server, NOTES, 10);
    server.prune(NOTES, 4);
    const client = await joined(server);
    expect((await client.request('sync:subscribe', { topics: [EVENTS], resume_after: { [EVENTS]: 7 } }))[4].status).toBe('ok');
    const budgetOnly = await client.request('sync:subscribe', { topics: [EVENTS], resume_after: { [EVENTS]: 5 } });
    expect(budgetOnly[4].response).toMatchObject({
      message: 'replay budget exceeded for topic qos tier; full resync required',
      reason_codes: ['replay_budget_exceeded'],
      snapshot_plan: { format: 'openagents.sync.snapshot.v1', topics: [] },
      stale_topics: [{ topic: EVENTS, reason: 'replay_budget_exceeded', qos_tier: 'hot', resume_after: 5, retention_floor: 0, head_watermark: 10, replay_lag: 5, replay_budget_events: 3 }],
    });
    const since = client.mark();
    // NOTES breaches both the floor (1 < 4) and the budget; only the floor is reported.
    const both = await client.request('sync:subscribe', { topics: [RUNS, EVENTS, NOTES], resume_after: { [RUNS]: 0, [NOTES]: 1, [EVENTS]: 2 } });
    expect(both[4].response.reason_codes).toEqual(['replay_budget_exceeded', 'retention_floor_breach']);
    expect(both[4].response.stale_topics.map((s: { topic: string; reason: string }) => [s.topic, s.reason])).toEqual([
      [EVENTS, 'replay_budget_exceeded'], [NOTES, 'retention_floor_breach'],
    ]);
    expect(both[4].response.message).toBe('cursor is older than retention floor');
    expect(client.events('sync:frame', since)[0]![4].topic).toBe(EVENTS);
  });

  it('a prune past what a live socket was sent: stale_cursor for that topic, never the retained rows alone', async () => {
    const server = await startServer();
    const client = await joined(server);
    expect((await client.request('sync:subscribe', { topics: [RUNS] }))[4].status).toBe('ok');
    seed(server, RUNS, 3);
    await client.waitFor((f) => f[3] === 'sync:update_batch');
    const since = client.mark();
    // Published and pruned before the next drain tick: rows 4–9 never reach the socket.
    seed(server, RUNS, 7);
    server.prune(RUNS, 9);
    const pushed = await client.waitFor((f) => f[3] === 'sync:error', since);
    expect(pushed[4]).toMatchObject({
      code: 'stale_cursor',
      stale_topics: [{ topic: RUNS, reason: 'retention_floor_breach', resume_after: 3, retention_floor: 9, head_watermark: 10 }],
    });
    expect(client.events('sync:update_batch', since)).toHaveLength(0);
    // The topic left the subscription until the client resubscribes from a fresh cursor.
    expect((await client.request('sync:heartbeat'))[4].response.watermarks).toEqual([]);
    const again = await client.request('sync:subscribe', { topics: [RUNS], resume_after: { [RUNS]: 10 } });
    expect(again[4].status).toBe('ok');
  });
});
