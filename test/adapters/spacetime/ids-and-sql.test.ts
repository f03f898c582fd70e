import { describe, expect, it } from 'vitest';
import { U32_MAX, U32Counter, oneOffQuery } from '../../../src/adapters/spacetime/client-messages.js';
import { headQuery, sqlString, streamQuery } from '../../../src/adapters/spacetime/sql.js';
import { MAX_UNANSWERED_UNSUBSCRIBES, WireIds } from '../../../src/adapters/spacetime/wire-ids.js';
import { buildSpacetimeUrl, createSpacetimeLane } from '../../../src/spacetime.js';
import { parseQuery, matches } from '../../../src/server/spacetime/sql-subset.js';

describe('u32 ids (§5 rule 3)', () => {
  it('wrap after u32::MAX back to 1 and skip ids still live', () => {
    const c = new U32Counter(U32_MAX - 1);
    expect([c.take(), c.take(), c.take()]).toEqual([U32_MAX - 1, U32_MAX, 1]);
    const d = new U32Counter(U32_MAX);
    expect(d.take(new Set([U32_MAX, 1, 2]))).toBe(3);
  });

  it('a query id stays taken until its unsubscribe reply or a refusal', () => {
    const ids = new WireIds();
    const q1 = ids.query();
    const un = ids.unsubscribe(q1);
    expect(ids.query()).not.toBe(q1);
    expect(ids.unsubscribed(un)).toBe(true);
    expect(ids.unsubscribed(un)).toBe(false);
    expect(ids.unsubscribed(9999)).toBe(false);
  });

  it('unsubscribes a server never answers are remembered up to a cap (the oldest is forgotten and its query id freed)', () => {
    const ids = new WireIds();
    const first = ids.unsubscribe(ids.query());
    for (let i = 0; i < 10_000; i++) ids.unsubscribe(ids.query());
    const inner = ids as unknown as { live: Set<number>; unsubscribing: Map<number, number> };
    expect(inner.unsubscribing.size).toBe(MAX_UNANSWERED_UNSUBSCRIBES);
    expect(inner.live.size).toBe(MAX_UNANSWERED_UNSUBSCRIBES);
    expect(ids.unsubscribed(first)).toBe(false); // forgotten: a late reply is not ours any more
    const kept = ids.unsubscribe(ids.query());
    expect(ids.unsubscribed(kept)).toBe(true);
  });

  it('message_id is 8 lowercase hex digits (a byte array), never [n]', () => {
    expect(JSON.parse(oneOffQuery(256, 'SELECT * FROM stream_head'))).toEqual({ OneOffQuery: { message_id: '00000100', query_string: 'SELECT * FROM stream_head' } });
  });
});

describe('SQL built by the lane and read by the reference server (§5 rule 4)', () => {
  it('quote-doubles literals, and the server reads back the exact stream id', () => {
    for (const stream of ["it's", "''", "a' OR '1'='1", 'é日本🙂', 'runtime.codex.worker.events']) {
      const sql = streamQuery('sync_event', stream, 7);
      const parsed = parseQuery(sql);
      expect(parsed.ok, sql).toBe(true);
      if (!parsed.ok) continue;
      expect(matches(parsed.query.where, { stream_id: stream, seq: 8 })).toBe(true);
      expect(matches(parsed.query.where, { stream_id: stream, seq: 7 })).toBe(false);
      expect(matches(parsed.query.where, { stream_id: `${stream}x`, seq: 8 })).toBe(false);
    }
    expect(sqlString("a'b")).toBe("'a''b'");
    expect(headQuery('stream_head', ['a', 'b'])).toBe("SELECT * FROM stream_head WHERE stream_id = 'a' OR stream_id = 'b'");
  });

  it('the server subset refuses ORDER BY, LIMIT, column lists and SELECT 1', () => {
    for (const sql of ['SELECT * FROM sync_event ORDER BY seq', 'SELECT * FROM sync_event WHERE seq > 1 LIMIT 5', 'SELECT seq FROM sync_event', 'SELECT 1', "SELECT * FROM sync_event WHERE stream_id = 'x"]) {
      expect(parseQuery(sql).ok, sql).toBe(false);
    }
  });
});

describe('lane URL and options', () => {
  it('a base URL gets /v1/database/{db}/subscribe and ?token=; https → wss; a full URL is kept', () => {
    expect(buildSpacetimeUrl('https://maincloud.spacetimedb.com', 't k', 'c2003d59')).toBe('wss://maincloud.spacetimedb.com/v1/database/c2003d59/subscribe?token=t+k');
    expect(buildSpacetimeUrl('ws://127.0.0.1:9/v1/database/x/subscribe?light=true', 't', 'ignored')).toBe('ws://127.0.0.1:9/v1/database/x/subscribe?light=true&token=t');
    const lane = createSpacetimeLane();
    expect(lane.protocols).toEqual(['v1.json.spacetimedb']);
    expect(lane.name).toBe('spacetime');
  });

  it('refuses options that would reach SQL unquoted or make no sense', () => {
    expect(() => createSpacetimeLane({ table: 'sync_event; DROP' })).toThrow(/plain SQL identifier/);
    expect(() => createSpacetimeLane({ headTable: 'a b' })).toThrow(/plain SQL identifier/);
    expect(() => createSpacetimeLane({ columns: ['stream_id', 'seq'] })).toThrow(/columns must include/);
    expect(() => createSpacetimeLane({ replayBudget: 0 })).toThrow(/replayBudget/);
    expect(() => createSpacetimeLane({ database: '' })).toThrow(/database/);
  });
});
