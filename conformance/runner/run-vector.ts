// Drives a real SyncClient through one vector and collects every mismatch. Time is virtual (vitest
// fake timers); after every step the runner lets all ready work finish (microtasks and timers due
// "now") before it looks at anything, so each inbound frame is fully applied, store commit included,
// before the next one is delivered.
import { vi } from 'vitest';
import { httpHydrator, httpSnapshotSource, tokenEndpoint } from '../../src/http.js';
import type { Hydrator, SnapshotSource } from '../../src/bootstrap/snapshot-source.js';
import { SyncClient } from '../../src/client/sync-client.js';
import { createSpacetimeLane } from '../../src/spacetime.js';
import { matchOutbound, matchValue, PlaceholderError, serverFrameText } from './match.js';
import { jsonEqual } from './schema-validator.js';
import { HYDRATE_BASE, hydrateKey, ScriptedHttp, SNAPSHOT_BASE, snapshotKey } from './scripted-http.js';
import { ScriptedStore } from './scripted-store.js';
import { ScriptedNetwork } from './scripted-transport.js';
import { OPTION_DEFAULTS, type Assertions, type HttpResponse, type Json, type Step, type Vector } from './vector.js';
import { digestsSettled } from './digests.js';

/** Socket URL the client is given; nothing is ever dialled for real. */
export const CONFORMANCE_URL = 'wss://sync.conformance.invalid/sync/socket/websocket';
/** Spacetime lane: the base URL (the lane adds `/v1/database/conformance/subscribe`). */
export const CONFORMANCE_SPACETIME_URL = 'wss://spacetime.conformance.invalid';
/** The token every connection uses (fixed, or minted by the scripted token endpoint). */
export const CONFORMANCE_TOKEN = 'conformance-token';
const TOKEN_URL = 'https://control.conformance.invalid/api/sync/token';
/** Longest virtual wait of a `connect` step for the client's next dial. */
export const CONNECT_WAIT_MS = 60_000;

const realImmediate = globalThis.setImmediate;

/** Let every piece of ready work run: microtasks, digests in flight, then timers due at the current virtual instant. */
async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    await new Promise<void>((resolve) => realImmediate(resolve));
    if (await digestsSettled()) {
      i = -1; // what the digests unblocked settles in full
      continue;
    }
    await vi.advanceTimersByTimeAsync(0);
  }
}

type Recorded = { type: string; [key: string]: Json };

/** Everything observed while running a vector. */
interface Observed {
  applied: Array<{ topic: string; seq: number }>;
  errors: Array<{ code: string; topic: string | null; message: string }>;
  events: Recorded[];
}

function nullify(o: Record<string, unknown>): Recorded {
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(o)) out[k] = (v === undefined ? null : v) as Json;
  return out as Recorded;
}

/** Run one vector; resolves with the list of failures (empty = the client conforms). */
export async function runVector(vector: Vector): Promise<string[]> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'], now: 0 });
  try {
    return await run(vector);
  } finally {
    vi.useRealTimers();
  }
}

async function run(vector: Vector): Promise<string[]> {
  const { setup } = vector;
  const opts = { ...OPTION_DEFAULTS, ...setup.options };
  const failures: string[] = [];
  const net = new ScriptedNetwork();
  const store = new ScriptedStore();
  await store.seed(setup.stored?.watermarks ?? {}, setup.stored?.documents ?? []);

  const snapshotScripts = new Map<string, HttpResponse[]>(Object.entries(setup.snapshot ?? {}).map(([t, list]) => [t, [...list]]));
  const snapshotHttp = new ScriptedHttp(snapshotScripts);
  const snapshot: SnapshotSource | undefined = setup.snapshot === undefined ? undefined : httpSnapshotSource({ baseUrl: SNAPSHOT_BASE, fetch: snapshotHttp.fetchFor(snapshotKey) });
  const hydrateScripts = new Map<string, HttpResponse[]>();
  for (const [topic, docs] of Object.entries(setup.hydrate ?? {})) for (const [key, list] of Object.entries(docs)) hydrateScripts.set(`${topic}\u0000${key}`, [...list]);
  const hydrateHttp = new ScriptedHttp(hydrateScripts);
  const hydrator: Hydrator | undefined = setup.hydrate === undefined ? undefined : httpHydrator({ baseUrl: HYDRATE_BASE, fetch: hydrateHttp.fetchFor(hydrateKey) });

  const tokenHttp = new ScriptedHttp(new Map([['token', [...(setup.token ?? [])]]]), { status: 200, body: { data: { token: CONFORMANCE_TOKEN } } });
  const seen: Observed = { applied: [], errors: [], events: [] };
  /** One client as §1 of the README describes; `app restart` builds another on the same store. */
  const build = (): SyncClient => {
    const spacetime = vector.lane === 'spacetime';
    const c = new SyncClient({
      url: spacetime ? CONFORMANCE_SPACETIME_URL : CONFORMANCE_URL,
      ...(spacetime ? { lane: createSpacetimeLane({ database: 'conformance', ...(setup.options?.replay_budget !== undefined ? { replayBudget: setup.options.replay_budget } : {}) }) } : {}),
      token: setup.token === undefined ? CONFORMANCE_TOKEN : tokenEndpoint({ url: TOKEN_URL, fetch: tokenHttp.fetchFor(() => 'token') }),
      topics: setup.topics,
      store: store.handle(),
      transport: net.factory,
      snapshot,
      hydrator,
      // `verify_hashes` (default true) checks every body, socket updates included.
      verifyPayloadHash: opts.verify_hashes ? 'all' : 'off',
      maxFrameBytes: opts.max_frame_bytes,
      reconnectDelay: () => opts.reconnect_delay_ms,
      heartbeatIntervalMs: opts.heartbeat_interval_ms,
      deadAfterMs: opts.dead_after_ms,
      joinTimeoutMs: opts.join_timeout_ms,
      subscribeTimeoutMs: opts.subscribe_timeout_ms,
    });
    c.on('updates', (b) => seen.applied.push(...b.updates.map((u) => ({ topic: u.topic, seq: u.watermark }))));
    c.on('error', (e) => seen.errors.push({ code: e.code, topic: e.topic ?? null, message: e.message }));
    c.on('caught_up', (e) => seen.events.push(nullify({ type: 'caught_up', topic: e.topic, watermark: e.watermark })));
    c.on('stale', (e) =>
      seen.events.push(nullify({ type: 'stale', topic: e.topic, reason: e.reason, resume_after: e.resumeAfter, retention_floor: e.retentionFloor, head_watermark: e.headWatermark })),
    );
    c.on('bootstrap', (e) => seen.events.push(nullify({ type: 'bootstrap', topic: e.topic, head_watermark: e.headWatermark, documents: e.documents })));
    c.on('hydrated', (d) => seen.events.push(nullify({ type: 'hydrated', topic: d.topic, doc_key: d.docKey, doc_version: d.docVersion })));
    return c;
  };
  let client = build();

  let started = false;
  let checkpoint = 0; // index into net.sent of the first frame not yet matched by expect_outbound

  const appCall = (what: string, p: Promise<unknown>): void => {
    p.catch((err: unknown) => failures.push(`app ${what} rejected: ${(err as Error).message}`));
  };

  const assertions = async (a: Assertions, where: string): Promise<void> => {
    failures.push(...(await checkAssertions(a, where, { client, store, net, seen, snapshotHttp, hydrateHttp })));
  };

  for (const [index, step] of vector.steps.entries()) {
    const where = `step ${index + 1} (${step.type}${step.note ? `: ${step.note}` : ''})`;
    try {
      await runStep(step, where);
    } catch (err) {
      failures.push(`${where}: ${err instanceof PlaceholderError ? err.message : (err as Error).stack ?? String(err)}`);
    }
  }
  await settle();
  const { outbound, ...rest } = vector.expect;
  await assertions(rest, 'expect');
  if (outbound !== undefined) failures.push(...matchOutbound(outbound, net.sent.slice(checkpoint), net.sent, 'expect.outbound'));
  await client.close();
  if (failures.length > 0) failures.push(`(errors seen: ${seen.errors.map((e) => `${e.code}${e.topic ? `@${e.topic}` : ''}`).join(', ') || 'none'})`);
  return failures;

  async function runStep(step: Step, where: string): Promise<void> {
    switch (step.type) {
      case 'connect': {
        if (!started) {
          started = true;
          appCall('connect', client.connect());
          await settle();
        }
        const begin = Date.now();
        while (net.pendingDial() === undefined) {
          if (Date.now() - begin >= CONNECT_WAIT_MS || vi.getTimerCount() === 0) {
            failures.push(`${where}: the client did not dial within ${CONNECT_WAIT_MS} ms of virtual time (status ${client.status})`);
            return;
          }
          await vi.advanceTimersToNextTimerAsync();
          await settle();
        }
        net.open(net.pendingDial()!, step.protocol);
        await settle();
        return;
      }
      case 'server': {
        // A frame sent after the client closed its socket is lost, as on a real network.
        const conn = net.current(step.connection);
        if (conn === undefined) return;
        net.deliver(conn, serverFrameText(step.frame, net.sent, conn.index));
        await settle();
        return;
      }
      case 'expect_outbound': {
        failures.push(...matchOutbound(step.frames, net.sent.slice(checkpoint), net.sent, where));
        checkpoint = net.sent.length;
        return;
      }
      case 'disconnect': {
        const conn = net.current(step.connection);
        if (conn === undefined) failures.push(`${where}: no open connection to close`);
        else net.end(conn, { code: step.code ?? 1006, reason: step.reason ?? '' });
        await settle();
        return;
      }
      case 'snapshot_response': {
        if (!snapshotHttp.answer(step.topic, step.response)) failures.push(`${where}: no snapshot request for ${step.topic} is waiting`);
        await settle();
        return;
      }
      case 'hydrate_response': {
        if (!hydrateHttp.answer(`${step.topic}\u0000${step.doc_key}`, step.response)) failures.push(`${where}: no hydration request for ${step.topic} ${step.doc_key} is waiting`);
        await settle();
        return;
      }
      case 'advance_time':
        await vi.advanceTimersByTimeAsync(step.ms);
        await settle();
        return;
      case 'store_failure':
        store.fail(step.operation ?? 'commit', step.reason);
        return;
      case 'app': {
        const topics = step.topics ?? [];
        if (step.call === 'connect') {
          started = true;
          appCall('connect', client.connect());
        } else if (step.call === 'subscribe') appCall('subscribe', client.subscribe(topics));
        else if (step.call === 'unsubscribe') appCall('unsubscribe', client.unsubscribe(topics));
        else if (step.call === 'resync') for (const t of topics) client.resync(t);
        else if (step.call === 'restart') {
          // The app closes the client, then a new process opens the same store (events keep accumulating).
          await client.close();
          await settle();
          client = build();
          started = false;
        } else appCall('close', client.close());
        await settle();
        return;
      }
      case 'check': {
        const { type: _type, note: _note, ...a } = step;
        await assertions(a, where);
        return;
      }
    }
  }
}

interface Context {
  client: SyncClient;
  store: ScriptedStore;
  net: ScriptedNetwork;
  seen: Observed;
  snapshotHttp: ScriptedHttp;
  hydrateHttp: ScriptedHttp;
}

const show = (v: unknown): string => JSON.stringify(v);

async function checkAssertions(a: Assertions, where: string, ctx: Context): Promise<string[]> {
  const out: string[] = [];
  const { client, seen } = ctx;
  if (a.applied !== undefined && !jsonEqual(a.applied, seen.applied)) {
    out.push(`${where}.applied: expected ${show(a.applied.map((x) => `${x.topic}#${x.seq}`))}, got ${show(seen.applied.map((x) => `${x.topic}#${x.seq}`))}`);
  }
  for (const [topic, want] of Object.entries(a.watermarks ?? {})) {
    const got = client.getWatermark(topic) ?? null;
    if (got !== want) out.push(`${where}.watermarks[${topic}]: expected ${show(want)}, got ${show(got)}`);
  }
  if (a.stored_watermarks !== undefined) {
    const stored = await ctx.store.load(Object.keys(a.stored_watermarks));
    for (const [topic, want] of Object.entries(a.stored_watermarks)) {
      const got = stored.watermarks[topic] ?? null;
      if (got !== want) out.push(`${where}.stored_watermarks[${topic}]: expected ${show(want)}, got ${show(got)}`);
    }
  }
  for (const [topic, docs] of Object.entries(a.documents ?? {})) {
    const have = new Map(client.listDocuments(topic).map((d) => [d.docKey, d]));
    const wantKeys = Object.keys(docs).sort();
    const haveKeys = [...have.keys()].sort();
    if (!jsonEqual(wantKeys, haveKeys)) out.push(`${where}.documents[${topic}]: expected keys ${show(wantKeys)}, got ${show(haveKeys)}`);
    for (const [key, want] of Object.entries(docs)) {
      const d = have.get(key);
      if (d === undefined) continue;
      const got = { doc_version: d.docVersion, payload: d.payload, hydration_pending: d.hydrationPending };
      const cmp = want.hydration_pending === undefined ? { doc_version: got.doc_version, payload: got.payload } : got;
      if (!jsonEqual(want, cmp)) out.push(`${where}.documents[${topic}][${key}]: expected ${show(want)}, got ${show(got)}`);
    }
  }
  if (a.errors !== undefined) {
    const want = a.errors.map((e) => (typeof e === 'string' ? { code: e } : e));
    const ok = want.length === seen.errors.length && want.every((w, i) => matchValue(w, seen.errors[i], '', true).length === 0);
    if (!ok) out.push(`${where}.errors: expected ${show(want)}, got ${show(seen.errors.map((e) => ({ code: e.code, topic: e.topic })))}\n      messages: ${seen.errors.map((e) => e.message).join(' | ')}`);
  }
  if (a.events !== undefined) {
    const ok = a.events.length === seen.events.length && a.events.every((w, i) => matchValue(w, seen.events[i], '', true).length === 0);
    if (!ok) out.push(`${where}.events: expected ${show(a.events)}, got ${show(seen.events)}`);
  }
  if (a.status !== undefined && client.status !== a.status) out.push(`${where}.status: expected ${a.status}, got ${client.status}`);
  if (a.dials !== undefined && ctx.net.connections.length !== a.dials) out.push(`${where}.dials: expected ${a.dials}, got ${ctx.net.connections.length}`);
  for (const [topic, want] of Object.entries(a.phases ?? {})) {
    const got = client.getSnapshot().topics[topic]?.phase ?? null;
    if (got !== want) out.push(`${where}.phases[${topic}]: expected ${want}, got ${show(got)}`);
  }
  for (const [topic, want] of Object.entries(a.snapshot_requests ?? {})) {
    const got = ctx.snapshotHttp.requests.get(topic) ?? 0;
    if (got !== want) out.push(`${where}.snapshot_requests[${topic}]: expected ${want}, got ${got}`);
  }
  for (const [topic, want] of Object.entries(a.hydrate_requests ?? {})) {
    let got = 0;
    for (const [key, n] of ctx.hydrateHttp.requests) if (key.startsWith(`${topic}\u0000`)) got += n;
    if (got !== want) out.push(`${where}.hydrate_requests[${topic}]: expected ${want}, got ${got}`);
  }
  return out;
}

