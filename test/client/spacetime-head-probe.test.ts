import { describe, expect, it } from 'vitest';
import type { LaneNotice } from '../../src/index.js';
import { ErrorCodes } from '../../src/errors/index.js';
import type { SpacetimeServer } from '../../src/server/index.js';
import { createSqliteStore } from '../../src/sqlite.js';
import { publishN, range, seqsOf, sqlitePath, stClient, stTestBed, STREAM_A, until, type StRecorded } from '../adapters/spacetime/client-helpers.js';

const bed = stTestBed();
let srv: SpacetimeServer | undefined;

function withNotices(r: StRecorded): { r: StRecorded; notices: LaneNotice[] } {
  bed.track(r);
  const notices: LaneNotice[] = [];
  r.client.on('notice', (n) => notices.push(n));
  return { r, notices };
}

/** A SQLite file whose client applied STREAM_A up to `watermark`. */
async function primed(watermark: number): Promise<string> {
  const path = sqlitePath('ks-st-head-');
  const { r } = withNotices(stClient(srv!, { topics: [STREAM_A], store: createSqliteStore({ path }) }));
  await r.client.connect();
  await until(() => r.client.getWatermark(STREAM_A) === watermark, `primed to ${watermark}`);
  await r.client.close();
  bed.forget();
  return path;
}

/** Documents of the stream, oldest first, equal the server's full history (no gap, no duplicate). */
function holdsHistory(r: StRecorded): void {
  const docs = [...r.client.listDocuments(STREAM_A)].sort((a, b) => a.docVersion - b.docVersion);
  expect(docs.map((d) => d.docVersion)).toEqual(srv!.history(STREAM_A).map((row) => row.seq));
}

describe('Spacetime head probe as evidence (§5 rule 7): gaps no delta closes are recovered as stale cursors', () => {
  it('an empty resume reply while the head is ahead (rows pruned) is stale at once: snapshot, then live — not caught_up forever', async () => {
    srv = await bed.start();
    publishN(srv, STREAM_A, 10);
    const path = await primed(10);
    publishN(srv, STREAM_A, 5);
    srv.prune(STREAM_A, 15); // every row gone: `seq > 10` comes back empty, stream_head says 15
    const { r, notices } = withNotices(stClient(srv, { topics: [STREAM_A], store: createSqliteStore({ path }) }));
    await r.client.connect();
    await until(() => r.client.getWatermark(STREAM_A) === 15 && r.client.status === 'live', 'recovered from the head probe');
    expect(r.events.find((e) => e.type === 'stale')).toMatchObject({ topic: STREAM_A, reason: 'retention_floor_breach' });
    expect(r.events.some((e) => e.type === 'bootstrap')).toBe(true);
    expect(notices).toContainEqual({ type: 'head_gap', stream: STREAM_A, head: 15, applied: 10, outcome: 'stale' });
    expect(r.client.getMetrics().headGapsStale).toBe(1);
    publishN(srv, STREAM_A, 2);
    await until(() => r.client.getWatermark(STREAM_A) === 17, 'live after recovery');
    expect(seqsOf(r, STREAM_A)).toEqual([16, 17]);
    holdsHistory(r);
  });

  it('a delta that never arrives (head ahead, next row still held) waits headGapMs, then recovers exactly once', async () => {
    srv = await bed.start();
    publishN(srv, STREAM_A, 5);
    const { r, notices } = withNotices(stClient(srv, { topics: [STREAM_A], store: createSqliteStore({ path: sqlitePath('ks-st-head-') }), heartbeatIntervalMs: 100 }, { headGapMs: 300 }));
    await r.client.connect();
    await until(() => r.client.getWatermark(STREAM_A) === 5 && r.client.status === 'live', 'live');
    srv.faults.loseDeltas(STREAM_A, true);
    publishN(srv, STREAM_A, 3); // committed, never sent
    srv.faults.loseDeltas(STREAM_A, false);
    await until(() => notices.some((n) => n.type === 'head_gap' && n.outcome === 'waiting'), 'gap seen');
    const seenAt = Date.now();
    await until(() => r.client.getWatermark(STREAM_A) === 8 && r.client.status === 'live', 'recovered');
    expect(Date.now() - seenAt).toBeGreaterThanOrEqual(250);
    expect(r.events.find((e) => e.type === 'stale')).toMatchObject({ topic: STREAM_A, reason: 'head_gap_timeout' });
    publishN(srv, STREAM_A, 2);
    await until(() => r.client.getWatermark(STREAM_A) === 10, 'live after recovery');
    expect(seqsOf(r, STREAM_A)).toEqual([...range(1, 5), 9, 10]);
    holdsHistory(r);
  });

  it('under a steady stream with frequent probes, no head is misread as a gap: exactly once, nothing stale', async () => {
    srv = await bed.start();
    const { r, notices } = withNotices(stClient(srv, { topics: [STREAM_A], heartbeatIntervalMs: 20 }, { headGapMs: 300 }));
    await r.client.connect();
    await until(() => r.client.status === 'live', 'live');
    for (let burst = 0; burst < 20; burst++) {
      publishN(srv, STREAM_A, 10);
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    await until(() => r.client.getWatermark(STREAM_A) === 200, 'all delivered');
    await new Promise((resolve) => setTimeout(resolve, 400)); // past any open gap's deadline
    expect(seqsOf(r, STREAM_A)).toEqual(range(1, 200));
    expect(notices.filter((n) => n.type === 'head_probe').length).toBeGreaterThan(3);
    expect(notices.filter((n) => n.type === 'head_gap' && n.outcome === 'stale')).toEqual([]);
    expect(r.events.some((e) => e.type === 'stale')).toBe(false);
  });

  it('a head further ahead than the replay budget is stale at once (replay_budget_exceeded)', async () => {
    srv = await bed.start();
    publishN(srv, STREAM_A, 2);
    const { r } = withNotices(stClient(srv, { topics: [STREAM_A], heartbeatIntervalMs: 100 }, { replayBudget: 5, headGapMs: 60_000 }));
    await r.client.connect();
    await until(() => r.client.getWatermark(STREAM_A) === 2 && r.client.status === 'live', 'live');
    srv.faults.loseDeltas(STREAM_A, true);
    publishN(srv, STREAM_A, 9);
    srv.faults.loseDeltas(STREAM_A, false);
    await until(() => r.client.getWatermark(STREAM_A) === 11, 'recovered without waiting headGapMs');
    expect(r.events.find((e) => e.type === 'stale')).toMatchObject({ topic: STREAM_A, reason: 'replay_budget_exceeded' });
  });
});

describe('Spacetime one-off queries correlated by hex message_id (§1.4)', () => {
  it('a reply naming no pending query is ignored and counted, never taken as our answer', async () => {
    srv = await bed.start();
    publishN(srv, STREAM_A, 4);
    const { r, notices } = withNotices(stClient(srv, { topics: [STREAM_A], heartbeatIntervalMs: 60_000 }));
    const heartbeats: Array<Record<string, number>> = [];
    r.client.on('heartbeat', (w) => heartbeats.push(w));
    await r.client.connect();
    await until(() => heartbeats.length === 1, 'the post-subscribe head probe answered');
    // A foreign answer claiming a head far ahead: taken as ours, it would start a stale recovery.
    const row = JSON.stringify({ stream_id: STREAM_A, head_seq: 999, updated_at_unix_ms: 1 });
    srv.faults.pushRaw(JSON.stringify({ OneOffQueryResponse: { message_id: 'deadbeef', error: { none: [] }, tables: [{ table_name: 'stream_head', rows: [row] }], total_host_execution_duration: { __time_duration_micros__: 1 } } }));
    await until(() => r.client.getMetrics().unmatchedReplies === 1, 'counted');
    expect(notices).toContainEqual({ type: 'unmatched_reply', kind: 'one_off', id: 'deadbeef' });
    expect(heartbeats).toEqual([{ [STREAM_A]: 4 }]);
    expect(r.events.some((e) => e.type === 'stale')).toBe(false);
    expect(r.errors).toEqual([]);
  });

  it('a query with no reply times out (reply_timeout, counted); its late answer would be unmatched', async () => {
    srv = await bed.start();
    publishN(srv, STREAM_A, 1);
    srv.faults.dropOneOffs(1);
    const { r, notices } = withNotices(stClient(srv, { topics: [STREAM_A], heartbeatIntervalMs: 60_000 }, { queryTimeoutMs: 150 }));
    await r.client.connect();
    await until(() => r.client.getMetrics().replyTimeouts === 1, 'timed out');
    expect(notices).toContainEqual({ type: 'reply_timeout', kind: 'one_off', id: '00000001' });
    expect(r.errors.map((e) => e.code)).toEqual([ErrorCodes.REPLY_TIMEOUT]);
    expect(r.client.status).toBe('live');
  });
});
