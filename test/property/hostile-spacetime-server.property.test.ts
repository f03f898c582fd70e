// Property: a SpacetimeDB server on a real loopback socket that answers its identity and the
// client's subscribes in any way (good, late, refused, unreadable, poisoned, failed, never) and then
// sends any sequence of messages — good deltas in both row forms and their copies, deltas with bad
// rows, holes, rows of other tables and streams, SubscriptionErrors with and without ids, failed
// and out-of-energy updates, stray replies, unknown tags, junk text, BOM, deep nesting and
// protocol-breaking frames — never makes the client throw into the host, apply a refused row,
// deliver a seq twice or move a watermark back, report an error without a known code, flood the
// server with dials or SubscribeMulti, or outlive close().
//
// Replay a failure with FC_SEED=<seed> FC_PATH=<path>; HOSTILE_RUNS=<n> changes the runs (default 30).
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { SyncClient } from '../../src/client/sync-client.js';
import { createSpacetimeLane } from '../../src/spacetime.js';
import { arrRow, IDENTITY_FRAME, objRow, table, txUpdate } from '../adapters/spacetime/session-harness.js';
import { hostileSpacetime } from '../security/hostile-spacetime.js';
import { commonStep, hostileRuns, watchEscapes, watchHostile, type CommonStep } from './hostile-watch.js';

const A = 'runtime.codex.worker.worker_1';
/** Seqs of refused rows: applying one is a failure. */
const BAD = 1_000_000;

type Step =
  | { t: 'good'; object: boolean; copy: boolean; light: boolean }
  | { t: 'bad'; k: number }
  | { t: 'hole' }
  | { t: 'other'; k: number }
  | { t: 'subError'; ids: boolean }
  | { t: 'failed'; energy: boolean }
  | { t: 'stray'; k: number }
  | CommonStep;

const BAD_ROWS: Array<(n: number) => string> = [
  (n) => JSON.stringify([`k${n}`, A, String(n), '', '{}', 1, n, true]),
  (n) => JSON.stringify([`k${n}`, A, n, '', '{not json', 1, n, true]),
  (n) => JSON.stringify([`k${n}\ud800`, A, n, '', '{}', 1, n, true]),
  (n) => JSON.stringify([`k${n}`, A, n, '', '{"__proto__":{"x":1}}', 1, n, true]),
  (n) => JSON.stringify([`k${n}`, A, n, '', '{}', 1, n]),
  (n) => JSON.stringify([`k${n}`, A, n + 0.5, '', '{}', 1, n, true]),
  (n) => JSON.stringify([`k${n}`, A, 2 ** 53 + n, '', '{}', 1, n, true]),
  (n) => `{"seq":${n}`,
  (n) => JSON.stringify([`k${n}`, A, n, 5, '{}', 1, n, true]),
];
const OTHER: Array<(n: number) => string> = [
  (n) => JSON.stringify(txUpdate([table('stream_checkpoint', [arrRow(A, n)])])),
  (n) => JSON.stringify(txUpdate([table('SYNC_EVENT', [arrRow(A, n)])])),
  (n) => JSON.stringify(txUpdate([table('sync_event', [arrRow('runtime.other', n)])])),
  (n) => JSON.stringify(txUpdate([table('sync_event', [], [arrRow(A, n)])])),
];
const STRAY = [
  '{"SubscribeMultiApplied":{"request_id":77777,"total_host_execution_duration_micros":1,"query_id":{"id":77777},"update":{"tables":[]}}}',
  '{"UnsubscribeMultiApplied":{"request_id":77777,"total_host_execution_duration_micros":1,"query_id":{"id":77777},"update":{"tables":[]}}}',
  '{"OneOffQueryResponse":{"message_id":"ffffffff","error":{"none":[]},"tables":[],"total_host_execution_duration":{"__time_duration_micros__":1}}}',
  '{"OneOffQueryResponse":{"message_id":"00000001","error":{"none":[]},"tables":[{"table_name":"stream_head","rows":["[\\"runtime.codex.worker.worker_1\\",999999999,1]"]}]}}',
  '{"ProcedureResult":{}}',
  '{"TransactionUpdateLight":{"request_id":1,"update":{"tables":"x"}}}',
  IDENTITY_FRAME,
  '{"ReducerResult":{}}',
];

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('good' as const), object: fc.boolean(), copy: fc.boolean(), light: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('bad' as const), k: fc.nat(BAD_ROWS.length - 1) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'hole' as const }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('other' as const), k: fc.nat(OTHER.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('subError' as const), ids: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('failed' as const), energy: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('stray' as const), k: fc.nat(STRAY.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('junk' as const), text: fc.oneof(fc.string(), fc.constantFrom('', '{', '[]', 'null', '{}', '{"__proto__":{}}', '\ufeff{"TransactionUpdate":{"status":{"Committed":{"tables":[]}}}}', `{"TransactionUpdate":${'['.repeat(300)}${']'.repeat(300)}}`)) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'broken' as const }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 40 }) }) },
);

/** How the server answers the identity and each SubscribeMulti after the first `okFirst`. */
const answerArb = fc.record({
  identity: fc.constantFrom<string | null>(IDENTITY_FRAME, IDENTITY_FRAME, IDENTITY_FRAME, '{"IdentityToken":{"identity":"x"}}', null),
  okFirst: fc.nat(2),
  reply: fc.constantFrom('ok', 'ok', 'subError', 'failed', 'unreadable', 'poison', 'never', 'other-request'),
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
watchEscapes();

function reply(kind: string, requestId: number, queryId: number): string {
  const applied = (rows: string[], rid = requestId): string => JSON.stringify({ SubscribeMultiApplied: { request_id: rid, total_host_execution_duration_micros: 1, query_id: { id: queryId }, update: { tables: [table('sync_event', rows)] } } });
  switch (kind) {
    case 'subError':
      return JSON.stringify({ SubscriptionError: { total_host_execution_duration_micros: 1, request_id: { some: requestId }, query_id: { some: queryId }, table_id: { none: [] }, error: 'no such table' } });
    case 'failed':
      return JSON.stringify({ TransactionUpdate: { status: { Failed: 'query id in use' }, reducer_call: { reducer_name: '', request_id: 0 } } });
    case 'unreadable':
      return JSON.stringify({ SubscribeMultiApplied: { request_id: requestId, update: 'x' } });
    case 'poison':
      return applied([BAD_ROWS[1]!(BAD)]);
    case 'other-request':
      return applied([], requestId + 1000);
    default:
      return applied([]);
  }
}

async function run(answer: { identity: string | null; okFirst: number; reply: string }, steps: Step[]): Promise<void> {
  let subscribes = 0;
  const srv = await hostileSpacetime((m, ws) => {
    if (m.SubscribeMulti === undefined) return;
    const kind = subscribes++ < answer.okFirst ? 'ok' : answer.reply;
    if (kind !== 'never') ws.send(reply(kind, m.SubscribeMulti.request_id, m.SubscribeMulti.query_id.id));
  }, answer.identity);
  const client = new SyncClient({ url: srv.url, token: 't0ken', topics: [A], lane: createSpacetimeLane({ headGapMs: 100, queryTimeoutMs: 200 }), reconnectDelay: () => 30, heartbeatIntervalMs: 50, joinTimeoutMs: 300, subscribeTimeoutMs: 300 });
  const watch = watchHostile(client, A, BAD);
  try {
    await client.connect();
    await sleep(30);
    let n = client.getWatermark(A) ?? 0;
    let k = 0;
    for (const s of steps) {
      const ws = srv.socket();
      if (ws === undefined || ws.readyState !== 1) {
        await sleep(10);
        continue;
      }
      n = Math.max(n, client.getWatermark(A) ?? 0);
      switch (s.t) {
        case 'good': {
          const w = s.copy && n > 0 ? n : ++n;
          const row = s.object ? objRow(A, w) : arrRow(A, w);
          ws.send(s.light ? JSON.stringify({ TransactionUpdateLight: { request_id: 0, update: { tables: [table('sync_event', [row])] } } }) : JSON.stringify(txUpdate([table('sync_event', [row])])));
          break;
        }
        case 'bad':
          ws.send(JSON.stringify(txUpdate([table('sync_event', [BAD_ROWS[s.k]!(BAD + 10 * k++)])])));
          break;
        case 'hole':
          // Only against a cursor: a cursor-less stream starts wherever the server's rows start (R5).
          if (client.getWatermark(A) === undefined) break;
          ws.send(JSON.stringify(txUpdate([table('sync_event', [arrRow(A, BAD + 10 * k++)])])));
          break;
        case 'other':
          ws.send(OTHER[s.k]!(BAD + 10 * k++));
          break;
        case 'subError':
          ws.send(JSON.stringify({ SubscriptionError: { total_host_execution_duration_micros: 1, request_id: s.ids ? { some: 1 } : { none: [] }, query_id: s.ids ? { some: 1 } : { none: [] }, table_id: { none: [] }, error: 'x' } }));
          break;
        case 'failed':
          ws.send(JSON.stringify({ TransactionUpdate: { status: s.energy ? { OutOfEnergy: [] } : { Failed: 'x' } } }));
          break;
        case 'stray':
          ws.send(STRAY[s.k]!);
          break;
        default:
          await commonStep(ws, s);
      }
    }
  } finally {
    await watch.close(() => {
      const ws = srv.socket();
      if (ws?.readyState === 1) for (let i = 1; i <= 3; i++) ws.send(JSON.stringify(txUpdate([table('sync_event', [arrRow(A, BAD - i)])])));
    });
    await srv.close();
  }
  watch.verify(srv.accepted, subscribes, steps.length);
}

const schedules = fc.asyncProperty(answerArb, fc.array(stepArb, { minLength: 5, maxLength: 40 }), run);
describe('a hostile Spacetime server over a real socket', () => {
  it('never breaks the client', () => fc.assert(schedules, hostileRuns(30)), 180_000);
});
