// Property: whatever a Spacetime server pushes on top of its honest traffic — deltas of a random
// subset of its own rows (holes, repeats, any order, array or object form, rows already applied),
// junk next to good rows, the same applied seq with another body and hash, unknown tags, dropped
// sockets, lost deltas and restarts — a real client over a real loopback socket (the reference
// Spacetime server, its snapshot endpoint, a SQLite file) ends holding exactly the server's
// history: every seq once, each with its own body; nothing escapes to the host process, and the
// only errors are those a lying server earns.
//
// Replay a failure with FC_SEED=<seed> FC_PATH=<path> (printed by fast-check); PROPERTY_RUNS=<n>
// changes the number of runs (default 25, about 5 s; 100 runs pass).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { payloadHashText } from '../../src/hash/index.js';
import { arrayRowText, objectRowText, rowMap, SYNC_EVENT_COLUMN_ORDER, type SyncEventRecord } from '../../src/server/spacetime/event-table.js';
import { transactionUpdate } from '../../src/server/spacetime/server-frames.js';
import { createSqliteStore } from '../../src/sqlite.js';
import { publishN, sqlitePath, stClient, stServer, STREAM_A, until, type StRecorded } from '../adapters/spacetime/client-helpers.js';
import { takeEscaped, watchEscapes } from './hostile-watch.js';

const NUM_RUNS = Number(process.env['PROPERTY_RUNS'] ?? 25);
const SEED = process.env['FC_SEED'] === undefined ? undefined : Number(process.env['FC_SEED']);
const PATH = process.env['FC_PATH'];

/** Codes a correct client may report while the server lies on purpose. */
const EXPECTED = new Set(['invalid_row', 'malformed_frame', 'unknown_message', 'payload_conflict', 'channel_closed', 'forbidden_key']);

type Action =
  | { kind: 'publish'; n: number }
  | { kind: 'lost'; n: number }
  | { kind: 'subset'; back: number; pick: boolean[]; shuffle: number[]; object: boolean; junk: boolean }
  | { kind: 'conflict'; back: number }
  | { kind: 'unknown' }
  | { kind: 'drop' }
  | { kind: 'restart' }
  | { kind: 'wait' };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('publish' as const), n: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('lost' as const), n: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('subset' as const), back: fc.integer({ min: 0, max: 6 }), pick: fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), shuffle: fc.array(fc.nat(), { maxLength: 8 }), object: fc.boolean(), junk: fc.boolean() }),
  fc.record({ kind: fc.constant('conflict' as const), back: fc.integer({ min: 0, max: 4 }) }),
  fc.constant({ kind: 'unknown' as const }),
  fc.constant({ kind: 'drop' as const }),
  fc.constant({ kind: 'restart' as const }),
  fc.constant({ kind: 'wait' as const }),
);

watchEscapes();

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const delta = (rows: string[]): string => transactionUpdate([{ table: 'sync_event', updates: [{ deletes: [], inserts: rows }] }], '0');

function shuffled<T>(items: T[], order: number[]): T[] {
  const out = [...items];
  order.forEach((o, i) => {
    const a = i % out.length;
    const b = o % out.length;
    [out[a], out[b]] = [out[b]!, out[a]!];
  });
  return out;
}

async function run(actions: Action[]): Promise<void> {
  const srv = await stServer();
  const path = sqlitePath('ks-st-prop-');
  const open = (): StRecorded => stClient(srv, { topics: [STREAM_A], heartbeatIntervalMs: 100, store: createSqliteStore({ path }) }, { headGapMs: 150 });
  let r = open();
  const applied: number[] = [];
  try {
    publishN(srv, STREAM_A, 2);
    await r.client.connect();
    await until(() => r.client.getWatermark(STREAM_A) === 2 && r.client.status === 'live', 'live at 2', 5000);
    for (const a of actions) {
      const history: SyncEventRecord[] = srv.history(STREAM_A);
      const head = history.length;
      switch (a.kind) {
        case 'publish':
          publishN(srv, STREAM_A, a.n);
          break;
        case 'lost':
          srv.faults.loseDeltas(STREAM_A, true);
          publishN(srv, STREAM_A, a.n);
          srv.faults.loseDeltas(STREAM_A, false);
          break;
        case 'subset': {
          const from = Math.max(0, head - a.back - a.pick.length);
          const rows = history.slice(from, from + a.pick.length).filter((_, i) => a.pick[i]);
          const text = rows.map((row) => (a.object ? objectRowText(rowMap(row), SYNC_EVENT_COLUMN_ORDER) : arrayRowText(rowMap(row), SYNC_EVENT_COLUMN_ORDER)));
          srv.faults.pushRaw(delta(shuffled(a.junk ? [...text, '{"seq":'] : text, a.shuffle)));
          break;
        }
        case 'conflict': {
          const applied = r.client.getWatermark(STREAM_A) ?? 0;
          const row = history[Math.max(0, applied - 1 - a.back)];
          if (row === undefined || row.seq > applied) break;
          const payload = { lie: row.seq };
          srv.faults.pushRaw(delta([arrayRowText(rowMap({ ...row, idempotency_key: `lie:${row.seq}`, payload_json: JSON.stringify(payload), payload_hash: payloadHashText(payload) }), SYNC_EVENT_COLUMN_ORDER)]));
          break;
        }
        case 'unknown':
          srv.faults.pushRaw('{"ServerMessageV9":{"rows":[]}}');
          break;
        case 'drop':
          srv.faults.dropConnections();
          break;
        case 'restart':
          await r.client.close();
          applied.push(...r.applied.map((x) => x.seq));
          r = open();
          await r.client.connect();
          break;
        case 'wait':
          await sleep(30);
          break;
      }
      await sleep(5);
    }
    publishN(srv, STREAM_A, 1);
    const want = srv.history(STREAM_A).map((row) => ({ seq: row.seq, payload: JSON.parse(row.payload_json) as unknown }));
    const held = (): Array<{ seq: number; payload: unknown }> => [...r.client.listDocuments(STREAM_A)].sort((x, y) => x.docVersion - y.docVersion).map((d) => ({ seq: d.docVersion, payload: d.payload }));
    await until(() => r.client.status === 'live' && r.client.getWatermark(STREAM_A) === want.length && JSON.stringify(held()) === JSON.stringify(want), 'converged on the history', 8000).catch(() => undefined);
    expect(held()).toEqual(want);
    const seqs = [...applied, ...r.applied.map((x) => x.seq)];
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(r.errors.map((e) => e.code).filter((c) => !EXPECTED.has(c))).toEqual([]);
    expect(takeEscaped()).toEqual([]);
  } finally {
    await r.client.close();
    await srv.close();
  }
}

describe('Spacetime: hostile deltas over a real socket', () => {
  it(`${NUM_RUNS} schedules end holding exactly the server's history`, async () => {
    await fc.assert(fc.asyncProperty(fc.array(actionArb, { minLength: 3, maxLength: 14 }), run), { numRuns: NUM_RUNS, endOnFailure: true, ...(SEED === undefined ? {} : { seed: SEED, path: PATH }) });
  }, 300_000);
});
