import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { payloadHashBase64 } from '../../src/hash/index.js';
import { until } from '../client/harness.js';
import { batchOnSubscribe, watchedClient, watchHost } from './bad-input-table.js';
import { hostileServer, joinOk, push, type HostileServer } from './hostile-server.js';
import { httpHydrator, httpSnapshotSource, tokenEndpoint } from '../../src/http.js';

// HTTP bodies a server gets wrong (SDK_CONTRACTS §1 snapshot pages, the token endpoint), end to
// end: a snapshot page of the wrong shape, version or encoding fails the topic with `bad_snapshot`
// and stores nothing (the cursor and the document held before stay); a token body that is not
// UTF-8 is `token_provider_failed` and no socket is dialled with a mangled token.
const TOPIC = 'runtime.run_summaries';
const cleanups = watchHost();

type Answer = { status?: number; body: string | Buffer };

/** An HTTP server on loopback answering every request with `answer(page_token)`. */
async function httpServer(answer: (pageToken: string | null) => Answer): Promise<{ url: string; requests: number }> {
  const out = { url: '', requests: 0 };
  const server: Server = createServer((req, res) => {
    out.requests++;
    const a = answer(new URL(req.url ?? '/', 'http://x').searchParams.get('page_token'));
    res.writeHead(a.status ?? 200, { 'content-type': 'application/json' }).end(a.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
  out.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return out;
}

/** A Khala server that applies watermark 1 (document `kept`), then says the topic is stale (head 20). */
async function staleAfterOne(): Promise<HostileServer> {
  const srv = await hostileServer((frame, socket) => {
    if (joinOk(frame, socket)) return;
    const [joinRef, ref, topic, event] = frame;
    if (event !== 'sync:subscribe') return;
    push(socket, [joinRef, ref, topic, 'phx_reply', { status: 'ok', response: { current_watermarks: [] } }]);
    if (srv.accepted > 1 || (frame[4]['resume_after'] as Record<string, number> | undefined)?.[TOPIC] === 20) return;
    push(socket, [joinRef, null, topic, 'sync:update_batch', { updates: [{ topic: TOPIC, doc_key: 'kept', doc_version: 1, payload: { v: 1 }, watermark: 1 }], replay_complete: true, head_watermarks: [] }]);
    push(socket, [joinRef, null, topic, 'sync:error', { code: 'stale_cursor', full_resync_required: true, stale_topics: [{ topic: TOPIC, retention_floor: 10, head_watermark: 20 }] }]);
  });
  cleanups.push(() => srv.close());
  return srv;
}

const page = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  format: 'openagents.sync.snapshot.v1',
  schema_version: 1,
  topic: TOPIC,
  head_watermark: 20,
  docs: [{ doc_key: 'snap', doc_version: 3, payload: { s: 'é' }, payload_hash: payloadHashBase64({ s: 'é' }) }],
  next_page_token: null,
  ...extra,
});
const json = (v: unknown): Answer => ({ body: JSON.stringify(v) });
const doc = (extra: Record<string, unknown>): Answer => json(page({ docs: [{ doc_key: 'snap', doc_version: 3, payload: { s: 1 }, ...extra }] }));

const BAD: Array<[string, (pageToken: string | null) => Answer]> = [
  ['not JSON', () => ({ body: '{"format":' })],
  ['bytes that are not UTF-8', () => ({ body: Buffer.from(JSON.stringify(page({ docs: [{ doc_key: 'snap', doc_version: 3, payload: { s: '@' } }] })).replace('@', '\u0001')).map((b) => (b === 1 ? 0xff : b)) as Buffer })],
  ['an array', () => json([page()])],
  // Valid JSON that is not an object: the envelope must be one (a document's payload may be anything).
  ...[[], 'x', 42, null, true].map((v): [string, () => Answer] => [`the JSON ${JSON.stringify(v)} (not an object)`, () => json(v)]),
  ['a second page that is the JSON 42', (t) => (t === null ? json(page({ next_page_token: 'p2' })) : json(42))],
  ['another topic', () => json(page({ topic: 'runtime.notifications' }))],
  ['no topic', () => json(page({ topic: undefined }))],
  ['another format', () => json(page({ format: 'openagents.sync.snapshot.v2' }))],
  ['format of the wrong type', () => json(page({ format: 1 }))],
  ['schema_version 2', () => json(page({ schema_version: 2 }))],
  ['schema_version "1"', () => json(page({ schema_version: '1' }))],
  ...[-1, '20', 20.5, 2 ** 53, null, undefined].map((v): [string, () => Answer] => [`head_watermark ${JSON.stringify(v) ?? 'missing'}`, () => json(page({ head_watermark: v }))]),
  ['docs not an array', () => json(page({ docs: {} }))],
  ['a doc that is a number', () => json(page({ docs: [1] }))],
  ['doc_key a number', () => doc({ doc_key: 1 })],
  // Not Unicode text: a UTF-8 store (SQLite) keeps it as U+FFFD and merges such keys.
  ['doc_key with a lone surrogate', () => doc({ doc_key: 'snap\ud800' })],
  ['doc_version negative', () => doc({ doc_version: -1 })],
  ['doc_version fractional', () => doc({ doc_version: 1.5 })],
  ['payload missing', () => doc({ payload: undefined })],
  ['payload_hash a number', () => doc({ payload_hash: 5 })],
  ['payload_hash that does not match', () => doc({ payload_hash: payloadHashBase64({ s: 2 }) })],
  ['next_page_token a number', () => json(page({ next_page_token: 5 }))],
  ['next_page_token that loops', (t) => json(page({ next_page_token: t === 'b' ? 'a' : 'b' }))],
];

describe('a snapshot page the client must refuse', () => {
  for (const [name, answer] of BAD) {
    it(`${name}: bad_snapshot, nothing stored, the topic fails`, async () => {
      const http = await httpServer(answer);
      const srv = await staleAfterOne();
      const { client, errors } = watchedClient(cleanups, { url: srv.url, snapshot: httpSnapshotSource({ baseUrl: http.url }) });
      await client.connect();
      await until(() => client.status === 'failed', 'the topic failed', 3000);
      expect(errors.map((e) => [e.code, e.topic])).toEqual([['bad_snapshot', TOPIC]]);
      expect(client.getWatermark(TOPIC)).toBe(1);
      expect(client.listDocuments(TOPIC).map((d) => [d.docKey, d.payload])).toEqual([['kept', { v: 1 }]]);
    });
  }

  it('a document payload may be any JSON value: [], "x", 42, true, 0, null are applied as they are (SPEC.md R4: no pointer mode in a snapshot)', async () => {
    const payloads = [[], 'x', 42, true, 0, null];
    const docs = payloads.map((p, i) => ({ doc_key: `p${i}`, doc_version: 1, payload: p, payload_hash: payloadHashBase64(p) }));
    const http = await httpServer(() => json(page({ docs })));
    const srv = await staleAfterOne();
    const { client, errors } = watchedClient(cleanups, { url: srv.url, snapshot: httpSnapshotSource({ baseUrl: http.url }) });
    await client.connect();
    await until(() => client.getWatermark(TOPIC) === 20 && client.status === 'live', 'snapshot applied');
    expect(client.listDocuments(TOPIC).map((d) => d.payload)).toEqual(payloads);
    expect(client.listDocuments(TOPIC).filter((d) => d.hydrationPending)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('the page as the contract writes it (no format or schema_version: a minimal producer) is applied', async () => {
    const http = await httpServer(() => json(page({ format: undefined, schema_version: undefined })));
    const srv = await staleAfterOne();
    const { client, errors } = watchedClient(cleanups, { url: srv.url, snapshot: httpSnapshotSource({ baseUrl: http.url }) });
    await client.connect();
    await until(() => client.getWatermark(TOPIC) === 20 && client.status === 'live', 'snapshot applied');
    expect(client.listDocuments(TOPIC).map((d) => [d.docKey, d.payload])).toEqual([['snap', { s: 'é' }]]);
    expect(errors).toEqual([]);
  });
});

describe('a token endpoint body that is not UTF-8', () => {
  it('is token_provider_failed; no socket is dialled with the mangled token', async () => {
    const tokens = await httpServer(() => ({ body: Buffer.from('{"token":"abc@def"}').map((b) => (b === 0x40 ? 0xff : b)) as Buffer }));
    const srv = await staleAfterOne();
    const { client, errors } = watchedClient(cleanups, { url: srv.url, token: tokenEndpoint({ url: tokens.url }) });
    void client.connect().catch(() => undefined);
    await until(() => errors.length > 0, 'an error', 3000);
    expect(errors[0]!.code).toBe('token_provider_failed');
    expect(srv.accepted).toBe(0);
  });
});

describe('a hydration body the client must refuse', () => {
  /** A Khala server delivering `d` v1 {v: 1}, then v2 in pointer mode. */
  const pointerAfterBody = (): Promise<HostileServer> =>
    batchOnSubscribe(cleanups, [
      { topic: TOPIC, doc_key: 'd', doc_version: 1, payload: { v: 1 }, watermark: 1 },
      { topic: TOPIC, doc_key: 'd', doc_version: 2, payload: null, hydration_required: true, watermark: 2 },
    ]);
  const BODIES: Array<[string, unknown]> = [
    ['a null payload (no body)', { doc_key: 'd', doc_version: 2, payload: null }],
    ['another doc_key', { doc_key: 'e', doc_version: 2, payload: { v: 2 } }],
    ['doc_version a string', { doc_key: 'd', doc_version: '2', payload: { v: 2 } }],
    ['not JSON', '{"doc_key":'],
    // Valid JSON that is not an object (sent as is).
    ...['[]', '"x"', '42', 'null', 'true'].map((text): [string, string] => [`the JSON ${text} (not an object)`, text]),
  ];
  for (const [name, body] of BODIES) {
    it(`${name}: hydration_failed; the body held stays, the document stays pending`, async () => {
      const http = await httpServer(() => ({ body: typeof body === 'string' ? body : JSON.stringify(body) }));
      const { client, errors } = watchedClient(cleanups, { url: (await pointerAfterBody()).url, hydrator: httpHydrator({ baseUrl: http.url }) });
      const hydrated: unknown[] = [];
      client.on('hydrated', (d) => hydrated.push(d.payload));
      await client.connect();
      await until(() => errors.length > 0, 'an error', 3000);
      expect(errors[0]!.code).toBe('hydration_failed');
      expect(hydrated).toEqual([]);
      expect(client.listDocuments(TOPIC).map((d) => [d.docKey, d.docVersion, d.payload, d.hydrationPending])).toEqual([['d', 2, { v: 1 }, true]]);
      expect(client.getWatermark(TOPIC)).toBe(2);
    });
  }

  it('a hydrated payload that is not an object (42) is a body like any other', async () => {
    const http = await httpServer(() => json({ doc_key: 'd', doc_version: 2, payload: 42 }));
    const { client, errors } = watchedClient(cleanups, { url: (await pointerAfterBody()).url, hydrator: httpHydrator({ baseUrl: http.url }) });
    await client.connect();
    await until(() => client.getDocument(TOPIC, 'd')?.hydrationPending === false, 'hydrated');
    expect(client.getDocument(TOPIC, 'd')?.payload).toBe(42);
    expect(errors).toEqual([]);
  });
});
