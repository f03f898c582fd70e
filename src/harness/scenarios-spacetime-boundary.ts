import { converge, expect, reached, waitFor } from './assertions.js';
import { AppliedHistory, type Probe } from './probe.js';
import { storedEqualsTruth } from './replay-steps.js';
import type { Evidence, Scenario, ScenarioContext } from './scenario.js';
import { openSpacetimeEnv, ST_RUN, ST_WORKER, type SpacetimeEnv } from './spacetime-env.js';
import type { FaultProxy } from '../testing/fault-proxy.js';

/** Live transactions committed after the replay in every session (each one a `TransactionUpdate` frame). */
const LIVE_TX = 4;

/** The tag of a frame's message (`IdentityToken`, `SubscribeMultiApplied`, …) for the evidence. */
function tagOf(text: string | undefined): string {
  return /^\{"([A-Za-z]+)"/.exec(text ?? '')?.[1] ?? '?';
}

/**
 * One session: a client replays both streams from zero, then LIVE_TX transactions are committed one
 * at a time, each waited for. With `restartOnCut`, the first cut closes the client and a new one
 * reopens the same SQLite file (a process restart at that boundary); otherwise the client reconnects.
 */
async function session(ctx: ScenarioContext, env: SpacetimeEnv, proxy: FaultProxy, open: (suffix: string) => Promise<Probe>, restartOnCut: boolean): Promise<{ probe: Probe; restarted: boolean; connections: number }> {
  const cutsBefore = proxy.stats().cuts;
  let probe = await open('');
  let restarted = false;
  let connections = 0;
  const cut = (): boolean => proxy.stats().cuts > cutsBefore;
  const settle = async (what: string): Promise<void> => {
    await waitFor(ctx, () => reached(probe, env.ledgerTruths()!) || (restartOnCut && !restarted && cut()), what, 10_000);
    if (!restartOnCut || restarted || !cut()) return;
    restarted = true;
    connections += probe.attempts;
    await probe.close();
    probe = await open('r');
    await waitFor(ctx, () => reached(probe, env.ledgerTruths()!), `${what} after the restart`, 10_000);
  };
  await settle('the replay');
  for (let j = 0; j < LIVE_TX; j++) {
    // One transaction of three rows: the frame count of a session must not depend on the seed.
    env.publish(j % 2 === 0 ? ST_WORKER : ST_RUN, 3, { perTx: 3, fixed: true });
    await settle(`live transaction ${j}`);
  }
  return { probe, restarted, connections: connections + probe.attempts };
}

const resumeEveryFrameBoundary: Scenario = {
  name: 'spacetime-resume-every-frame-boundary',
  family: 'spacetime',
  lane: 'spacetime',
  asserts: 'Spacetime lane: the connection (through the fault proxy, subprotocol passed through) is cut before every frame of a session — IdentityToken, each SubscribeMultiApplied, each head-probe answer, each live TransactionUpdate, and the client’s SubscribeMulti requests; alternately the client reconnects or a new client reopens its SQLite file; no seq applied twice, none skipped, store = journal',
  control: true,
  quick: false,
  injects: [],
  async run(ctx) {
    const env = await openSpacetimeEnv(ctx, { streams: [ST_WORKER, ST_RUN] });
    env.publish(ST_WORKER, 60, { perTx: 4 });
    env.publish(ST_RUN, 25, { perTx: 2 });
    const proxy = await env.proxy();
    // Dry run: the frames of one complete session, and what each one is.
    const tags: string[] = [];
    proxy.setRules({
      toClient: {
        match: (f) => {
          tags.push(tagOf(f.text));
          return false;
        },
      },
    });
    const dry = await session(ctx, env, proxy, () => env.probe({ via: proxy, label: 'dry' }).start(), false);
    await converge(ctx, env, dry.probe, 'dry run');
    await dry.probe.close();
    const frames = proxy.stats().toClient.frames;
    const requests = proxy.stats().toServer.frames;
    expect(tags[0] === 'IdentityToken' && tags.filter((t) => t === 'TransactionUpdate').length >= LIVE_TX, `unexpected dry-run frames: ${tags.join(',')}`);
    const boundaries = [
      ...Array.from({ length: frames }, (_, k) => ({ direction: 'to_client' as const, frame: k })),
      // The two SubscribeMulti requests (the keep-alive OneOffQuery comes every 20 s: not in a session).
      ...Array.from({ length: Math.min(2, requests) }, (_, k) => ({ direction: 'to_server' as const, frame: k })),
    ];
    const rows: string[] = [];
    let duplicates = 0;
    let outOfOrder = 0;
    let connections = 0;
    let uncut = 0;
    for (const [i, b] of boundaries.entries()) {
      const cutsBefore = proxy.stats().cuts;
      const rule = { cutAtFrame: b.frame, cutTimes: 1 };
      proxy.setRules(b.direction === 'to_client' ? { toClient: rule } : { toServer: rule });
      const history = new AppliedHistory();
      const dbPath = env.path(`boundary-${i}.sqlite`);
      const open = (suffix: string): Promise<Probe> => env.probe({ via: proxy, sqlitePath: dbPath, history, label: `b${i}${suffix}` }).start();
      const run = await session(ctx, env, proxy, open, i % 2 === 1);
      await converge(ctx, env, run.probe, `boundary ${b.direction}#${b.frame}${run.restarted ? ' (restart)' : ''}`);
      const wasCut = proxy.stats().cuts > cutsBefore;
      if (!wasCut) uncut += 1;
      const what = b.direction === 'to_client' ? tags[b.frame] ?? '?' : 'SubscribeMulti';
      rows.push(`${b.direction === 'to_client' ? 'c' : 's'}${b.frame}:${what}:${wasCut ? 'cut' : 'no-cut'}:${history.count()}${run.restarted ? ':r' : ''}`);
      duplicates += history.duplicates;
      outOfOrder += history.outOfOrder;
      connections += run.connections;
      await run.probe.close();
      await storedEqualsTruth(env, dbPath, env.ledgerTruths()!);
    }
    proxy.setRules({});
    // per_boundary: `<c|s><frame>:<message cut>:<cut|no-cut>:<updates applied in the session>[:r = restarted on the file]`.
    const evidence: Evidence = { frames_per_session: frames, frame_tags: tags, boundaries: boundaries.length, cuts: proxy.stats().cuts, uncut, per_boundary: rows, events: Object.fromEntries(env.topics.map((t) => [t, env.ledger.all(t).length])), duplicates };
    // Frame counts are deterministic here (one head probe per subscribe reply, no keep-alive within a session): every boundary must cut.
    expect(uncut === 0, `${uncut} boundary(ies) never cut: the session's frames differ from the dry run`, evidence);
    return { evidence, kpi: { duplicates, outOfOrder, resumes: boundaries.length, connections } };
  },
};

export const spacetimeBoundaryScenarios: Scenario[] = [resumeEveryFrameBoundary];
