import { afterEach, describe, expect, it } from 'vitest';
import { startSpacetimeServer, type SpacetimeServer } from '../../../src/server/index.js';
import { rawConnect, upgradeStatus, type RawClient } from './raw-client.js';

const A = 'runtime.codex.worker.worker_1';
const B = 'runtime.run.run_7';
let srv: SpacetimeServer | undefined;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await srv?.close();
  srv = undefined;
});

async function connect(protocols?: string[]): Promise<RawClient> {
  const c = await rawConnect(`${srv!.url}?token=tok`, protocols);
  clients.push(c);
  await c.next('IdentityToken');
  return c;
}

const rowsOf = (update: Record<string, unknown>): string[] =>
  ((update['tables'] as Array<{ table_name: string; updates: Array<{ inserts: string[] }> }>) ?? []).filter((t) => t.table_name === 'sync_event').flatMap((t) => t.updates.flatMap((u) => u.inserts));

describe('reference Spacetime server: handshake (§1.2)', () => {
  it('echoes v1.json.spacetimedb, sends IdentityToken first with the presented token and a u128 connection id', async () => {
    srv = await startSpacetimeServer({ port: 0 });
    const c = await rawConnect(`${srv.url}?token=tok123`);
    clients.push(c);
    expect(c.ws.protocol).toBe('v1.json.spacetimedb');
    const id = await c.next('IdentityToken');
    expect(c.texts[0]!.startsWith('{"IdentityToken"')).toBe(true);
    expect(id['token']).toBe('tok123');
    expect((id['identity'] as Record<string, string>)['__identity__']).toMatch(/^0x[0-9a-f]+$/);
    // Above 2^53, written as a bare number.
    expect(c.texts[0]).toMatch(/"__connection_id__":\d{31,}/);
  });

  it('walks its own preference list; no overlap → HTTP 400; unknown database → 404', async () => {
    srv = await startSpacetimeServer({ port: 0 });
    expect(await upgradeStatus(srv.url, ['v2.bsatn.spacetimedb'])).toBe(400);
    expect(await upgradeStatus(srv.url, [])).toBe(400);
    expect(await upgradeStatus(srv.url.replace('autopilot-sync', 'other-db'), ['v1.json.spacetimedb'])).toBe(404);
    expect(await upgradeStatus(srv.url, ['v1.json.spacetimedb'])).toBe('open');
    srv.faults.refuseUpgrades(401);
    expect(await upgradeStatus(srv.url, ['v1.json.spacetimedb'])).toBe(401);
  });

  it('pings every pingIntervalMs', async () => {
    srv = await startSpacetimeServer({ port: 0, pingIntervalMs: 30 });
    const c = await connect();
    const got = await new Promise<boolean>((resolve) => {
      c.ws.once('ping', () => resolve(true));
      setTimeout(() => resolve(false), 1000);
    });
    expect(got).toBe(true);
  });
});

describe('reference Spacetime server: subscriptions (§1.4–§1.6)', () => {
  it('SubscribeMulti → object-form rows matching the SQL; transaction deltas in positional form; only matching streams', async () => {
    srv = await startSpacetimeServer({ port: 0 });
    srv.publish(A, [{ payload: { n: 1 } }, { payload: { n: 2 } }, { payload: { n: 3 } }]);
    srv.publish(B, [{ payload: { n: 1 } }]);
    const c = await connect();
    c.send({ SubscribeMulti: { query_strings: [`SELECT * FROM sync_event WHERE stream_id = '${A}' AND seq > 1`], request_id: 7, query_id: { id: 3 } } });
    const applied = await c.next('SubscribeMultiApplied');
    expect(applied['request_id']).toBe(7);
    expect(applied['query_id']).toEqual({ id: 3 });
    const rows = rowsOf(applied['update'] as Record<string, unknown>).map((r) => JSON.parse(r) as Record<string, unknown>);
    expect(rows.map((r) => r['seq'])).toEqual([2, 3]);
    expect(rows[0]).toMatchObject({ stream_id: A, payload_json: '{"n":2}', payload_hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    srv.publish(B, [{ payload: { n: 2 } }]);
    srv.publish(A, [{ payload: { n: 4 } }]);
    const tx = await c.next('TransactionUpdate');
    const committed = (tx['status'] as Record<string, Record<string, unknown>>)['Committed']!;
    const delta = rowsOf(committed).map((r) => JSON.parse(r) as unknown[]);
    expect(delta).toEqual([[expect.any(String), A, 4, expect.any(String), '{"n":4}', expect.any(Number), 4, true]]);
    expect(c.frames.filter((f) => 'TransactionUpdate' in f)).toHaveLength(1);
  });

  it('quote-doubled literals match; ORDER BY and unknown tables are refused with SubscriptionError carrying the ids', async () => {
    srv = await startSpacetimeServer({ port: 0 });
    srv.publish("it's", [{ payload: {} }]);
    const c = await connect();
    c.send({ SubscribeMulti: { query_strings: ["SELECT * FROM sync_event WHERE stream_id = 'it''s'"], request_id: 1, query_id: { id: 1 } } });
    expect(rowsOf((await c.next('SubscribeMultiApplied'))['update'] as Record<string, unknown>)).toHaveLength(1);
    c.send({ SubscribeMulti: { query_strings: ["SELECT * FROM sync_event WHERE stream_id = 'a' ORDER BY seq ASC"], request_id: 2, query_id: { id: 2 } } });
    const err = await c.next('SubscriptionError');
    expect(err).toMatchObject({ request_id: { some: 2 }, query_id: { some: 2 }, table_id: { none: [] } });
    expect(err['error']).toMatch(/executing: `SELECT/);
    c.send({ SubscribeMulti: { query_strings: ['SELECT * FROM nope'], request_id: 3, query_id: { id: 3 } } });
    expect((await c.next('SubscriptionError'))['error']).toMatch(/no such table/);
  });

  it('a reused live query id → synthetic Failed TransactionUpdate; Unsubscribe returns rows as deletes and frees the id', async () => {
    srv = await startSpacetimeServer({ port: 0 });
    srv.publish(A, [{ payload: {} }]);
    const c = await connect();
    const sub = (rid: number) => c.send({ SubscribeMulti: { query_strings: [`SELECT * FROM sync_event WHERE stream_id = '${A}'`], request_id: rid, query_id: { id: 9 } } });
    sub(1);
    await c.next('SubscribeMultiApplied');
    sub(2);
    const failed = await c.next('TransactionUpdate');
    expect(failed['status']).toEqual({ Failed: 'Subscription with id 9 already exists' });
    expect(failed['reducer_call']).toMatchObject({ reducer_name: '', reducer_id: 4294967295, request_id: 0 });
    c.send({ UnsubscribeMulti: { request_id: 3, query_id: { id: 9 } } });
    const un = await c.next('UnsubscribeMultiApplied');
    const tables = (un['update'] as { tables: Array<{ updates: Array<{ deletes: string[]; inserts: string[] }> }> }).tables;
    expect(tables[0]!.updates[0]!.deletes).toHaveLength(1);
    expect(srv.queryIds()).toEqual([[]]);
  });

  it('decodes strictly: a bare query_id or an unknown field closes with 1011', async () => {
    srv = await startSpacetimeServer({ port: 0 });
    const c = await connect();
    c.send({ SubscribeMulti: { query_strings: ['SELECT * FROM sync_event'], request_id: 1, query_id: 1 } });
    expect((await c.closed).code).toBe(1011);
    const d = await connect();
    d.send({ UnsubscribeMulti: { request_id: 1, query_id: { id: 1 }, extra: true } });
    expect(await d.closed).toMatchObject({ code: 1011, reason: expect.stringMatching(/unknown field extra/) });
  });

  it('OneOffQuery on stream_head answers heads; a hex message_id is echoed', async () => {
    srv = await startSpacetimeServer({ port: 0 });
    srv.publish(A, [{ payload: {} }, { payload: {} }]);
    const c = await connect();
    c.send({ OneOffQuery: { message_id: '0000002a', query_string: `SELECT * FROM stream_head WHERE stream_id = '${A}'` } });
    const res = await c.next('OneOffQueryResponse');
    expect(res['message_id']).toBe('0000002a');
    expect(res['error']).toEqual({ none: [] });
    const rows = (res['tables'] as Array<{ rows: string[] }>)[0]!.rows.map((r) => JSON.parse(r) as Record<string, unknown>);
    expect(rows).toEqual([{ stream_id: A, head_seq: 2, updated_at_unix_ms: expect.any(Number) }]);
    c.send({ OneOffQuery: { message_id: '01', query_string: 'SELECT 1' } });
    expect((await c.next('OneOffQueryResponse'))['error']).toMatchObject({ some: expect.any(String) });
  });

  it('retention: pruned rows reach subscribers as deletes, and a resume below the floor shows a gap', async () => {
    srv = await startSpacetimeServer({ port: 0, retain: 3 });
    const c = await connect();
    c.send({ SubscribeMulti: { query_strings: [`SELECT * FROM sync_event WHERE stream_id = '${A}'`], request_id: 1, query_id: { id: 1 } } });
    await c.next('SubscribeMultiApplied');
    for (let i = 0; i < 5; i++) srv.publish(A, [{ payload: { i } }]);
    expect(srv.rows(A).map((r) => r.seq)).toEqual([3, 4, 5]);
    expect(srv.oldest(A)).toBe(3);
    await new Promise((r) => setTimeout(r, 50));
    const deletes = c.frames.flatMap((f) => {
      const tx = f['TransactionUpdate'] as { status: { Committed?: { tables: Array<{ updates: Array<{ deletes: string[] }> }> } } } | undefined;
      return tx?.status.Committed?.tables.flatMap((t) => t.updates.flatMap((u) => u.deletes)) ?? [];
    });
    expect(deletes.map((d) => (JSON.parse(d) as unknown[])[2])).toEqual([1, 2]);
    c.send({ SubscribeMulti: { query_strings: [`SELECT * FROM sync_event WHERE stream_id = '${A}' AND seq > 0`], request_id: 2, query_id: { id: 2 } } });
    const again = await c.next('SubscribeMultiApplied');
    expect(rowsOf(again['update'] as Record<string, unknown>).map((r) => (JSON.parse(r) as { seq: number }).seq)).toEqual([3, 4, 5]);
  });
});

describe('reference Spacetime server: HTTP snapshot (SDK_CONTRACTS §1)', () => {
  it('serves the full history as documents, paged, pinned to the head of the first page', async () => {
    srv = await startSpacetimeServer({ port: 0, retain: 2 });
    for (let i = 1; i <= 5; i++) srv.publish(A, [{ payload: { i } }]);
    const get = async (q: string) => {
      const res = await fetch(`${srv!.snapshotUrl}/${encodeURIComponent(A)}${q}`, { headers: { authorization: 'Bearer t' } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const p1 = await get('?limit=3');
    expect(p1.status).toBe(200);
    expect(p1.body).toMatchObject({ format: 'openagents.sync.snapshot.v1', schema_version: 1, topic: A, head_watermark: 5 });
    expect((p1.body['docs'] as unknown[]).length).toBe(3);
    srv.publish(A, [{ payload: { i: 6 } }]);
    const p2 = await get(`?limit=3&page_token=${p1.body['next_page_token'] as string}`);
    expect(p2.body['head_watermark']).toBe(5);
    expect((p2.body['docs'] as Array<{ doc_version: number }>).map((d) => d.doc_version)).toEqual([4, 5]);
    expect(p2.body['next_page_token']).toBeNull();
    expect((await get('')).body['head_watermark']).toBe(6);
    expect((await fetch(`${srv.snapshotUrl}/nope`)).status).toBe(404);
  });
});
