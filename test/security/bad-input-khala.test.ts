import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batch, liveKhala, TOPIC, update, type BadInput } from './bad-input-table.js';

// Every field of every inbound Khala message, given each wrong JSON type and each out-of-range
// value, over a real socket to one live client: each variant is reported with its stable code
// (or ignored where the protocol says so), applies nothing, changes no document, keeps the
// connection, and nothing escapes to the host process. The next good batch always applies.
const escaped: unknown[] = [];
const onEscape = (err: unknown): void => void escaped.push(err);
let live: Awaited<ReturnType<typeof liveKhala>>;
beforeAll(async () => {
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  live = await liveKhala();
});
afterAll(async () => {
  await live.close();
  process.off('uncaughtException', onEscape);
  process.off('unhandledRejection', onEscape);
});

const INVALID = 'invalid_payload';
const WRONG_TYPES: unknown[] = ['2', true, null, [], {}, undefined];
const BAD_UINTS: unknown[] = [...WRONG_TYPES, -1, 1.5, 2 ** 53, 1e300];
const frame = (body: unknown, extra: Record<string, unknown> = {}): string =>
  JSON.stringify([null, null, 'sync:v1', 'sync:frame', { topic: TOPIC, seq: 0, kind: 'KHALA_FRAME_KIND_UPDATE_BATCH', payload_bytes: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)).toString('base64'), schema_version: 1, ...extra }]);
const raw = (event: string, payload: unknown, topic = 'sync:v1'): string => JSON.stringify([null, null, topic, event, payload]);
const show = (v: unknown): string => (v === undefined ? 'missing' : JSON.stringify(v));

const table: BadInput[] = [];
const fieldVariants: Record<string, unknown[]> = {
  watermark: BAD_UINTS,
  doc_version: BAD_UINTS,
  // A lone surrogate is not Unicode text: a UTF-8 store (SQLite) hands it back as U+FFFD, so two
  // such keys would become one document after a restart, and neither could be looked up by its key.
  doc_key: [1, true, null, [], {}, undefined, 'bad:\ud800', 'bad:\udc00x', 'bad:x\ud83d'],
  payload: [1, true, [], undefined, 'not base64!', Buffer.from('[1]').toString('base64')],
  payload_hash: [1, true, {}, []],
  hydration_required: ['true', 1, null, {}],
  topic: [1, null, [], undefined],
};
for (const [field, values] of Object.entries(fieldVariants)) {
  for (const v of values) table.push({ name: `update_batch ${field}=${show(v)}`, make: (n) => batch([update(n, { [field]: v })]), code: INVALID });
}
for (const v of ['true', 1, null, {}]) table.push({ name: `update_batch replay_complete=${show(v)}`, make: (n) => batch([update(n)], { replay_complete: v }), code: INVALID });
for (const v of ['x', 1, null, {}, [1], [{ topic: TOPIC }], [{ topic: TOPIC, watermark: -1 }], [{ topic: TOPIC, watermark: 2 ** 53 }]]) {
  table.push({ name: `update_batch head_watermarks=${show(v)}`, make: (n) => batch([update(n)], { head_watermarks: v }), code: INVALID });
}
for (const v of ['x', 1, null, {}, [1], [null]]) table.push({ name: `update_batch updates=${show(v)}`, make: () => raw('sync:update_batch', { updates: v }), code: INVALID });
table.push(
  { name: 'update_batch watermarks descending', make: (n) => batch([update(n + 1), update(n)]), code: INVALID },
  { name: 'update_batch one watermark twice', make: (n) => batch([update(n), update(n)]), code: INVALID },
  { name: 'update_batch mixing topics', make: (n) => batch([update(n), update(n + 1, { topic: 'runtime.notifications' })]), code: INVALID },
  { name: 'update_batch for a topic never subscribed', make: (n) => batch([update(n, { topic: 'runtime.notifications' })]), code: 'unsubscribed_topic' },
  { name: 'update_batch for the empty topic', make: (n) => batch([update(n, { topic: '' })]), code: 'unsubscribed_topic' },
);
for (const v of [2, 0, -1, '1', 1.5, null, true, undefined]) table.push({ name: `frame schema_version=${show(v)}`, make: (n) => frame({ updates: [update(n)] }, { seq: n, schema_version: v }), code: Number.isInteger(v) ? 'unsupported_frame_version' : INVALID });
for (const v of BAD_UINTS) table.push({ name: `frame seq=${show(v)}`, make: (n) => frame({ updates: [update(n)] }, { seq: v }), code: INVALID });
for (const v of [true, null, 2.5, {}, undefined]) table.push({ name: `frame kind=${show(v)}`, make: (n) => frame({ updates: [update(n)] }, { seq: n, kind: v }), code: INVALID });
for (const v of [1, null, undefined]) table.push({ name: `frame payload_bytes=${show(v)}`, make: (n) => frame({}, { seq: n, payload_bytes: v }), code: INVALID });
for (const [what, v] of [
  ['not base64', '!!!'],
  ['unpadded', 'AAA'],
  ['bytes not UTF-8', Buffer.from([0xff, 0xfe]).toString('base64')],
  ['not JSON', Buffer.from('{"updates":').toString('base64')],
] as const) {
  table.push({ name: `frame payload_bytes ${what}`, make: (n) => frame({}, { seq: n, payload_bytes: v }), code: 'undecodable_frame' });
}
table.push(
  { name: 'frame batch body is an array', make: (n) => frame([update(n)], { seq: n }), code: INVALID },
  { name: 'frame batch of another topic than the frame', make: (n) => frame({ updates: [update(n, { topic: 'runtime.notifications' })] }, { seq: n }), code: INVALID },
  { name: 'frame batch for a topic never subscribed', make: (n) => frame({ updates: [update(n, { topic: 'runtime.notifications' })] }, { seq: n, topic: 'runtime.notifications' }), code: 'unsubscribed_topic' },
  { name: 'frame of an unknown kind', make: (n) => frame({ updates: [update(n)] }, { seq: n, kind: 'KHALA_FRAME_KIND_FUTURE' }), code: null },
  { name: 'frame ERROR whose body is a string', make: () => frame('"x"', { kind: 'KHALA_FRAME_KIND_ERROR' }), code: INVALID },
  { name: 'frame ERROR whose code is a number', make: () => frame({ code: 5 }, { kind: 'KHALA_FRAME_KIND_ERROR' }), code: INVALID },
  { name: 'frame HEARTBEAT with a bad body', make: () => frame({ watermarks: 5 }, { kind: 'KHALA_FRAME_KIND_HEARTBEAT' }), code: INVALID },
);
for (const [what, text] of [
  ['empty', ''],
  ['not JSON', '[null,null,'],
  ['an object', '{}'],
  ['null', 'null'],
  ['4 elements', '[null,null,"sync:v1","sync:heartbeat"]'],
  ['a payload that is an array', raw('sync:update_batch', [])],
  ['an event that is a number', '[null,null,"sync:v1",5,{}]'],
  ['a join_ref that is a number', '[5,null,"sync:v1","sync:heartbeat",{}]'],
  ['a ref that is an object', '[null,{},"sync:v1","sync:heartbeat",{}]'],
] as const) {
  table.push({ name: `Phoenix frame: ${what}`, make: () => text, code: 'malformed_frame' });
}
table.push(
  { name: 'unknown sync:* event', make: () => raw('sync:future', {}), code: 'unknown_event' },
  { name: 'a Phoenix Presence event on sync:v1', make: () => raw('presence_diff', { joins: {}, leaves: {} }), code: 'unknown_event' },
  { name: 'a phx_* event the client does not know', make: () => raw('phx_leave', {}), code: 'unknown_event' },
  { name: 'a push on another Phoenix topic', make: (n) => JSON.stringify([null, null, 'sync:v2', 'sync:update_batch', { updates: [update(n)] }]), code: null },
  { name: 'a push of an older join', make: (n) => JSON.stringify(['old', null, 'sync:v1', 'sync:update_batch', { updates: [update(n)] }]), code: null },
  { name: 'a reply to a ref never sent', make: () => JSON.stringify([null, '999', 'sync:v1', 'phx_reply', { status: 'ok', response: {} }]), code: null },
  { name: 'heartbeat with watermarks of the wrong type', make: () => raw('sync:heartbeat', { watermarks: 'x' }), code: INVALID },
  { name: 'heartbeat far ahead (a hint, never a cursor)', make: (n) => raw('sync:heartbeat', { watermarks: [{ topic: TOPIC, watermark: n + 1000 }] }), code: null },
  { name: 'a binary frame whose bytes are not UTF-8', make: (n) => Buffer.from(batch([update(n, { payload: { s: '@@' } })]).replace('@@', '\u0001')).map((b) => (b === 1 ? 0xff : b)) as Buffer, code: 'malformed_frame' },
);
for (const e of [{ code: 5 }, { code: '' }, { code: null }, {}, { code: 'internal', retry_after_ms: -1 }, { code: 'internal', retry_after_ms: '5' }, { code: 'stale_cursor', stale_topics: [{ topic: TOPIC, head_watermark: -5 }] }, { code: 'stale_cursor', stale_topics: 'x' }, { code: 'slow_consumer', full_resync_required: 'yes' }]) {
  table.push({ name: `sync:error ${JSON.stringify(e)}`, make: () => raw('sync:error', e), code: INVALID });
}

describe('bad Khala input over a real socket', () => {
  for (const bad of table) {
    it(bad.name, async () => {
      const out = await live.probe(bad);
      expect(out).toEqual({ codes: bad.code === null ? [] : [bad.code], applied: false, documentsChanged: false, reconnected: false });
      expect(escaped).toEqual([]);
    });
  }
});
