import type { FaultProxy } from '../testing/fault-proxy.js';
import type { DirectionRules, FrameInfo } from '../testing/fault-rules.js';
import { pointRandom } from '../testing/seeded-random.js';
import { converge, expect, reached } from './assertions.js';
import { EVENTS, openEnv, RUNS, WORKERS, type Env } from './env.js';
import type { Probe } from './probe.js';
import { sleep } from './probe.js';
import type { Evidence, Scenario } from './scenario.js';

const isData = (f: FrameInfo): boolean => f.batch !== undefined;

/** Exactly one of the two copies of each doubled batch, chosen per batch from the seed. */
export function oneCopyOf(seed: number): (f: FrameInfo) => boolean {
  return (f) => f.batch !== undefined && (pointRandom(seed, f.batch.topic, f.batch.seq) < 0.5) === (f.event === 'sync:frame');
}

/** Publish `rounds` events per topic, one round per tick (so live batches interleave across topics). */
async function publishLive(env: Env, rounds: number, topics: string[]): Promise<void> {
  if (env.mode !== 'embedded') return;
  for (let i = 0; i < rounds; i++) {
    for (const t of topics) env.publish(t, env.rnd.int(1, 3));
    await sleep(env.rnd.int(0, 4));
  }
}

interface Lane {
  name: string;
  proxy: FaultProxy;
  probe: Probe;
}

async function lanes(env: Env, schedules: Record<string, { toClient?: DirectionRules; toServer?: DirectionRules; heartbeatIntervalMs?: number }>): Promise<Lane[]> {
  const out: Lane[] = [];
  for (const [name, { heartbeatIntervalMs, ...rules }] of Object.entries(schedules)) {
    const proxy = await env.proxy({ rules });
    const probe = await env.probe({ via: proxy, label: name, ...(heartbeatIntervalMs ? { heartbeatIntervalMs } : {}) }).start();
    out.push({ name, proxy, probe });
  }
  return out;
}

function laneEvidence(list: Lane[]): Evidence {
  return Object.fromEntries(
    list.map((l) => {
      const s = l.proxy.stats();
      return [l.name, { proxy_seed: l.proxy.seed, to_client: s.toClient, to_server: { frames: s.toServer.frames, duplicated: s.toServer.duplicated }, applied: l.probe.history.count(), duplicates: l.probe.history.duplicates }];
    }),
  );
}

async function seed(env: Env, quick: boolean): Promise<void> {
  if (env.mode !== 'embedded') return;
  env.publish(RUNS, quick ? 150 : 500, { docs: 40 });
  env.publish(WORKERS, quick ? 60 : 200, { docs: 15 });
  env.publish(EVENTS, quick ? 80 : 300, { docs: 100000, prefix: 'event' });
}

const duplicateDelivery: Scenario = {
  name: 'duplicate-delivery',
  family: 'delivery',
  asserts: "the server's double emission plus proxy duplication (both directions), delay, and the loss of exactly one copy of each doubled batch: every client applies each update exactly once and converges",
  control: false,
  quick: true,
  injects: [],
  async run(ctx) {
    const env = await openEnv(ctx, { topics: [RUNS, WORKERS, EVENTS], server: { maxBatchSize: 20 } });
    await seed(env, ctx.quick);
    const list = await lanes(env, {
      duplicated: { toClient: { match: isData, duplicateRate: 0.5, delayMs: [0, 2] } },
      one_copy_lost: { toClient: { match: oneCopyOf(env.rnd.fork('copy').seed), dropRate: 1 } },
      requests_doubled: { toClient: { duplicateRate: 0.3, match: isData }, toServer: { events: ['sync:subscribe', 'sync:heartbeat'], duplicateRate: 0.5 }, heartbeatIntervalMs: 40 },
    });
    await publishLive(env, ctx.quick ? 40 : 150, env.topics);
    for (const l of list) await converge(ctx, env, l.probe, l.name);
    const s = list.map((l) => l.proxy.stats());
    expect(s[0]!.toClient.duplicated > 0 && s[1]!.toClient.dropped > 0, 'the proxies applied no fault', laneEvidence(list));
    const dups = list.reduce((n, l) => n + l.probe.history.duplicates, 0);
    return {
      evidence: laneEvidence(list),
      kpi: { duplicates: dups, outOfOrder: list.reduce((n, l) => n + l.probe.history.outOfOrder, 0), connections: list.reduce((n, l) => n + l.probe.attempts, 0), staleCursors: 0 },
    };
  },
};

const reorderDelivery: Scenario = {
  name: 'reorder-delivery',
  family: 'delivery',
  asserts: 'frames reordered across topics and across the two copies of the doubled stream (never a later batch of one topic before the first copy of an earlier one): exactly once, converged',
  control: false,
  quick: true,
  injects: [],
  async run(ctx) {
    const env = await openEnv(ctx, { topics: [RUNS, WORKERS, EVENTS], server: { maxBatchSize: 10 } });
    await seed(env, ctx.quick);
    // Frames sharing a key keep their order: one key per (topic, stream), so the legacy stream and
    // the sync:frame stream of a topic each stay ordered while interleaving freely.
    const key = (f: FrameInfo): string => `${f.batch?.topic ?? ''}:${f.event ?? ''}`;
    const list = await lanes(env, {
      window8: { toClient: { match: isData, reorderWindow: 8, reorderKey: key, reorderFlushMs: 15 } },
      window4_dup: { toClient: { match: isData, reorderWindow: 4, reorderKey: key, duplicateRate: 0.2, reorderFlushMs: 10 } },
    });
    await publishLive(env, ctx.quick ? 40 : 150, env.topics);
    for (const l of list) await converge(ctx, env, l.probe, l.name);
    expect(list.every((l) => l.proxy.stats().toClient.reordered > 0), 'no frame was reordered', laneEvidence(list));
    return {
      evidence: laneEvidence(list),
      kpi: { duplicates: list.reduce((n, l) => n + l.probe.history.duplicates, 0), outOfOrder: list.reduce((n, l) => n + l.probe.history.outOfOrder, 0), connections: list.reduce((n, l) => n + l.probe.attempts, 0) },
    };
  },
};

/** Publish one event per live batch (waiting for the server to push each) with a chosen doc key. */
async function publishOneByOne(env: Env, keys: string[]): Promise<number[]> {
  const seqs: number[] = [];
  for (const k of keys) {
    const [entry] = env.server.publish(RUNS, [{ docKey: k, payload: { key: k, n: env.ledger.all(RUNS).length + 1 } }]);
    env.ledger.record([entry!]);
    seqs.push(entry!.watermark);
    await sleep(8);
  }
  return seqs;
}

const limitationSilentLoss: Scenario = {
  name: 'limitation-silent-loss',
  family: 'limitation',
  asserts: 'out of contract, on purpose: losing both copies of a batch, or a later batch of a topic overtaking an earlier one, loses data no K1 client can detect; the harness must detect exactly the predicted divergence, and a loss followed by a cut must converge',
  control: true,
  quick: true,
  injects: ['out_of_contract'],
  async run(ctx) {
    const env = await openEnv(ctx, { topics: [RUNS] });
    env.publish(RUNS, 20, { docs: 5 });
    const proxy = await env.proxy();
    const probe = await env.probe({ via: proxy, label: 'victim' }).start();
    await converge(ctx, env, probe, 'before the faults');
    const evidence: Evidence = {};
    const missingOf = (): number[] => {
      const applied = new Set(probe.history.applied.get(RUNS) ?? []);
      return env.ledger.truth(RUNS).seqs.filter((s) => !applied.has(s));
    };
    const headNow = (): number => env.ledger.truth(RUNS).head;
    const waitHead = async (what: string): Promise<void> => {
      const t0 = Date.now();
      while (!reached(probe, env.ledgerTruths() ?? [])) {
        if (Date.now() - t0 > 10_000) throw new Error(`timed out: ${what}`);
        await sleep(10);
      }
      await sleep(30);
    };

    // 1. Both copies of one live batch lost, no cut: the client goes on past it.
    const lostSeq = headNow() + env.rnd.int(3, 6);
    proxy.setRules({ toClient: { match: (f) => f.batch?.seq === lostSeq, dropRate: 1 } });
    await publishOneByOne(env, Array.from({ length: 10 }, (_, i) => (headNow() + i + 1 === lostSeq ? 'lost:both-copies' : `doc:${i % 3}`)));
    await waitHead('the client to pass the lost batch');
    const missing1 = missingOf();
    const hasLostDoc = probe.client.getDocument(RUNS, 'lost:both-copies') !== undefined;
    evidence['both_copies_dropped'] = { seq: lostSeq, missing: missing1, lost_document_present: hasLostDoc, client_errors: probe.errorCodes() };
    expect(missing1.length === 1 && missing1[0] === lostSeq && !hasLostDoc, `expected the harness to see exactly seq ${lostSeq} missing, saw ${JSON.stringify(missing1)}`, evidence);

    // 2. Same-topic reorder: batch t+1 (both copies) released before batch t.
    const t = headNow() + 2;
    proxy.setRules({ toClient: { match: (f) => f.batch?.seq === t || f.batch?.seq === t + 1, reorderWindow: 4, reorderMode: 'reverse', reorderFlushMs: 2000 } });
    await publishOneByOne(env, ['doc:0', 'lost:overtaken', 'doc:1', 'doc:2']);
    await waitHead('the client to pass the swapped batches');
    const missing2 = missingOf().filter((s) => s !== lostSeq);
    const hasOvertaken = probe.client.getDocument(RUNS, 'lost:overtaken') !== undefined;
    evidence['same_topic_reorder'] = { swapped: [t, t + 1], missing: missing2, lost_document_present: hasOvertaken };
    expect(missing2.length === 1 && missing2[0] === t && !hasOvertaken, `expected seq ${t} to be skipped after ${t + 1} overtook it, saw ${JSON.stringify(missing2)}`, evidence);

    // 3. The same loss followed at once by a cut (in contract): the resume from the durable cursor repairs it.
    const cutSeq = headNow() + 2;
    let cutDone = false;
    const repairProxy = await env.proxy({
      rules: { toClient: { match: (f) => f.batch?.seq === cutSeq, dropRate: 1 } },
      onFault: (e) => {
        if (e.kind === 'drop' && !cutDone) {
          cutDone = true;
          repairProxy.cutAll();
        }
      },
    });
    const repaired = await env.probe({ via: repairProxy, label: 'drop-then-cut' }).start();
    await converge(ctx, env, repaired, 'drop-then-cut client before');
    await publishOneByOne(env, ['doc:0', 'lost:then-cut', 'doc:1', 'doc:2']);
    await converge(ctx, env, repaired, 'drop followed by a cut');
    evidence['drop_then_cut'] = { seq: cutSeq, cut: cutDone, converged: true, attempts: repaired.attempts };
    expect(cutDone, 'the drop-then-cut schedule never fired', evidence);
    return { evidence, kpi: { duplicates: probe.history.duplicates + repaired.history.duplicates } };
  },
};

export const deliveryScenarios: Scenario[] = [duplicateDelivery, reorderDelivery, limitationSilentLoss];
