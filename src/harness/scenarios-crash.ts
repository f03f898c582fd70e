import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { converge, expect, loadSqlite } from './assertions.js';
import { EVENTS, openEnv, RUNS, type Env } from './env.js';
import { checkInvariant, storeObserved, type TopicTruth } from './invariant.js';
import { AppliedHistory } from './probe.js';
import type { Scenario, ScenarioContext } from './scenario.js';

interface TailRun {
  /** Updates the process printed (printed only after their commit), per topic. */
  printed: Map<string, number[]>;
  exit: { code: number | null; signal: NodeJS.Signals | null };
  stderr: string;
}

/**
 * Run `khala-sync tail --store sqlite:<path>` and SIGKILL it after `killAfterMs` (or let it exit by
 * itself with `--until-caught-up` when `killAfterMs` is undefined).
 */
function runTail(ctx: ScenarioContext, args: string[], killAfterMs: number | undefined, env: Record<string, string> = {}): Promise<TailRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ctx.bin, 'tail', ...args, ...(killAfterMs === undefined ? ['--until-caught-up'] : [])], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const printed = new Map<string, number[]>();
    let pending = '';
    let stderr = '';
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{"type":"update"')) continue;
        const u = JSON.parse(line) as { topic: string; seq: number };
        const list = printed.get(u.topic) ?? [];
        list.push(u.seq);
        printed.set(u.topic, list);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-2000)));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(guard);
      resolve({ printed, exit: { code, signal }, stderr });
    });
  });
}

/** The store at `path` equals the journal as of its own watermarks. */
async function checkStore(env: Env, path: string): Promise<{ watermarks: Record<string, number>; violations: string[] }> {
  const contents = await loadSqlite(path);
  // Deployment: the store may be ahead of the oracle's last look at the journal; look again.
  if (env.mode === 'deployment' && env.topics.some((t) => (contents.watermarks[t] ?? 0) > env.ledger.truth(t).head)) await env.truths();
  const truths: TopicTruth[] = env.topics.map((t) => env.ledger.truth(t, contents.watermarks[t] ?? 0));
  const report = checkInvariant(truths, storeObserved(contents), new AppliedHistory(), { exact: true, noSkipCheck: env.topics });
  // A topic with no watermark yet must hold no document.
  const violations = report.violations.filter((v) => !/watermark undefined but the journal head is 0/.test(v));
  return { watermarks: contents.watermarks, violations };
}

const crashSafety: Scenario = {
  name: 'crash-safety-sigkill',
  family: 'crash',
  asserts: '`khala-sync tail --store sqlite:` SIGKILLed at seeded random points (≥ 50 times) during replay and live traffic, restarted each time: the store equals the journal at its watermark every time, nothing printed twice, and the final run converges',
  control: false,
  quick: true,
  injects: [],
  timeoutMs: 300_000,
  async run(ctx) {
    const env = await openEnv(ctx, { topics: [RUNS, EVENTS], server: { maxBatchSize: 50 } });
    expect(existsSync(ctx.bin), `${ctx.bin} not found (run npm run build)`);
    const kills = ctx.quick ? 6 : 50;
    if (env.mode === 'embedded') {
      env.publish(RUNS, ctx.quick ? 600 : 3000, { docs: 80 });
      // One document per event: skipping any event would show in the stored state.
      env.publish(EVENTS, ctx.quick ? 400 : 2000, { docs: 1e9, prefix: 'event' });
    } else {
      await env.truths(); // the oracle's replay becomes the ledger
    }
    const dbPath = env.path('crash.sqlite');
    const target = env.tailTarget();
    const snapshot = env.mode === 'deployment' && env.snapshotUrl ? ['--snapshot-url', env.snapshotUrl] : [];
    const args = [...target.args, ...snapshot, ...env.topics.flatMap((t) => ['--topic', t]), '--store', `sqlite:${dbPath}`];
    // Live traffic throughout (embedded), so kills land in replay, in live tail and in between.
    const publisher = env.mode === 'embedded' ? setInterval(() => env.publish(env.rnd.chance(0.5) ? RUNS : EVENTS, env.rnd.int(1, 5), { docs: 80 }), 15) : undefined;
    ctx.defer(() => clearInterval(publisher));
    const seen = new Map<string, Set<number>>(env.topics.map((t) => [t, new Set<number>()]));
    const rows: string[] = [];
    let printedTwice = 0;
    let printedUncommitted = 0;
    let maxDelay = 0;
    for (let i = 0; i < kills; i++) {
      const delay = env.rnd.int(20, ctx.quick ? 700 : 1100);
      maxDelay = Math.max(maxDelay, delay);
      const run = await runTail(ctx, args, delay, target.env);
      expect(run.exit.signal === 'SIGKILL', `tail run ${i} exited by itself (${JSON.stringify(run.exit)}): ${run.stderr}`);
      const stored = existsSync(dbPath) ? await checkStore(env, dbPath) : { watermarks: {}, violations: [] };
      for (const [topic, seqs] of run.printed) {
        const set = seen.get(topic)!;
        for (const s of seqs) {
          if (set.has(s)) printedTwice += 1;
          set.add(s);
          if (s > (stored.watermarks[topic] ?? 0)) printedUncommitted += 1;
        }
      }
      rows.push(`${i}:${delay}ms:${env.topics.map((t) => stored.watermarks[t] ?? 0).join('/')}`);
      ctx.note(`kill ${i + 1}/${kills} after ${delay} ms: stored watermarks ${JSON.stringify(stored.watermarks)}`);
      expect(stored.violations.length === 0, `after kill ${i} (at ${delay} ms): ${stored.violations.join('; ')}`, { kill: i, delay, watermarks: stored.watermarks });
      expect(printedTwice === 0, `after kill ${i}: ${printedTwice} update(s) printed (applied) twice across restarts`);
      expect(printedUncommitted === 0, `after kill ${i}: an update was printed but its commit was not durable`);
    }
    clearInterval(publisher);
    const final = await runTail(ctx, args, undefined, target.env);
    expect(final.exit.code === 0, `final tail run exited ${JSON.stringify(final.exit)}: ${final.stderr}`);
    const last = await checkStore(env, dbPath);
    expect(last.violations.length === 0, `final store: ${last.violations.join('; ')}`);
    // The final run caught up with what the server held when it subscribed; a client converges fully.
    const history = new AppliedHistory();
    const checker = await env.probe({ sqlitePath: dbPath, history, label: 'after-crashes' }).start();
    await converge(ctx, env, checker, 'client on the crashed store', { startCursor: last.watermarks });
    return {
      evidence: {
        kills,
        max_kill_delay_ms: maxDelay,
        events: Object.fromEntries(env.topics.map((t) => [t, env.ledger.truth(t).seqs.length])),
        printed: Object.fromEntries([...seen].map(([t, s]) => [t, s.size])),
        printed_twice: printedTwice,
        final_watermarks: last.watermarks,
        kills_detail: rows,
      },
      kpi: { duplicates: printedTwice + history.duplicates, resumes: kills + 1, connections: kills + 2 },
    };
  },
};


/** Resolve with the child once a stdout line starts with `prefix`; the caller kills it. */
function runUntilLine(ctx: ScenarioContext, args: string[], prefix: string, timeoutMs: number): Promise<{ seen: boolean; kill: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ctx.bin, 'tail', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    const kill = async (): Promise<void> => {
      child.kill('SIGKILL');
      await exited;
    };
    let buffer = '';
    const timer = setTimeout(() => resolve({ seen: false, kill }), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.split('\n').some((l) => l.startsWith(prefix))) {
        clearTimeout(timer);
        resolve({ seen: true, kill });
      }
    });
    child.stderr.resume();
    child.on('error', reject);
  });
}

const crashDuringStaleRecovery: Scenario = {
  name: 'crash-during-stale-recovery',
  family: 'crash',
  asserts: 'a client SIGKILLed after stale_cursor, while its snapshot is still downloading, then restarted: it must still end with the journal (bootstrap again), not with the documents it held before the retention floor',
  control: true,
  quick: false,
  injects: ['stale'],
  async run(ctx) {
    const env = await openEnv(ctx, { topics: [RUNS] });
    expect(existsSync(ctx.bin), `${ctx.bin} not found (run npm run build)`);
    env.publish(RUNS, 100, { docs: 30 });
    const dbPath = env.path('recovering.sqlite');
    const base = ['--url', env.server.url, '--token-url', env.server.tokenUrl, '--topic', RUNS, '--store', `sqlite:${dbPath}`];
    const first = await runTail(ctx, base, undefined);
    expect(first.exit.code === 0, `priming run exited ${JSON.stringify(first.exit)}`);
    const primed = await checkStore(env, dbPath);
    env.publish(RUNS, 300, { docs: 40 });
    env.server.prune(RUNS, env.server.head(RUNS) - 5);
    // The snapshot is slow (3 s per request): the process dies after stale_cursor, mid-download.
    const proxy = await env.proxy({ rules: { http: [{ pathPrefix: '/sync/snapshot', delayMs: 3000 }] } });
    const victim = await runUntilLine(ctx, [...base, '--snapshot-url', proxy.via(env.server.snapshotUrl)], '{"type":"stale"', 20_000);
    expect(victim.seen, 'the client never reported stale_cursor');
    await new Promise((r) => setTimeout(r, 100));
    await victim.kill();
    const afterKill = await loadSqlite(dbPath);
    const restart = await runTail(ctx, [...base, '--snapshot-url', env.server.snapshotUrl], undefined);
    expect(restart.exit.code === 0, `restarted run exited ${JSON.stringify(restart.exit)}: ${restart.stderr}`);
    const final = await checkStore(env, dbPath);
    const truth = env.ledger.truth(RUNS);
    const stored = await loadSqlite(dbPath);
    const have = new Map(stored.documents.map((d) => [d.docKey, d.docVersion]));
    const wrong = [...truth.docs].filter(([k, d]) => have.get(k) !== d.docVersion).length;
    const evidence = {
      primed_watermark: primed.watermarks[RUNS],
      retention_floor: (env.server.oldest(RUNS) ?? 1) - 1,
      watermark_after_kill: afterKill.watermarks[RUNS] ?? null,
      final_watermark: final.watermarks[RUNS] ?? null,
      journal_head: truth.head,
      documents: { journal: truth.docs.size, stored: stored.documents.length, differing: wrong },
    };
    expect(final.violations.length === 0, `after the restart the store is live at ${String(final.watermarks[RUNS])} but ${wrong} of ${truth.docs.size} documents differ from the journal (${final.violations.join('; ')}): the cleared cursor made the restart replay from the oldest retained event without a snapshot`, evidence);
    return { evidence, kpi: { staleCursors: 1 } };
  },
};

export const crashScenarios: Scenario[] = [crashSafety, crashDuringStaleRecovery];
