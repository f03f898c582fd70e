import { describe, expect, it } from 'vitest';
import { SyncClient } from '../../src/client/sync-client.js';
import type { KhalaSyncError } from '../../src/errors/index.js';
import { createSpacetimeLane } from '../../src/spacetime.js';
import { arrRow, objRow } from '../adapters/spacetime/session-harness.js';
import { until } from '../client/harness.js';
import { watchHost } from './bad-input-table.js';
import { hostileSpacetime, quietSpacetime } from './hostile-spacetime.js';

// A subscribe reply whose rows cannot be read (a producer wrote a payload_json that is not JSON):
// the server will send the same rows in every reply to that query, so starting the whole connection
// over cannot help — it only flapped the socket forever, and every other stream on it with it. The
// reply is handled like one too large to read: that stream alone is stale (snapshot, else its loop
// guard stops it), the connection and the other streams stay up.
const A = 'runtime.codex.worker.worker_1';
const B = 'runtime.run.run_7';
const cleanups = watchHost();

describe('Spacetime: a subscribe reply with an unreadable row', () => {
  it('fails only its stream (stale, then stale_cursor_loop without a snapshot source); no reconnect loop, the other stream stays live', async () => {
    const poison = JSON.stringify(['k:poison', A, 2, '', '{not json', 1, 2, true]);
    const srv = await hostileSpacetime(quietSpacetime((sql) => (sql.includes(`'${A}'`) ? [objRow(A, 1), poison] : [objRow(B, 1)])));
    cleanups.push(() => srv.close());
    const client = new SyncClient({ url: srv.url, token: 't0ken', topics: [A, B], lane: createSpacetimeLane({ headTable: null }), reconnectDelay: () => 20 });
    cleanups.push(() => client.close());
    const errors: KhalaSyncError[] = [];
    const stale: string[] = [];
    client.on('error', (e) => errors.push(e));
    client.on('stale', (s) => stale.push(s.topic));
    await client.connect();
    await until(() => errors.some((e) => e.code === 'stale_cursor_loop'), 'A stopped by its loop guard', 3000);
    await new Promise((r) => setTimeout(r, 200));
    expect(srv.accepted).toBe(1);
    expect(stale.every((t) => t === A)).toBe(true);
    expect(errors.filter((e) => e.code !== 'invalid_row').map((e) => [e.code, e.topic])).toEqual([['stale_cursor_loop', A]]);
    expect(client.getWatermark(A)).toBeUndefined();
    srv.socket()!.send(JSON.stringify({ TransactionUpdate: { status: { Committed: { tables: [{ table_name: 'sync_event', updates: [{ deletes: [], inserts: [arrRow(B, 2)] }] }] } } } }));
    await until(() => client.getWatermark(B) === 2, 'B live');
    expect(client.status).toBe('live');
  });
});
