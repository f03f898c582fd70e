import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncClient } from '../../src/client/sync-client.js';
import type { KhalaSyncError } from '../../src/errors/index.js';
import { createSpacetimeLane } from '../../src/spacetime.js';
import { until } from '../client/harness.js';
import { hostileSpacetime, quietSpacetime, type HostileSpacetime } from './hostile-spacetime.js';

// Every inbound SpacetimeDB v1 JSON message with each wrong shape, wrong type and out-of-range
// value, over a real socket to one live Spacetime-lane client: each is reported with its stable
// code (or ignored where the protocol says so), applies nothing, keeps the connection unless the
// protocol says to start over, and nothing escapes to the host process. A bad input is built for the
// next seq `n` with document key `bad:n`; the good row sent after it is seq `n` too (key `ok:n`), so
// a bad input wrongly applied shows as an update of a `bad:` key, and a refused one leaves no hole.
const STREAM = 'runtime.codex.worker.worker_1';
const escaped: unknown[] = [];
const onEscape = (err: unknown): void => void escaped.push(err);
let server: HostileSpacetime;
let client: SyncClient;
const errors: KhalaSyncError[] = [];
const keys: string[] = [];
let cursor = 0;

const COLUMNS = ['idempotency_key', 'stream_id', 'seq', 'payload_hash', 'payload_json', 'committed_at_unix_ms', 'durable_offset', 'confirmed_read'];
type Columns = Record<string, unknown>;
const columns = (n: number, key = `bad:${n}`): Columns => ({ idempotency_key: key, stream_id: STREAM, seq: n, payload_hash: '', payload_json: JSON.stringify({ n }), committed_at_unix_ms: 1772000000000, durable_offset: n, confirmed_read: true });
/** One row string, positional (a delta's form) or keyed by column; `undefined` columns are left out. */
const rowText = (c: Columns, form: 'array' | 'object' = 'array'): string => (form === 'array' ? JSON.stringify(COLUMNS.filter((k) => k in c).map((k) => c[k])) : JSON.stringify(c));
const row = (n: number, over: Columns = {}, form: 'array' | 'object' = 'array'): string => rowText({ ...columns(n), ...over }, form);
const table = (inserts: unknown[], name: unknown = 'sync_event', deletes: unknown[] = []): Columns => ({ table_id: 4099, table_name: name, num_rows: 1, updates: [{ deletes, inserts }] });
const committed = (tables: unknown): Columns => ({ Committed: { tables } });
const txWith = (body: Columns): string =>
  JSON.stringify({ TransactionUpdate: { status: committed([]), timestamp: { __timestamp_micros_since_unix_epoch__: 1 }, caller_identity: { __identity__: '0x1' }, caller_connection_id: { __connection_id__: 0 }, reducer_call: { reducer_name: 'append_sync_event', reducer_id: 6, args: '[]', request_id: 0 }, energy_quanta_used: { quanta: 1 }, total_host_execution_duration: { __time_duration_micros__: 1 }, ...body } });
const tx = (rows: unknown[], name?: unknown): string => txWith({ status: committed([table(rows, name)]) });

async function good(n: number): Promise<void> {
  server.socket()!.send(tx([rowText(columns(n, `ok:${n}`))]));
  await until(() => client.getWatermark(STREAM) === n && client.status === 'live', `good row ${n}`, 3000);
  cursor = n;
}

beforeAll(async () => {
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  server = await hostileSpacetime(quietSpacetime());
  client = new SyncClient({ url: server.url, token: 't0ken', topics: [STREAM], lane: createSpacetimeLane({ headTable: null }), reconnectDelay: () => 20, maxFrameBytes: 64 * 1024 });
  client.on('error', (e) => errors.push(e));
  client.on('updates', (b) => keys.push(...b.updates.map((u) => u.docKey)));
  await client.connect();
  await until(() => client.status === 'live', 'live');
  await good(1);
});
afterAll(async () => {
  await client.close();
  await server.close();
  process.off('uncaughtException', onEscape);
  process.off('unhandledRejection', onEscape);
});

interface Bad {
  name: string;
  make: (n: number) => string | Buffer;
  /** Codes reported, in order; [] when the protocol says to ignore it. */
  codes: string[];
  /** The protocol says to start over (reconnect and resubscribe). */
  reconnect?: boolean;
  /** Send bytes (a Buffer `make`) as a text frame rather than a binary one (not UTF-8: the connection fails, RFC 6455 §8.1). */
  asText?: boolean;
}

const INVALID = 'invalid_payload';
const ROW = 'invalid_row';
const show = (v: unknown): string => (v === undefined ? 'missing' : JSON.stringify(v));
const bad: Bad[] = [];

// ---- envelope
for (const [what, text] of [
  ['empty', ''],
  ['not JSON', '{"TransactionUpdate":'],
  ['an array', '[]'],
  ['null', 'null'],
  ['a string', '"TransactionUpdate"'],
  ['a number', '42'],
  ['no tag', '{}'],
  ['two tags', '{"TransactionUpdate":{},"IdentityToken":{}}'],
] as const) {
  bad.push({ name: `envelope: ${what}`, make: () => text, codes: ['malformed_frame'] });
}
bad.push(
  { name: 'unknown tag (a BSATN-era name)', make: () => '{"InitialConnection":{}}', codes: ['unknown_message'] },
  { name: 'unknown tag (v2 name)', make: () => '{"ReducerResult":{}}', codes: ['unknown_message'] },
  { name: 'tag in another case', make: (n) => tx([row(n)]).replace('"TransactionUpdate"', '"transactionupdate"'), codes: ['unknown_message'] },
  { name: 'ProcedureResult (never asked for)', make: () => '{"ProcedureResult":{"status":{"Returned":"1"}}}', codes: [] },
  { name: 'a second IdentityToken', make: () => '{"IdentityToken":{"identity":{"__identity__":"0x2"},"token":"x","connection_id":{"__connection_id__":2}}}', codes: ['unexpected_message'] },
  { name: '__proto__ as the tag', make: () => '{"__proto__":{"polluted":true}}', codes: ['forbidden_key'] },
  { name: 'constructor inside the envelope', make: (n) => tx([row(n)]).replace('"status"', '"constructor":{},"status"'), codes: ['forbidden_key'] },
  { name: 'nested 10,000 deep', make: () => `{"TransactionUpdate":${'['.repeat(10_000)}${']'.repeat(10_000)}}`, codes: ['json_too_deep'] },
  { name: 'above maxFrameBytes', make: (n) => tx([row(n, { payload_json: JSON.stringify({ pad: 'x'.repeat(70 * 1024) }) })]), codes: ['frame_too_large'] },
  { name: 'binary frame whose bytes are not UTF-8', make: (n) => Buffer.concat([Buffer.from(tx([row(n)]).slice(0, -2)), Buffer.from([0xff, 0xfe]), Buffer.from('}}')]), codes: ['malformed_frame'] },
  { name: 'text frame whose bytes are not UTF-8', make: (n) => Buffer.concat([Buffer.from(tx([row(n)]).slice(0, -2)), Buffer.from([0xff, 0xfe]), Buffer.from('}}')]), codes: ['malformed_frame'], reconnect: true, asText: true },
  { name: 'text frame with a lone surrogate encoded in UTF-8 (CESU)', make: (n) => Buffer.concat([Buffer.from(tx([row(n)]).slice(0, -2)), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('}}')]), codes: ['malformed_frame'], reconnect: true, asText: true },
  { name: 'binary frame with a BSATN compression tag byte', make: (n) => Buffer.concat([Buffer.from([0]), Buffer.from(tx([row(n)]))]), codes: ['malformed_frame'] },
  { name: 'binary frame of gzip bytes', make: () => Buffer.from([0x02, 0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe, 0x00]), codes: ['malformed_frame'] },
);

// ---- TransactionUpdate.status and its DatabaseUpdate
for (const [what, status] of [
  ['missing', undefined],
  ['a string', 'Committed'],
  ['an unknown variant', { Maybe: {} }],
  ['two variants', { Committed: { tables: [] }, Failed: 'x' }],
  ['Committed with no tables', { Committed: {} }],
  ['Committed with tables of the wrong type', { Committed: { tables: 'x' } }],
  ['Committed with a table that is not an object', { Committed: { tables: [1] } }],
  ['Committed: table_name a number', { Committed: { tables: [{ table_name: 1, updates: [] }] } }],
  ['Committed: updates not an array', { Committed: { tables: [{ table_name: 'sync_event', updates: {} }] } }],
  ['Committed: inserts missing', { Committed: { tables: [{ table_name: 'sync_event', updates: [{ deletes: [] }] }] } }],
  ['Committed: a compressed QueryUpdate ({"Gzip": …})', { Committed: { tables: [{ table_name: 'sync_event', updates: [{ Gzip: 'H4sI' }] }] } }],
  ['Committed: table_id negative', { Committed: { tables: [{ table_id: -1, table_name: 'sync_event', updates: [] }] } }],
] as const) {
  bad.push({ name: `TransactionUpdate status ${what}`, make: () => txWith({ status }), codes: [INVALID] });
}
bad.push(
  { name: 'TransactionUpdate reducer_call.request_id negative', make: (n) => txWith({ status: committed([table([row(n)])]), reducer_call: { reducer_name: 'x', request_id: -1 } }), codes: [INVALID] },
  { name: 'TransactionUpdate Committed with no tables (an empty update)', make: () => txWith({ status: committed([]) }), codes: [] },
  { name: 'TransactionUpdate Failed (a request of ours failed, §1.6)', make: () => txWith({ status: { Failed: 'reused query id' } }), codes: ['channel_closed'], reconnect: true },
  { name: 'TransactionUpdate OutOfEnergy', make: () => txWith({ status: { OutOfEnergy: [] } }), codes: ['channel_closed'], reconnect: true },
  { name: 'TransactionUpdateLight with a bad update', make: () => JSON.stringify({ TransactionUpdateLight: { request_id: 1, update: { tables: 'x' } } }), codes: [INVALID] },
  { name: 'TransactionUpdateLight with request_id above u32', make: (n) => JSON.stringify({ TransactionUpdateLight: { request_id: 2 ** 32, update: { tables: [table([row(n)])] } } }), codes: [INVALID] },
);

// ---- rows
const ROW_VARIANTS: Record<string, unknown[]> = {
  // A lone surrogate cannot come from SpacetimeDB (its strings are UTF-8) and does not survive a
  // UTF-8 store: SQLite gives back U+FFFD for it, so two such keys become one document after a restart.
  idempotency_key: [1, null, [], undefined, 'bad:\ud800', 'bad:\udc00x', 'bad:x\ud83d'],
  stream_id: [1, null, undefined],
  // An integer seq at or above 2^53 fails its stream (the describe at the end), it is not refused per row.
  seq: ['1', true, null, -1, 1.5, undefined],
  payload_hash: [1, null, undefined],
  payload_json: [1, null, {}, undefined, '{not json', '', '{"__proto__":{"admin":true}}', `${'['.repeat(200)}${']'.repeat(200)}`],
  committed_at_unix_ms: ['1', -1, 1.5],
  durable_offset: ['1', -1],
  confirmed_read: ['true', 1],
};
for (const [column, values] of Object.entries(ROW_VARIANTS)) {
  for (const v of values) {
    const code = typeof v === 'string' && v.includes('__proto__') ? 'forbidden_key' : typeof v === 'string' && v.startsWith('[[[') ? 'json_too_deep' : ROW;
    bad.push({ name: `row (object form) ${column}=${show(v)}`, make: (n) => tx([row(n, { [column]: v }, 'object')]), codes: [code] });
  }
}
for (const [what, text] of [
  ['not JSON', '{"seq":'],
  ['a number', '42'],
  ['null', 'null'],
  ['a string', '"row"'],
  ['7 columns', JSON.stringify(['k', STREAM, 1, '', '{}', 1, 1])],
  ['9 columns', JSON.stringify(['k', STREAM, 1, '', '{}', 1, 1, true, 'extra'])],
  ['a BOM before it', `\uFEFF${JSON.stringify(['k', STREAM, 1, '', '{}', 1, 1, true])}`],
] as const) {
  bad.push({ name: `row ${what}`, make: (n) => tx([text.replace('"k",', `"bad:${n}",`).replace(`"${STREAM}",1,`, `"${STREAM}",${n},`)]), codes: [ROW] });
}
bad.push(
  { name: 'row __proto__ key', make: (n) => tx([`{"__proto__":{"x":1},"seq":${n}}`]), codes: ['forbidden_key'] },
  { name: 'a bad row next to a good one refuses both', make: (n) => tx([row(n), '{']), codes: [ROW] },
  { name: 'rows given as objects, not strings', make: (n) => tx([columns(n)]), codes: [INVALID] },
  { name: 'rows of another table', make: (n) => tx([row(n)], 'stream_checkpoint'), codes: [] },
  { name: 'table_name in another case', make: (n) => tx([row(n)], 'SYNC_EVENT'), codes: [] },
  { name: 'rows of a stream never subscribed', make: (n) => tx([row(n, { stream_id: 'runtime.other' })]), codes: [] },
  { name: 'stream_id in another case', make: (n) => tx([row(n, { stream_id: STREAM.toUpperCase() })]), codes: [] },
  { name: 'a delete of the next row (deletes never retract)', make: (n) => txWith({ status: committed([table([], 'sync_event', [row(n)])]) }), codes: [] },
  { name: 'a row already applied, again with another key', make: (n) => tx([row(n - 1)]), codes: [] },
);

// ---- replies and errors for requests never sent
bad.push(
  { name: 'SubscribeMultiApplied for a request never sent', make: (n) => JSON.stringify({ SubscribeMultiApplied: { request_id: 9999, total_host_execution_duration_micros: 1, query_id: { id: 9999 }, update: { tables: [table([row(n)])] } } }), codes: [] },
  { name: 'SubscribeMultiApplied unreadable, nothing pending', make: () => JSON.stringify({ SubscribeMultiApplied: { request_id: 'x' } }), codes: [INVALID] },
  { name: 'UnsubscribeMultiApplied for a request never sent', make: () => JSON.stringify({ UnsubscribeMultiApplied: { request_id: 9999, total_host_execution_duration_micros: 1, query_id: { id: 9999 }, update: { tables: [] } } }), codes: [] },
  { name: 'UnsubscribeMultiApplied unreadable', make: () => JSON.stringify({ UnsubscribeMultiApplied: { request_id: -1 } }), codes: [INVALID] },
  { name: 'SubscriptionError for ids never sent', make: () => JSON.stringify({ SubscriptionError: { total_host_execution_duration_micros: 1, request_id: { some: 9999 }, query_id: { some: 9999 }, table_id: { none: [] }, error: 'x' } }), codes: [] },
  { name: 'SubscriptionError with a bare request_id', make: () => JSON.stringify({ SubscriptionError: { request_id: 5, query_id: { none: [] }, error: 'x' } }), codes: [INVALID, 'channel_closed'], reconnect: true },
  { name: 'SubscriptionError whose error is not a string', make: () => JSON.stringify({ SubscriptionError: { request_id: { none: [] }, query_id: { none: [] }, error: 5 } }), codes: [INVALID, 'channel_closed'], reconnect: true },
  { name: 'SubscriptionError without ids (subscriptions dropped, §1.6)', make: () => JSON.stringify({ SubscriptionError: { total_host_execution_duration_micros: 1, request_id: { none: [] }, query_id: { none: [] }, table_id: { none: [] }, error: 'x' } }), codes: ['channel_closed'], reconnect: true },
  { name: 'OneOffQueryResponse never asked for', make: (n) => JSON.stringify({ OneOffQueryResponse: { message_id: '00000001', error: { none: [] }, tables: [{ table_name: 'sync_event', rows: [row(n)] }], total_host_execution_duration: { __time_duration_micros__: 1 } } }), codes: [] },
  { name: 'OneOffQueryResponse unreadable', make: () => JSON.stringify({ OneOffQueryResponse: { message_id: 1, tables: [] } }), codes: [INVALID] },
);

describe('bad Spacetime input over a real socket', () => {
  for (const b of bad) {
    it(b.name, async () => {
      const n = cursor + 1;
      const seen = errors.length;
      const updated = keys.length;
      const accepted = server.accepted;
      const input = b.make(n);
      server.socket()!.send(input, { binary: typeof input !== 'string' && b.asText !== true });
      if (b.reconnect === true) await until(() => server.accepted === accepted + 1 && client.status === 'live', 'reconnected', 3000);
      await good(n);
      expect({ codes: errors.slice(seen).map((e) => e.code), bad: keys.slice(updated).filter((k) => k.startsWith('bad:')), reconnected: server.accepted !== accepted }).toEqual({ codes: b.codes, bad: [], reconnected: b.reconnect === true });
      expect(escaped).toEqual([]);
    });
  }
});

// A stream whose seq reaches 2^53 (not a safe integer): every later row of it is past it too. It
// used to refuse every later message of the stream (and the other streams' rows in them) as
// invalid_row, forever. Now the stream fails once with seq_out_of_range, its rows are skipped from
// then on, and the other streams go on, in the same message too.
describe('a Spacetime seq at or above 2^53', () => {
  const OTHER = 'runtime.run.run_7';
  it('fails its stream once (seq_out_of_range), the other stream goes on', async () => {
    const srv = await hostileSpacetime(quietSpacetime());
    const c = new SyncClient({ url: srv.url, token: 't0ken', topics: [STREAM, OTHER], lane: createSpacetimeLane({ headTable: null }), reconnectDelay: () => 20 });
    const errs: KhalaSyncError[] = [];
    c.on('error', (e) => errs.push(e));
    try {
      await c.connect();
      await until(() => c.status === 'live', 'live');
      const other = (n: number): string => row(n, { stream_id: OTHER, idempotency_key: `o:${n}` });
      srv.socket()!.send(tx([other(1), row(1, { seq: 2 ** 53 })]));
      await until(() => c.getWatermark(OTHER) === 1, 'the other stream applied from the same message', 3000);
      for (const [n, seq] of [[2, 2 ** 53 + 2], [3, 1e300]] as const) srv.socket()!.send(tx([row(n, { seq }), other(n)]));
      await until(() => c.getWatermark(OTHER) === 3, 'the other stream goes on', 3000);
      expect(errs.map((e) => [e.code, e.topic, e.retryable])).toEqual([['seq_out_of_range', STREAM, false]]);
      expect(errs[0]!.message).toMatch(/2\^53/);
      expect(c.getWatermark(STREAM)).toBeUndefined();
      expect(c.getSnapshot().topics[STREAM]?.phase).toBe('failed');
      expect(srv.accepted).toBe(1);
    } finally {
      await c.close();
      await srv.close();
    }
  });
});
