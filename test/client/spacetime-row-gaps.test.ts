import { afterEach, describe, expect, it } from 'vitest';
import { arrayRowText, rowMap, SYNC_EVENT_COLUMN_ORDER } from '../../src/server/spacetime/event-table.js';
import { transactionUpdate } from '../../src/server/spacetime/server-frames.js';
import type { SpacetimeServer } from '../../src/server/index.js';
import { SyncClient } from '../../src/client/sync-client.js';
import { createSpacetimeLane } from '../../src/spacetime.js';
import { publishN, range, stClient, stTestBed, STREAM_A, until } from '../adapters/spacetime/client-helpers.js';
import { arrRow } from '../adapters/spacetime/session-harness.js';
import { hostileSpacetime, quietSpacetime } from '../security/hostile-spacetime.js';
import { recordClient } from './harness.js';

// Seqs of a stream are contiguous (SPACETIME_PROTOCOL §2.5), so a row missing from a message is a
// loss the client can see. A gap after the first row of a message (rows 4 and 6 without 5) must be
// recovered like a gap before it, not applied around: nothing else would ever bring row 5 back
// (the head probe sees head 6 = watermark 6).
const bed = stTestBed();
const servers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/** Rows `seqs` of STREAM_A as the server stores them, positional (a delta's form). */
function rows(srv: SpacetimeServer, seqs: number[]): string[] {
  return srv.history(STREAM_A).filter((r) => seqs.includes(r.seq)).map((r) => arrayRowText(rowMap(r), SYNC_EVENT_COLUMN_ORDER));
}

describe('Spacetime: a gap inside a message', () => {
  it('a live delta with rows 4 and 6 (5 missing) is recovered by snapshot: every seq held, 5 included', async () => {
    const srv = await bed.start();
    publishN(srv, STREAM_A, 3);
    const r = bed.track(stClient(srv, { topics: [STREAM_A] }));
    await r.client.connect();
    await until(() => r.client.getWatermark(STREAM_A) === 3 && r.client.status === 'live', 'live at 3');
    srv.faults.loseDeltas(STREAM_A, true);
    publishN(srv, STREAM_A, 3);
    srv.faults.loseDeltas(STREAM_A, false);
    srv.faults.pushRaw(transactionUpdate([{ table: 'sync_event', updates: [{ deletes: [], inserts: rows(srv, [4, 6]) }] }], '0'));
    await until(() => r.events.some((e) => e.type === 'bootstrap') && r.client.getWatermark(STREAM_A) === 6 && r.client.status === 'live', 'recovered');
    expect(r.events.find((e) => e.type === 'stale')).toMatchObject({ topic: STREAM_A, reason: 'retention_floor_breach' });
    const docs = r.client.listDocuments(STREAM_A).map((d) => d.docVersion).sort((a, b) => a - b);
    expect(docs).toEqual(range(1, 6));
  });

});

describe('Spacetime: a gap inside a resume reply', () => {
  it('rows 4 and 6 (5 missing) after cursor 3 are stale, not applied around the hole: the recovery brings 5', async () => {
    const history = range(1, 3);
    let holes = false;
    const srv = await hostileSpacetime(
      quietSpacetime((sql) => {
        const after = /seq > (\d+)/.exec(sql)?.[1];
        const seqs = after === undefined ? history : history.filter((s) => s > Number(after) && !(holes && s === 5));
        return seqs.map((s) => arrRow(STREAM_A, s));
      }),
    );
    servers.push(srv);
    const r = bed.track(recordClient(new SyncClient({ url: srv.url, token: 't0ken', topics: [STREAM_A], lane: createSpacetimeLane({ headTable: null }), reconnectDelay: () => 20 })));
    await r.client.connect();
    await until(() => r.client.getWatermark(STREAM_A) === 3 && r.client.status === 'live', 'live at 3');
    history.push(4, 5, 6);
    holes = true;
    srv.socket()!.terminate();
    await until(() => r.client.getWatermark(STREAM_A) === 6 && r.client.status === 'live', 'live at 6');
    expect(r.events.find((e) => e.type === 'stale')).toMatchObject({ topic: STREAM_A, reason: 'retention_floor_breach' });
    expect(r.client.listDocuments(STREAM_A).map((d) => d.docVersion).sort((a, b) => a - b)).toEqual(range(1, 6));
    expect(r.applied.map((a) => a.seq)).toEqual(range(1, 6));
  });
});
