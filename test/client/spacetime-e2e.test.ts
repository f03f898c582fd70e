import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/index.js';
import type { SpacetimeServer } from '../../src/server/index.js';
import { createSqliteStore } from '../../src/sqlite.js';
import { publishN, range, seqsOf, sqlitePath, stClient, stTestBed, STREAM_A, STREAM_B, until, type StRecorded } from '../adapters/spacetime/client-helpers.js';

const bed = stTestBed();
let srv: SpacetimeServer | undefined;
const track = (r: StRecorded): StRecorded => bed.track(r);

/** The client's documents equal the stream's full history (seq → payload). */
/** A SQLite file whose client replayed STREAM_A up to `watermark` and closed; nothing recorded. */
async function primedStore(watermark: number): Promise<string> {
  const path = sqlitePath();
  const first = track(stClient(srv!, { topics: [STREAM_A], store: createSqliteStore({ path }) }));
  await first.client.connect();
  await until(() => first.client.getWatermark(STREAM_A) === watermark, `primed to ${watermark}`);
  await first.client.close();
  bed.forget();
  return path;
}

function convergedWithHistory(srvRows: Array<{ seq: number; payload_json: string; idempotency_key: string }>, r: StRecorded, topic: string): void {
  const docs = [...r.client.listDocuments(topic)].sort((a, b) => a.docVersion - b.docVersion);
  expect(docs.map((d) => [d.docKey, d.docVersion, JSON.stringify(d.payload)])).toEqual(srvRows.map((row) => [row.idempotency_key, row.seq, row.payload_json]));
}

describe('SyncClient over the Spacetime lane, SQLite store, real reference server (loopback)', () => {
  it('replays, goes live, persists; a restart with the same file resumes from the watermark with no duplicate', async () => {
    srv = await bed.start();
    publishN(srv, STREAM_A, 30);
    publishN(srv, STREAM_B, 4);
    const path = sqlitePath();
    const first = track(stClient(srv, { topics: [STREAM_A], store: createSqliteStore({ path }) }));
    await first.client.connect();
    await until(() => first.events.some((e) => e.type === 'caught_up'), 'caught up');
    publishN(srv, STREAM_A, 5);
    await until(() => first.client.getWatermark(STREAM_A) === 35, 'live');
    expect(seqsOf(first, STREAM_A)).toEqual(range(1, 35));
    // Stream filtering: STREAM_B exists on the server, was never asked for, and never appears.
    expect(first.applied.some((a) => a.topic === STREAM_B)).toBe(false);
    expect(first.errors).toEqual([]);
    await first.client.close();
    bed.forget();

    publishN(srv, STREAM_A, 7);
    const second = track(stClient(srv, { topics: [STREAM_A], store: createSqliteStore({ path }) }));
    await second.client.connect();
    await until(() => second.client.getWatermark(STREAM_A) === 42, 'resumed');
    expect(seqsOf(second, STREAM_A)).toEqual(range(36, 42));
    expect(second.client.listDocuments(STREAM_A)).toHaveLength(42);
    convergedWithHistory(srv.rows(STREAM_A), second, STREAM_A);
  });

  it('reconnect (socket cut) resumes from the persisted watermark: no gap, no duplicate', async () => {
    srv = await bed.start();
    publishN(srv, STREAM_A, 10);
    const r = track(stClient(srv, { topics: [STREAM_A], store: createSqliteStore({ path: sqlitePath() }) }));
    await r.client.connect();
    await until(() => r.client.getWatermark(STREAM_A) === 10, 'replay');
    srv.faults.dropConnections();
    publishN(srv, STREAM_A, 5);
    await until(() => r.client.getWatermark(STREAM_A) === 15 && r.client.status === 'live', 'resumed');
    publishN(srv, STREAM_A, 2);
    await until(() => r.client.getWatermark(STREAM_A) === 17, 'live again');
    expect(seqsOf(r, STREAM_A)).toEqual(range(1, 17));
    expect(srv.stats().connections).toBeGreaterThanOrEqual(2);
  });

  it('gap → stale_cursor → snapshot bootstrap → live, with no gap and no duplicate', async () => {
    srv = await bed.start();
    publishN(srv, STREAM_A, 10);
    const path = await primedStore(10);

    // Offline: 20 more events, then retention drops everything up to 25 (the client's cursor is 10).
    publishN(srv, STREAM_A, 20);
    srv.prune(STREAM_A, 25);
    const second = track(stClient(srv, { topics: [STREAM_A], store: createSqliteStore({ path }) }));
    await second.client.connect();
    await until(() => second.events.some((e) => e.type === 'bootstrap'), 'bootstrap');
    await until(() => second.client.status === 'live', 'live after bootstrap');
    expect(second.events.find((e) => e.type === 'stale')).toEqual({ type: 'stale', topic: STREAM_A, reason: 'retention_floor_breach' });
    expect(second.client.getWatermark(STREAM_A)).toBe(30);
    publishN(srv, STREAM_A, 3);
    await until(() => second.client.getWatermark(STREAM_A) === 33, 'live tail');
    // The replay rows 26..30 were refused (gap), the snapshot covered 1..30, live resumed at 31.
    expect(seqsOf(second, STREAM_A)).toEqual(range(31, 33));
    convergedWithHistory(srv.history(STREAM_A), second, STREAM_A);
    expect(srv.oldest(STREAM_A)).toBe(26);
    expect(second.errors.filter((e) => e.code !== ErrorCodes.STALE_CURSOR)).toEqual([]);
  });

  it('a replay larger than the budget is bootstrapped from the snapshot instead', async () => {
    srv = await bed.start();
    publishN(srv, STREAM_A, 2);
    const path = await primedStore(2);
    publishN(srv, STREAM_A, 50);
    const second = track(stClient(srv, { topics: [STREAM_A], store: createSqliteStore({ path }) }, { replayBudget: 20 }));
    await second.client.connect();
    await until(() => second.events.some((e) => e.type === 'bootstrap') && second.client.status === 'live', 'bootstrap');
    expect(second.events.find((e) => e.type === 'stale')?.reason).toBe('replay_budget_exceeded');
    expect(second.client.getWatermark(STREAM_A)).toBe(52);
    expect(second.client.listDocuments(STREAM_A)).toHaveLength(52);
  });

  it('an initial reply above maxFrameBytes is bootstrapped from the snapshot instead of hanging', async () => {
    srv = await bed.start();
    for (let i = 0; i < 40; i++) srv.publish(STREAM_A, [{ payload: { i, pad: 'x'.repeat(200) } }]);
    const r = track(stClient(srv, { topics: [STREAM_A], maxFrameBytes: 4000 }));
    await r.client.connect();
    await until(() => r.events.some((e) => e.type === 'bootstrap') && r.client.status === 'live', 'bootstrapped');
    expect(r.errors.map((e) => e.code)).toEqual([ErrorCodes.FRAME_TOO_LARGE]);
    // SPEC.md "What is reported": an oversized subscribe reply names its topic.
    expect(r.errors[0]!.topic).toBe(STREAM_A);
    expect(r.events.filter((e) => e.type === 'bootstrap')).toHaveLength(1);
    expect(r.client.getWatermark(STREAM_A)).toBe(40);
    srv.publish(STREAM_A, [{ payload: { i: 40 } }]);
    await until(() => r.client.getWatermark(STREAM_A) === 41, 'live row');
    expect(seqsOf(r, STREAM_A)).toEqual([41]);
  });

  it('keep-alive: the stream_head probe reports heads as hints; a stalled server is declared dead and the client resumes', async () => {
    srv = await bed.start();
    publishN(srv, STREAM_A, 3);
    const r = track(stClient(srv, { topics: [STREAM_A], heartbeatIntervalMs: 40, deadAfterMs: 400 }));
    const hints: Array<Record<string, number>> = [];
    r.client.on('heartbeat', (w) => hints.push(w));
    await r.client.connect();
    await until(() => hints.some((h) => h[STREAM_A] === 3), 'head hint');
    expect(r.client.getWatermark(STREAM_A)).toBe(3);
    srv.faults.stall(true);
    await until(() => r.errors.some((e) => e.code === ErrorCodes.HEARTBEAT_TIMEOUT), 'declared dead');
    srv.faults.stall(false);
    publishN(srv, STREAM_A, 2);
    await until(() => r.client.getWatermark(STREAM_A) === 5, 'resumed');
    expect(seqsOf(r, STREAM_A)).toEqual(range(1, 5));
  });

  it('a refused frame changes nothing; the connection continues and later rows apply', async () => {
    srv = await bed.start();
    publishN(srv, STREAM_A, 3);
    const r = track(stClient(srv, { topics: [STREAM_A] }));
    await r.client.connect();
    await until(() => r.client.getWatermark(STREAM_A) === 3, 'replay');
    srv.faults.pushRaw('{"TransactionUpdate":{"status":{"Committed":{"tables":[{"table_name":"sync_event","updates":[{"deletes":[],"inserts":["[1,2]"]}]}]}}}}');
    srv.faults.pushRaw('{"__proto__":{"x":1}}');
    srv.faults.pushRaw('not json');
    await until(() => r.errors.length === 3, 'three errors');
    expect(r.errors.map((e) => e.code)).toEqual([ErrorCodes.INVALID_ROW, ErrorCodes.FORBIDDEN_KEY, ErrorCodes.MALFORMED_FRAME]);
    expect(r.client.getWatermark(STREAM_A)).toBe(3);
    publishN(srv, STREAM_A, 1);
    await until(() => r.client.getWatermark(STREAM_A) === 4, 'next row');
    expect(srv.stats().connections).toBe(1);
  });

  it('SubscriptionError without ids → reconnect and resume from the watermark (§5 rule 8), no duplicate', async () => {
    srv = await bed.start();
    publishN(srv, STREAM_A, 5);
    const r = track(stClient(srv, { topics: [STREAM_A] }));
    await r.client.connect();
    await until(() => r.client.getWatermark(STREAM_A) === 5, 'replay');
    srv.faults.subscriptionErrorAll();
    await until(() => srv!.stats().connections === 2 && r.client.status === 'live', 'reconnected');
    publishN(srv, STREAM_A, 2);
    await until(() => r.client.getWatermark(STREAM_A) === 7, 'live');
    expect(seqsOf(r, STREAM_A)).toEqual(range(1, 7));
    expect(r.errors.map((e) => e.code)).toContain(ErrorCodes.CHANNEL_CLOSED);
  });

  it('a refused subscription query fails the topic with bad_subscription (not retried)', async () => {
    srv = await bed.start();
    srv.faults.failSubscribes('no such table: `sync_event`, executing: `SELECT …`');
    const r = track(stClient(srv, { topics: [STREAM_A] }));
    await r.client.connect();
    await until(() => r.errors.some((e) => e.code === ErrorCodes.BAD_SUBSCRIPTION), 'bad_subscription');
    expect(r.client.getSnapshot().topics[STREAM_A]?.phase).toBe('failed');
  });

  it('subprotocol: a wrong or missing echo stops with subprotocol_mismatch; no overlap is an HTTP 400 connect failure', async () => {
    srv = await bed.start();
    srv.faults.echoProtocol('v1.bsatn.spacetimedb');
    const wrong = track(stClient(srv, { topics: [STREAM_A] }));
    await wrong.client.connect();
    await until(() => wrong.client.status === 'upgrade_required', 'stopped');
    expect(wrong.errors.map((e) => e.code)).toEqual([ErrorCodes.SUBPROTOCOL_MISMATCH]);
    srv.faults.echoProtocol(null);
    const none = track(stClient(srv, { topics: [STREAM_A] }));
    await none.client.connect();
    await until(() => none.client.status === 'upgrade_required', 'stopped (none)');
    await srv.close();

    srv = await bed.start({ protocols: ['v2.bsatn.spacetimedb', 'v1.bsatn.spacetimedb'] });
    const r = track(stClient(srv, { topics: [STREAM_A] }));
    await r.client.connect();
    await until(() => r.errors.some((e) => e.code === ErrorCodes.CONNECT_FAILED), 'connect failed');
    expect(r.errors[0]!.details).toMatchObject({ httpStatus: 400 });
  });

  it('never sends the token anywhere but the URL query, and never reports it', async () => {
    srv = await bed.start();
    const secret = 'st-secret-token-xyz';
    const r = track(stClient(srv, { topics: [STREAM_A], token: secret }));
    srv.faults.pushRaw('{"Nope":1}');
    await r.client.connect();
    await until(() => r.client.status === 'live', 'live');
    srv.faults.pushRaw('{"Nope":1}');
    await until(() => r.errors.length > 0, 'error');
    expect(JSON.stringify(r.errors.map((e) => ({ m: e.message, d: e.details })))).not.toContain(secret);
  });
});
