import { describe, expect, it } from 'vitest';
import { Journal } from '../../src/server/journal.js';
import { DEFAULT_TOPICS } from '../../src/server/options.js';
import { checkFreshness } from '../../src/server/stale-cursor.js';
import { TopicCatalog } from '../../src/server/topic-catalog.js';
import { startServer } from './helpers.js';

const RUNS = 'runtime.run_summaries';
const journalFor = (): ReturnType<Journal['topic']> => new Journal(new TopicCatalog(DEFAULT_TOPICS)).topic(RUNS);

describe('journal', () => {
  it('allocates per-topic watermarks and defaults doc_version to previous + 1', async () => {
    const server = await startServer();
    const a = server.publish(RUNS, [{ docKey: 'd', payload: { v: 1 } }, { docKey: 'd', payload: { v: 2 } }, { docKey: 'e', docVersion: 40, payload: {} }]);
    expect(a.map((e) => [e.watermark, e.docVersion])).toEqual([[1, 1], [2, 2], [3, 40]]);
    expect(server.publish(RUNS, [{ docKey: 'e', payload: {} }])[0]!.docVersion).toBe(41);
    expect(server.publish('runtime.notifications', [{ docKey: 'd', payload: {} }])[0]!.watermark).toBe(1);
    expect(server.head(RUNS)).toBe(4);
    expect(() => server.publish('runtime.nope', [{ docKey: 'd', payload: {} }])).toThrow(/unknown topic/);
  });

  it('keeps the latest document by doc_version, never a lower one', async () => {
    const server = await startServer();
    server.publish(RUNS, [{ docKey: 'd', docVersion: 5, payload: { v: 5 } }]);
    server.publish(RUNS, [{ docKey: 'd', docVersion: 3, payload: { v: 3 } }]);
    expect(server.documents(RUNS).get('d')).toEqual({ docVersion: 5, payload: { v: 5 }, watermark: 1 });
    server.publish(RUNS, [{ docKey: 'd', docVersion: 5, payload: { v: 'again' } }]);
    expect(server.documents(RUNS).get('d')).toEqual({ docVersion: 5, payload: { v: 'again' }, watermark: 3 });
  });

  it('validates a whole publish before appending anything', async () => {
    const server = await startServer();
    expect(() => server.publish(RUNS, [{ docKey: 'a', payload: {} }, { docKey: '', payload: {} }])).toThrow();
    expect(() => server.publish(RUNS, [{ docKey: 'a', payload: { x: Number.NaN } }])).toThrow(RangeError);
    expect(() => server.publish(RUNS, [{ docKey: 'a', docVersion: 1.5, payload: {} }])).toThrow();
    expect(() => server.publish(RUNS, [])).toThrow();
    expect(server.head(RUNS)).toBe(0);
    expect(server.journal(RUNS)).toEqual([]);
  });

  it('copies payloads so later caller mutation does not leak into the journal', async () => {
    const server = await startServer();
    const payload = { n: 1 };
    server.publish(RUNS, [{ docKey: 'a', payload }]);
    payload.n = 2;
    expect(server.journal(RUNS)[0]!.payload).toEqual({ n: 1 });
  });

  it('burnWatermarks leaves gaps; prune moves oldest and the retention floor', async () => {
    const server = await startServer();
    server.publish(RUNS, [{ docKey: 'a', payload: {} }]);
    server.burnWatermarks(RUNS, 4);
    server.publish(RUNS, [{ docKey: 'b', payload: {} }, { docKey: 'c', payload: {} }]);
    expect(server.journal(RUNS).map((e) => e.watermark)).toEqual([1, 6, 7]);
    expect(server.oldest(RUNS)).toBe(1);
    server.prune(RUNS, 3);
    expect(server.oldest(RUNS)).toBe(6);
    expect(server.journal(RUNS).map((e) => e.watermark)).toEqual([6, 7]);
    server.prune(RUNS, 100);
    expect(server.oldest(RUNS)).toBeUndefined();
    expect(server.head(RUNS)).toBe(7);
    expect(server.documents(RUNS).size).toBe(3);
  });

  it('freshness: the §5.5 worked examples and boundaries', () => {
    const j = journalFor();
    for (let i = 0; i < 25; i++) j.append([{ docKey: `d${i}`, payload: {} }]);
    j.prune(9); // oldest 10, head 25
    const policy = { replayBudget: 200, snapshot: true, qosTier: 'warm' as const };
    expect(checkFreshness(2, j, policy)?.reason).toBe('retention_floor_breach');
    expect(checkFreshness(9, j, policy)).toBeUndefined(); // c = oldest - 1
    expect(checkFreshness(8, j, policy)?.retention_floor).toBe(9);
    expect(checkFreshness(21, j, { ...policy, replayBudget: 100 })).toBeUndefined();
    expect(checkFreshness(10, j, { ...policy, replayBudget: 15 })).toBeUndefined(); // lag 15 = budget
    expect(checkFreshness(10, j, { ...policy, replayBudget: 14 })).toMatchObject({ reason: 'replay_budget_exceeded', replay_lag: 15 });
    expect(checkFreshness(99, j, policy)).toBeUndefined(); // ahead of head: no error (§8.7)
  });

  it('an emptied topic keeps its floor, so old cursors are still stale', () => {
    const j = journalFor();
    const policy = { replayBudget: 200, snapshot: true, qosTier: 'warm' as const };
    expect(checkFreshness(0, j, policy)).toBeUndefined();
    for (let i = 0; i < 5; i++) j.append([{ docKey: `d${i}`, payload: {} }]);
    j.prune(5);
    expect(j.retentionFloor).toBe(5);
    expect(checkFreshness(3, j, policy)?.reason).toBe('retention_floor_breach');
    expect(checkFreshness(5, j, policy)).toBeUndefined();
  });
});
