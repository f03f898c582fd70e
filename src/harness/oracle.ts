import type { TokenSource } from '../client/token-provider.js';
import type { SeededRandom } from '../testing/seeded-random.js';
import type { JsonValue } from '../util/json.js';
import type { Ledger, TopicTruth } from './invariant.js';
import { fastBackoff, Probe, until, type ProbeOptions } from './probe.js';
import type { ScenarioContext } from './scenario.js';
import { httpSnapshotSource } from '../http.js';

/** What the oracle needs: the target's URLs and token, the ledger it rewrites, a seed source. */
export interface OracleTarget {
  readonly url: string;
  readonly snapshotUrl: string | undefined;
  readonly ledger: Ledger;
  readonly rnd: SeededRandom;
  token(): TokenSource;
}

/**
 * Deployment truth: a clean client replays every topic from zero, no faults, until caught up; what
 * it applied becomes the ledger (the journal as a client can see it). `client` adds client options
 * (the Spacetime lane).
 */
export async function oracle(env: OracleTarget, topics: string[], ctx: ScenarioContext, client: Partial<ProbeOptions> = {}): Promise<TopicTruth[]> {
  const insecure = ctx.target.kind === 'deployment' && ctx.target.allowInsecure;
  const probe = new Probe({ url: env.url, token: env.token(), topics, ...(env.snapshotUrl ? { snapshot: httpSnapshotSource({ baseUrl: env.snapshotUrl, allowInsecure: insecure }) } : {}), reconnectDelay: fastBackoff(env.rnd.fork('oracle')), allowInsecure: insecure, recordUpdates: true, ...client });
  try {
    await probe.start();
    await until(() => probe.client.status === 'live' && topics.every((t) => probe.log.caughtUp.some((c) => c.topic === t)), 'the oracle client to catch up', 60_000, ctx.signal);
    for (const t of topics) {
      const entries = probe.updates
        .filter((u) => u.topic === t)
        .map((u) => ({ topic: t, watermark: u.watermark, docKey: u.docKey, docVersion: u.docVersion, payload: u.payload as JsonValue, payloadHash: u.payloadHash ?? '', pointer: u.hydrationRequired }));
      env.ledger.replace(t, entries);
    }
    return topics.map((t) => {
      const docs = new Map(probe.client.listDocuments(t).map((d) => [d.docKey, { docVersion: d.docVersion, payload: d.payload as JsonValue }]));
      const seqs = [...(probe.history.applied.get(t) ?? [])].sort((a, b) => a - b);
      return { topic: t, head: probe.client.getWatermark(t) ?? 0, seqs, docs };
    });
  } finally {
    await probe.close();
  }
}
