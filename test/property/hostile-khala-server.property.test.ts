// Property: a Khala server on a real loopback socket that sends any sequence of frames — good
// batches of two topics in both encodings and their copies (pointer mode, right and wrong
// payload hashes under verifyPayloadHash 'all'), bad batches, server errors of every code and shape,
// channel ends, stray replies, heartbeats, junk text, binary and protocol-breaking frames — while
// the app resyncs, unsubscribes, resubscribes and probes, never makes the client throw into the
// host, apply a refused update, deliver a (topic, seq) twice or move a watermark back, report an
// error without a known code, flood the server with requests (subscribes, dials), leave an API
// promise unsettled, or emit after close().
//
// Replay a failure with FC_SEED=<seed> FC_PATH=<path>; HOSTILE_RUNS=<n> changes the runs (default 40).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { SyncClient } from '../../src/client/sync-client.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { hostileServer, push } from '../security/hostile-server.js';
import { payloadHashBase64 } from '../../src/hash/index.js';

const NUM_RUNS = Number(process.env['HOSTILE_RUNS'] ?? 40);
const SEED = process.env['FC_SEED'] === undefined ? undefined : Number(process.env['FC_SEED']);
const PATH = process.env['FC_PATH'];
const TOPIC = 'runtime.run_summaries';
const TOPIC2 = 'runtime.codex_worker_summaries';
const TOPICS = [TOPIC, TOPIC2];
/** Watermarks of refused updates: applying one is a failure. */
const BAD = 1_000_000;
const CODES = new Set<string>(Object.values(ErrorCodes));

type Step =
  | { t: 'good'; enc: 'batch' | 'frame' | 'binary'; copy: boolean; topic: number; pointer: boolean; hash: 'none' | 'right' | 'wrong' }
  | { t: 'app'; op: 'resync' | 'resubscribe' | 'unsubscribe' | 'probe'; topic: number }
  | { t: 'bad'; k: number }
  | { t: 'error'; body: Record<string, unknown>; frame: boolean }
  | { t: 'end'; event: 'phx_close' | 'phx_error'; joinRef: 'current' | 'stale' | 'null' }
  | { t: 'reply'; ref: string; status: unknown; response: unknown }
  | { t: 'heartbeat'; w: number }
  | { t: 'junk'; text: string }
  | { t: 'broken' }
  | { t: 'wait'; ms: number };

const errorBody = fc.oneof(
  fc.constantFrom<Record<string, unknown>>(
    { code: 'stale_cursor' },
    { code: 'stale_cursor', full_resync_required: true, stale_topics: [] },
    { code: 'stale_cursor', stale_topics: [{ topic: TOPIC, retention_floor: 3 }] },
    { code: 'stale_cursor', stale_topics: [{ topic: 'runtime.other' }] },
    { code: 'slow_consumer', action: 'throttle', topic: TOPIC, reconnect_after_ms: 10 },
    { code: 'slow_consumer', action: 'disconnect', topic: TOPIC, reconnect_after_ms: 10 },
    { code: 'slow_consumer' },
    { code: 'slow_consumer_evicted', retry_after_ms: 10 },
    { code: 'rate_limited', retry_after_ms: 10 },
    { code: 'internal' },
    { code: 'unauthorized' },
    { reason: 'unmatched topic' },
    { code: 'payload_too_large' },
    { code: 'quota_exhausted', full_resync_required: true, topic: TOPIC },
    { code: 'forbidden_topic', forbidden_topics: ['runtime.other'] },
    { code: 'SYNC_ERROR_CODE_INTERNAL', extra: { deep: [1, { x: null }] } },
    { code: 5 },
    {},
    { code: 'reauth_required', reauth_required: true },
    { code: 'UPGRADE_REQUIRED', min_client_build_id: '99999999T000000Z' },
  ),
);

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('good' as const), enc: fc.constantFrom('batch' as const, 'frame' as const, 'binary' as const), copy: fc.boolean(), topic: fc.nat(1), pointer: fc.nat(4).map((x) => x === 0), hash: fc.constantFrom('none' as const, 'right' as const, 'wrong' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('app' as const), op: fc.constantFrom('resync' as const, 'resubscribe' as const, 'unsubscribe' as const, 'probe' as const), topic: fc.nat(1) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('bad' as const), k: fc.nat(11) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('error' as const), body: errorBody, frame: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('end' as const), event: fc.constantFrom('phx_close' as const, 'phx_error' as const), joinRef: fc.constantFrom('current' as const, 'stale' as const, 'null' as const) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('reply' as const), ref: fc.integer({ min: 1, max: 12 }).map(String), status: fc.constantFrom('ok', 'error', 1, undefined), response: fc.constantFrom({}, { code: 'stale_cursor' }, { code: 'internal' }, 'x', { current_watermarks: 'x' }, { current_watermarks: [{ topic: TOPIC, watermark: 99 }] }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('heartbeat' as const), w: fc.nat(1000) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('junk' as const), text: fc.oneof(fc.string(), fc.constantFrom('[', '{}', 'null', '[null,null,"sync:v1","sync:update_batch",{"__proto__":{}}]', '\ufeff[]', `${'['.repeat(300)}${']'.repeat(300)}`)) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'broken' as const }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 40 }) }) },
);

const update = (n: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ topic: TOPIC, doc_key: `d${n % 3}`, doc_version: n, payload: { n }, watermark: n, ...extra });
const BAD_UPDATES: Array<(n: number) => unknown[]> = [
  (n) => [update(n, { watermark: String(n) })],
  (n) => [update(n, { doc_version: -1 })],
  (n) => [update(n, { doc_key: 'x\ud800' })],
  (n) => [update(n, { payload: [1] })],
  (n) => [update(n + 1), update(n)],
  (n) => [update(n), update(n + 1, { topic: 'runtime.other' })],
  (n) => [update(n, { topic: 'runtime.other' })],
  (n) => [update(n, { watermark: n + 0.5 })],
  (n) => [update(n, { hydration_required: 'yes' })],
  (n) => [update(n, { payload_hash: 5 })],
  (n) => [update(n, { watermark: 2 ** 53 })],
  (n) => [update(n, { topic: null })],
];
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const escaped: unknown[] = [];
const onEscape = (e: unknown): void => void escaped.push(e);
beforeAll(() => {
  process.on('unhandledRejection', onEscape);
  process.on('uncaughtException', onEscape);
});
afterAll(() => {
  process.off('unhandledRejection', onEscape);
  process.off('uncaughtException', onEscape);
});

/** How the server answers every subscribe after the first `okFirst`. */
const answerArb = fc.record({
  join: fc.constantFrom<Record<string, unknown>>(
    { status: 'ok', response: {} },
    { status: 'ok', response: {} },
    { status: 'ok', response: {} },
    { status: 'ok', response: { current_watermarks: 'x' } },
    { status: 'error', response: { reason: 'join crashed' } },
    { status: 'error', response: { code: 'rate_limited', retry_after_ms: 10 } },
    { status: 'error' },
  ),
  okFirst: fc.nat(2),
  reply: fc.constantFrom<Record<string, unknown>>(
    { status: 'ok', response: {} },
    { status: 'ok', response: {} },
    { status: 'error', response: { code: 'stale_cursor' } },
    { status: 'error', response: { code: 'stale_cursor', stale_topics: [{ topic: 'runtime.other' }] } },
    { status: 'error', response: { code: 'stale_cursor', stale_topics: [{ topic: TOPIC }] } },
    { status: 'error', response: { code: 'internal' } },
    { status: 'error', response: { code: 'forbidden_topic', forbidden_topics: ['runtime.other'] } },
    { status: 'error', response: { reason: 'unmatched topic' } },
    { status: 'error' },
  ),
});

async function run(answer: { join: Record<string, unknown>; okFirst: number; reply: Record<string, unknown> }, steps: Step[]): Promise<void> {
  let socket: WebSocket | undefined;
  let joinRef: string | null = null;
  let subscribes = 0;
  const srv = await hostileServer((frame, ws) => {
    const [jr, ref, topic, event] = frame;
    if (event === 'phx_join') {
      socket = ws;
      joinRef = jr;
      push(ws, [jr, ref, topic, 'phx_reply', answer.join]);
    } else if (event === 'sync:subscribe') {
      push(ws, [jr, ref, topic, 'phx_reply', subscribes++ < answer.okFirst ? { status: 'ok', response: {} } : answer.reply]);
    } else if (event === 'sync:heartbeat') push(ws, [jr, ref, topic, 'phx_reply', { status: 'ok', response: { watermarks: [] } }]);
  });
  const client = new SyncClient({ url: srv.url, token: 't0ken', topics: TOPICS, reconnectDelay: () => 30, heartbeatIntervalMs: 50, verifyPayloadHash: 'all' });
  const seenBy = new Map<string, Set<number>>();
  const lastBy = new Map<string, number>();
  const problems: string[] = [];
  const pending: Array<Promise<unknown>> = [];
  let closed = false;
  client.on('updates', (b) => {
    if (closed) problems.push('updates after close()');
    for (const u of b.updates) {
      const seen = seenBy.get(u.topic) ?? new Set<number>();
      seenBy.set(u.topic, seen);
      const last = lastBy.get(u.topic) ?? 0;
      if (u.watermark >= BAD) problems.push(`refused update ${u.watermark} applied`);
      if (seen.has(u.watermark)) problems.push(`${u.topic} seq ${u.watermark} twice`);
      if (u.watermark <= last) problems.push(`${u.topic} watermark back ${last} -> ${u.watermark}`);
      seen.add(u.watermark);
      lastBy.set(u.topic, u.watermark);
    }
  });
  client.on('error', (e) => {
    if (!CODES.has(e.code)) problems.push(`unknown code ${e.code}`);
  });
  const started = Date.now();
  try {
    await client.connect();
    await sleep(30);
    const ns = [0, 0];
    let k = 0;
    for (const s of steps) {
      const ws = socket;
      if (ws === undefined || ws.readyState !== 1) {
        await sleep(10);
        continue;
      }
      const jr = joinRef;
      const send = (frame: unknown[]): void => ws.send(JSON.stringify(frame));
      switch (s.t) {
        case 'good': {
          const topic = TOPICS[s.topic]!;
          const w = s.copy && ns[s.topic]! > 0 ? ns[s.topic]! : ++ns[s.topic]!;
          const payload = { n: w };
          const u = update(w, { topic, payload: s.pointer ? null : payload, hydration_required: s.pointer, payload_hash: s.hash === 'none' ? null : payloadHashBase64(s.hash === 'right' ? payload : { n: -w }) });
          const body = { updates: [u], replay_complete: true, head_watermarks: [{ topic, watermark: w }] };
          if (s.enc === 'frame') send([jr, null, 'sync:v1', 'sync:frame', { topic, seq: w, kind: 'KHALA_FRAME_KIND_UPDATE_BATCH', payload_bytes: b64(body), schema_version: 1 }]);
          else if (s.enc === 'binary') ws.send(Buffer.from(JSON.stringify([jr, null, 'sync:v1', 'sync:update_batch', body])), { binary: true });
          else send([jr, null, 'sync:v1', 'sync:update_batch', body]);
          break;
        }
        case 'bad':
          send([jr, null, 'sync:v1', 'sync:update_batch', { updates: BAD_UPDATES[s.k]!(BAD + 10 * k++), replay_complete: true }]);
          break;
        case 'error':
          if (s.frame) send([jr, null, 'sync:v1', 'sync:frame', { topic: TOPIC, seq: 0, kind: 'KHALA_FRAME_KIND_ERROR', payload_bytes: b64(s.body), schema_version: 1 }]);
          else send([jr, null, 'sync:v1', 'sync:error', s.body]);
          break;
        case 'end':
          send([s.joinRef === 'current' ? jr : s.joinRef === 'stale' ? 'stale' : null, null, 'sync:v1', s.event, {}]);
          break;
        case 'reply':
          send([jr, s.ref, 'sync:v1', 'phx_reply', s.status === undefined ? { response: s.response } : { status: s.status, response: s.response }]);
          break;
        case 'heartbeat':
          send([jr, null, 'sync:v1', 'sync:heartbeat', { watermarks: [{ topic: TOPIC, watermark: s.w }] }]);
          break;
        case 'junk':
          ws.send(s.text);
          break;
        case 'broken':
          ws.send(Buffer.from([0x5b, 0xff, 0x5d]), { binary: false });
          break;
        case 'wait':
          await sleep(s.ms);
          break;
        case 'app': {
          const topic = TOPICS[s.topic]!;
          if (s.op === 'resync') client.resync(topic);
          else if (s.op === 'probe') pending.push(client.probeConnection(100));
          else if (s.op === 'unsubscribe') pending.push(client.unsubscribe(topic));
          else pending.push(client.unsubscribe(topic), client.subscribe(topic));
          break;
        }
      }
    }
    await sleep(100);
  } finally {
    const closing = client.close();
    // Frames racing close(): nothing of them may come out after it resolved.
    if (socket?.readyState === 1) for (let i = 1; i <= 3; i++) socket.send(JSON.stringify([joinRef, null, 'sync:v1', 'sync:update_batch', { updates: [update(BAD - i)] }]));
    const t0 = Date.now();
    await closing;
    const settled = await Promise.race([Promise.allSettled(pending).then(() => true), sleep(2000).then(() => false)]);
    if (!settled) problems.push('an API promise never settled');
    closed = true;
    if (Date.now() - t0 > 2000) problems.push('close() took over 2 s');
    await sleep(30);
    await srv.close();
  }
  const wm = client.getWatermark(TOPIC);
  if (wm !== undefined && wm >= BAD) problems.push(`watermark ${wm} from a refused update`);
  // Requests stay proportionate: a loop answers one frame with hundreds of requests. Dials are
  // spaced by the 30 ms backoff at least; each socket subscribes a few times at most on its own.
  const elapsed = Date.now() - started;
  const dials = Math.ceil(elapsed / 25) + 3;
  if (srv.accepted > dials) problems.push(`${srv.accepted} dials in ${elapsed} ms`);
  if (subscribes > 3 * srv.accepted + steps.length) problems.push(`${subscribes} subscribes on ${srv.accepted} sockets for ${steps.length} steps`);
  expect(problems).toEqual([]);
  expect(escaped).toEqual([]);
}

describe('a hostile Khala server over a real socket', () => {
  it('never breaks the client', async () => {
    await fc.assert(fc.asyncProperty(answerArb, fc.array(stepArb, { minLength: 5, maxLength: 40 }), run), { numRuns: NUM_RUNS, seed: SEED, path: PATH, endOnFailure: true });
  }, 180_000);
});
