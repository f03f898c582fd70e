import { describe, expect, it } from 'vitest';
import { SyncClient } from '../../src/client/sync-client.js';
import type { KhalaSyncError } from '../../src/errors/index.js';
import { createSpacetimeLane } from '../../src/spacetime.js';
import { arrRow, IDENTITY_FRAME, table, txUpdate } from '../adapters/spacetime/session-harness.js';
import { until } from '../client/harness.js';
import { watchHost } from './bad-input-table.js';
import { hostileSpacetime, quietSpacetime, type HostileSpacetime } from './hostile-spacetime.js';

// Messages at the wrong moment over a real socket: before IdentityToken, after the app unsubscribed
// a stream, after close(). Each is ignored or reported as the spec says; nothing is applied that
// should not be, and nothing escapes to the host process.
const A = 'runtime.codex.worker.worker_1';
const cleanups = watchHost();
const delta = (seqs: number[], stream = A): string => JSON.stringify(txUpdate([table('sync_event', seqs.map((s) => arrRow(stream, s)))]));

async function client(srv: HostileSpacetime): Promise<{ client: SyncClient; errors: KhalaSyncError[]; seqs: number[] }> {
  const c = new SyncClient({ url: srv.url, token: 't0ken', topics: [A], lane: createSpacetimeLane({ headTable: null }), reconnectDelay: () => 20, joinTimeoutMs: 500 });
  cleanups.push(() => c.close());
  const errors: KhalaSyncError[] = [];
  const seqs: number[] = [];
  c.on('error', (e) => errors.push(e));
  c.on('updates', (b) => seqs.push(...b.updates.map((u) => u.watermark)));
  await c.connect();
  return { client: c, errors, seqs };
}

async function server(identity: string | null = IDENTITY_FRAME): Promise<HostileSpacetime> {
  const srv = await hostileSpacetime(quietSpacetime(), identity);
  cleanups.push(() => srv.close());
  return srv;
}

describe('Spacetime messages at the wrong moment', () => {
  it('before IdentityToken: each is unexpected_message and changes nothing; the identity then makes the session ready', async () => {
    const srv = await server(null);
    const c = await client(srv);
    await until(() => srv.socket() !== undefined, 'accepted');
    const before = ['{"SubscribeMultiApplied":{"request_id":1,"total_host_execution_duration_micros":1,"query_id":{"id":1},"update":{"tables":[]}}}', delta([1]), '{"SubscriptionError":{"request_id":{"none":[]},"query_id":{"none":[]},"error":"x"}}', '{"OneOffQueryResponse":{"message_id":"00000001","error":{"none":[]},"tables":[]}}'];
    for (const f of before) srv.socket()!.send(f);
    srv.socket()!.send(IDENTITY_FRAME);
    await until(() => c.client.status === 'live', 'live');
    expect(c.errors.map((e) => e.code)).toEqual(before.map(() => 'unexpected_message'));
    expect(c.seqs).toEqual([]);
    expect(srv.accepted).toBe(1);
  });

  it('an IdentityToken that fails its schema is invalid_payload; a good one after it is accepted', async () => {
    const srv = await server('{"IdentityToken":{"identity":"0x1","token":"t","connection_id":{"__connection_id__":1}}}');
    const c = await client(srv);
    await until(() => c.errors.length === 1, 'refused');
    srv.socket()!.send(IDENTITY_FRAME);
    await until(() => c.client.status === 'live', 'live');
    expect(c.errors.map((e) => e.code)).toEqual(['invalid_payload']);
    expect(srv.accepted).toBe(1);
  });

  it('rows of a stream the app unsubscribed are ignored (no error, nothing applied)', async () => {
    const srv = await server();
    const c = await client(srv);
    await until(() => c.client.status === 'live', 'live');
    srv.socket()!.send(delta([1]));
    await until(() => c.client.getWatermark(A) === 1, 'applied 1');
    await c.client.unsubscribe([A]);
    srv.socket()!.send(delta([2]));
    await new Promise((r) => setTimeout(r, 50));
    expect(c.seqs).toEqual([1]);
    expect(c.errors).toEqual([]);
  });

  it('after close(): frames still in flight and later ones report nothing and apply nothing', async () => {
    const srv = await server();
    const c = await client(srv);
    await until(() => c.client.status === 'live', 'live');
    const socket = srv.socket()!;
    socket.send(delta([1]));
    const closing = c.client.close();
    for (let i = 2; i < 50; i++) socket.send(i % 2 === 0 ? delta([i]) : '{"nope"');
    await closing;
    await new Promise((r) => setTimeout(r, 50));
    expect(c.seqs.filter((s) => s > 1)).toEqual([]);
    expect(c.errors).toEqual([]);
  });
});
