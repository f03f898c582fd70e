import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { converge, expect, loadSqlite } from './assertions.js';
import { trackChild } from './children.js';
import type { TruthView } from './lane-env.js';
import { checkInvariant, storeObserved, type TopicTruth } from './invariant.js';
import { AppliedHistory, type Probe, type ProbeOptions } from './probe.js';
import type { Evidence, Kpi, ScenarioContext } from './scenario.js';
import type { SeededRandom } from '../testing/seeded-random.js';

/** One run of a spawned `khala-sync tail` (always with `--verify-hashes`: the harness checks every body). */
export interface TailRun {
  /** Updates the process printed (printed only after their commit), per topic. */
  printed: Map<string, number[]>;
  exit: { code: number | null; signal: NodeJS.Signals | null };
  stderr: string;
}

/**
 * Run `khala-sync tail --store sqlite:<path>` and SIGKILL it after `killAfterMs` (or let it exit by
 * itself with `--until-caught-up` when `killAfterMs` is undefined).
 */
export function runTail(ctx: ScenarioContext, args: string[], killAfterMs: number | undefined, env: Record<string, string> = {}): Promise<TailRun> {
  return new Promise((resolve, reject) => {
    const child = trackChild(spawn(process.execPath, [ctx.bin, 'tail', '--verify-hashes', ...args, ...(killAfterMs === undefined ? ['--until-caught-up'] : [])], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } }));
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

/** Resolve with the child once a stdout line starts with `prefix`; the caller kills it. */
export function runUntilLine(ctx: ScenarioContext, args: string[], prefix: string, timeoutMs: number): Promise<{ seen: boolean; kill: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = trackChild(spawn(process.execPath, [ctx.bin, 'tail', '--verify-hashes', ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
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

/** The store at `path` equals the journal as of its own watermarks. */
export async function checkStore(env: TruthView, path: string): Promise<{ watermarks: Record<string, number>; violations: string[] }> {
  const contents = await loadSqlite(path);
  // Deployment: the store may be ahead of the oracle's last look at the journal; look again.
  if (env.mode === 'deployment' && env.topics.some((t) => (contents.watermarks[t] ?? 0) > env.ledger.truth(t).head)) await env.truths();
  const truths: TopicTruth[] = env.topics.map((t) => env.ledger.truth(t, contents.watermarks[t] ?? 0));
  const report = checkInvariant(truths, storeObserved(contents), new AppliedHistory(), { exact: true, noSkipCheck: env.topics });
  // A topic with no watermark yet must hold no document.
  const violations = report.violations.filter((v) => !/watermark undefined but the journal head is 0/.test(v));
  return { watermarks: contents.watermarks, violations };
}

/** What the kill loop needs of a scenario's world (Khala and Spacetime envs alike). */
export interface CrashWorld extends TruthView {
  readonly rnd: SeededRandom;
  probe(options: Partial<ProbeOptions> & { label?: string }): Probe;
}

/** Inputs of {@link sigkillLoop}. */
export interface SigkillPlan {
  /** `tail` arguments (target, topics, `--store sqlite:<dbPath>`). */
  args: string[];
  /** Environment of the spawned processes (a deployment token). */
  tailEnv: Record<string, string>;
  dbPath: string;
  kills: number;
  /** Kill delays are drawn uniformly from [20, maxDelayMs]. */
  maxDelayMs: number;
  /** Called every 15 ms while the kills go on (embedded: live traffic), or undefined. */
  publish?: () => void;
}

/**
 * SIGKILL `tail --store sqlite:` `kills` times at seeded delays, restarting it each time; after each
 * kill the store must equal the journal at its own watermark, nothing may have been printed twice
 * across runs or printed before its commit. Then one run to caught-up, and a client on the file
 * converges exactly once.
 */
export async function sigkillLoop(ctx: ScenarioContext, env: CrashWorld, plan: SigkillPlan): Promise<{ evidence: Evidence; kpi: Kpi }> {
  // Live traffic throughout (embedded), so kills land in replay, in live tail and in between.
  const publisher = plan.publish ? setInterval(plan.publish, 15) : undefined;
  ctx.defer(() => clearInterval(publisher));
  const seen = new Map<string, Set<number>>(env.topics.map((t) => [t, new Set<number>()]));
  const rows: string[] = [];
  let printedTwice = 0;
  let printedUncommitted = 0;
  let maxDelay = 0;
  const started = Date.now();
  for (let i = 0; i < plan.kills; i++) {
    const delay = env.rnd.int(20, plan.maxDelayMs);
    maxDelay = Math.max(maxDelay, delay);
    const run = await runTail(ctx, plan.args, delay, plan.tailEnv);
    expect(run.exit.signal === 'SIGKILL', `tail run ${i} exited by itself (${JSON.stringify(run.exit)}): ${run.stderr}`);
    const stored = existsSync(plan.dbPath) ? await checkStore(env, plan.dbPath) : { watermarks: {}, violations: [] };
    for (const [topic, seqs] of run.printed) {
      const set = seen.get(topic)!;
      for (const s of seqs) {
        if (set.has(s)) printedTwice += 1;
        set.add(s);
        if (s > (stored.watermarks[topic] ?? 0)) printedUncommitted += 1;
      }
    }
    rows.push(`${i}:${delay}ms:${env.topics.map((t) => stored.watermarks[t] ?? 0).join('/')}`);
    ctx.note(`kill ${i + 1}/${plan.kills} after ${delay} ms: stored watermarks ${JSON.stringify(stored.watermarks)}`);
    expect(stored.violations.length === 0, `after kill ${i} (at ${delay} ms): ${stored.violations.join('; ')}`, { kill: i, delay, watermarks: stored.watermarks });
    expect(printedTwice === 0, `after kill ${i}: ${printedTwice} update(s) printed (applied) twice across restarts`);
    expect(printedUncommitted === 0, `after kill ${i}: an update was printed but its commit was not durable`);
  }
  clearInterval(publisher);
  const killsMs = Date.now() - started;
  const final = await runTail(ctx, plan.args, undefined, plan.tailEnv);
  expect(final.exit.code === 0, `final tail run exited ${JSON.stringify(final.exit)}: ${final.stderr}`);
  const last = await checkStore(env, plan.dbPath);
  expect(last.violations.length === 0, `final store: ${last.violations.join('; ')}`);
  // The final run caught up with what the server held when it subscribed; a client converges fully.
  const history = new AppliedHistory();
  const checker = await env.probe({ sqlitePath: plan.dbPath, history, label: 'after-crashes' }).start();
  await converge(ctx, env, checker, 'client on the crashed store', { startCursor: last.watermarks });
  return {
    evidence: {
      kills: plan.kills,
      max_kill_delay_ms: maxDelay,
      kills_ms: killsMs,
      events: Object.fromEntries(env.topics.map((t) => [t, env.ledger.truth(t).seqs.length])),
      printed: Object.fromEntries([...seen].map(([t, s]) => [t, s.size])),
      printed_twice: printedTwice,
      final_watermarks: last.watermarks,
      kills_detail: rows,
    },
    kpi: { duplicates: printedTwice + history.duplicates, resumes: plan.kills + 1, connections: plan.kills + 2 },
  };
}
