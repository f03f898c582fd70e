import { parseArgs } from 'node:util';
import { redact } from '../errors/redact.js';
import { evaluateGate, findStage, renderGate, STAGES, writeGate } from '../harness/gates.js';
import { loadGates, type ResolvedGates } from '../harness/gates-file.js';
import { fetchServerMetrics } from '../harness/server-metrics.js';
import { buildStageReport, writeStageReport } from '../harness/stage-report.js';
import { SCENARIOS } from '../harness/registry.js';
import { runHarness, scenarioLane, selectScenarios } from '../harness/runner.js';
import type { HarnessLane, HarnessTarget } from '../harness/scenario.js';
import { ExitCodes, UsageError } from './exit-codes.js';
import { watchStop } from './stop-signal.js';
import { killChildren } from '../harness/children.js';

const HELP = `khala-sync harness [options]
  Run the replay/resume and chaos scenario matrix (real clients, real sockets, SQLite files, the
  fault proxy) and write summary.json + SUMMARY.md (SDK_CONTRACTS §4).
  --out <dir>            report directory (default ./harness-report/<UTC timestamp>/)
  --scenario <name>      run only this scenario (repeatable); --list shows them
  --quick                the CI subset with smaller sizes (< 2 min)
  --suite migration      the mixed-version store migration drill instead of the matrix (docs/migrations.md)
  --seed <n>             run seed (default random; printed, and recorded in every scenario's evidence)
  --gate <stage>         evaluate the rollout KPI gates: canary | stage-1 (5%) | stage-2 (25%) |
                         stage-3 (50%) | stage-4 (100%); prints GO / NO-GO with a timestamp and
                         writes the stage report (stage-report.{json,html}, STAGE-REPORT.md, kpi-chart.svg)
  --owner <name>         who signs the go/no-go statement of the stage report (default "unsigned")
  --gates <file>         deployment gates file (schema khala-sync.gates.v1) merged over the built-in
                         thresholds (docs/gates.v1.json); only the fields it lists change
  --server-metrics-url <url>  fetch the server's metrics JSON after the run and keep it as evidence
  --url <ws(s) url>      run against a deployment instead of the embedded server (only the
                         scenarios that need no server control run; the others are skipped)
  --token-url <url> | --token <jwt> | env KHALA_SYNC_TOKEN   deployment token
  --snapshot-url <base>  deployment snapshot endpoint (SDK_CONTRACTS §1)
  --topic <t>            deployment topics (repeatable; default runtime.run_summaries; with
                         --lane spacetime: sync_event stream ids, required)
  --lane <khala|spacetime>  embedded: run only that lane's scenarios (default both); with --url:
                         the deployment's wire protocol (default khala; the other lane's
                         scenarios are skipped). A Spacetime --url is the database URL
                         (…/v1/database/<db>/subscribe)
  --allow-insecure       allow ws:// and http:// (socket, token, snapshot URLs) to a non-loopback deployment
  --timeout <ms>         per-scenario time limit (default per scenario, 120000 for most)
  --verbose              scenario diagnostics on stderr
  --list                 list the scenarios and exit
stdout: the final summary line (and the gate verdict); stderr: one progress line per scenario.
exit: 0 only with Failures: 0 (and GO when --gate is given); 2 usage; 1 otherwise.
`;

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        scenario: { type: 'string', multiple: true },
        quick: { type: 'boolean', default: false },
        suite: { type: 'string' },
        seed: { type: 'string' },
        gate: { type: 'string' },
        owner: { type: 'string' },
        gates: { type: 'string' },
        'server-metrics-url': { type: 'string' },
        url: { type: 'string' },
        'token-url': { type: 'string' },
        token: { type: 'string' },
        'snapshot-url': { type: 'string' },
        topic: { type: 'string', multiple: true },
        lane: { type: 'string' },
        'allow-insecure': { type: 'boolean', default: false },
        timeout: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        list: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function laneOf(v: ReturnType<typeof parse>): HarnessLane | undefined {
  if (v.lane === undefined) return undefined;
  if (v.lane !== 'khala' && v.lane !== 'spacetime') throw new UsageError(`--lane must be 'khala' or 'spacetime', got '${v.lane}'`);
  return v.lane;
}

function deploymentTarget(v: ReturnType<typeof parse>): HarnessTarget {
  if (!v.url) {
    if (v['token-url'] || v.token || v['snapshot-url'] || v.topic) throw new UsageError('--token-url, --token, --snapshot-url and --topic need --url');
    return { kind: 'embedded' };
  }
  if (v['token-url'] && v.token) throw new UsageError('give --token or --token-url, not both');
  const env = process.env['KHALA_SYNC_TOKEN'];
  let token: string | { url: string };
  if (v['token-url']) token = { url: v['token-url'] };
  else if (v.token) token = v.token;
  else if (env) token = env;
  else throw new UsageError('a deployment needs a token: --token-url, --token or KHALA_SYNC_TOKEN');
  const lane = laneOf(v) ?? 'khala';
  // Spacetime streams are per deployment (per worker, per run): there is no sensible default.
  if (lane === 'spacetime' && !v.topic) throw new UsageError('--lane spacetime with --url needs at least one --topic (a sync_event stream id)');
  return { kind: 'deployment', url: v.url, token, snapshotUrl: v['snapshot-url'], topics: v.topic ?? ['runtime.run_summaries'], allowInsecure: v['allow-insecure'], lane };
}

const SECRET_FLAGS = new Set(['--token']);
const PER_RUN_FLAGS = new Set(['--scenario', '--seed', '--out']);

/** The command as typed, with `--token` values replaced (a stage report is shared). */
function shownCommand(argv: string[]): string {
  const out = argv.map((a, i) => (SECRET_FLAGS.has(argv[i - 1] ?? '') ? '[redacted]' : a.startsWith('--token=') ? '--token=[redacted]' : a));
  return redact(['khala-sync', 'harness', ...out].join(' '));
}

/** The command without its scenario selection, seed and output: each gate adds its own scenarios. */
function baseCommand(argv: string[]): string {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (PER_RUN_FLAGS.has(a)) i++;
    else if (![...PER_RUN_FLAGS].some((f) => a.startsWith(`${f}=`))) kept.push(a);
  }
  return shownCommand(kept);
}

/** `khala-sync harness` (SDK_CONTRACTS §4). */
export async function runHarnessCommand(argv: string[]): Promise<number> {
  const v = parse(argv);
  if (v.help) {
    process.stdout.write(HELP);
    return ExitCodes.OK;
  }
  if (v.list) {
    for (const s of SCENARIOS) process.stdout.write(`${s.name.padEnd(38)} ${scenarioLane(s).padEnd(10)}${s.quick ? 'quick ' : '      '}${s.control ? 'control ' : 'any     '}${s.asserts}\n`);
    return ExitCodes.OK;
  }
  let seed: number | undefined;
  if (v.seed !== undefined) {
    seed = Number(v.seed);
    if (!Number.isSafeInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new UsageError('--seed must be an integer in [0, 2^32)');
  }
  let timeoutMs: number | undefined;
  if (v.timeout !== undefined) {
    timeoutMs = Number(v.timeout);
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError('--timeout must be a positive integer (ms)');
  }
  let gates: ResolvedGates;
  try {
    gates = loadGates(v.gates);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const stage = v.gate === undefined ? undefined : findStage(v.gate, gates.stages);
  if (v.gate !== undefined && !stage) throw new UsageError(`--gate must be one of ${STAGES.map((s) => s.stage).join(', ')} (or 5, 25, 50, 100)`);
  if ((v.owner !== undefined || v.gates !== undefined) && v.gate === undefined) throw new UsageError('--owner and --gates need --gate');
  const target = deploymentTarget(v);
  // Embedded, --lane filters the matrix; against a deployment the other lane's scenarios are reported as skipped.
  const laneFilter = target.kind === 'embedded' ? laneOf(v) : undefined;
  let selected;
  try {
    selected = selectScenarios(v.scenario, v.quick, laneFilter, v.suite);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (target.kind === 'deployment') {
    const skipped = selected.filter((s) => s.control).map((s) => s.name);
    const otherLane = selected.filter((s) => !s.control && scenarioLane(s) !== target.lane).map((s) => s.name);
    process.stderr.write(
      `[harness] deployment mode (${redact(target.url)}, --lane ${target.lane}): running the ${selected.length - skipped.length - otherLane.length} scenario(s) that need no server control; ` +
        `skipped (need the embedded server's controls): ${skipped.length ? skipped.join(', ') : 'none'}; ` +
        `skipped (other lane): ${otherLane.length ? otherLane.join(', ') : 'none'}\n`,
    );
  }
  const stop = watchStop();
  const interrupted = stop.stopped.then((reason) => {
    const killed = killChildren();
    process.stderr.write(
      `[harness] stopped (${reason}): ${killed} child process(es) killed, embedded servers closed with this process; ` +
        `the run was incomplete, so no report was written${v.out ? ` to ${v.out}` : ''}\n`,
    );
    return ExitCodes.FATAL;
  });
  const run = runHarness({
    scenarios: v.scenario,
    quick: v.quick,
    lane: laneFilter,
    suite: v.suite,
    seed,
    target,
    out: v.out,
    timeoutMs,
    progress: (line) => process.stderr.write(`${line}\n`),
    note: v.verbose ? (line) => process.stderr.write(`[harness]   ${redact(line)}\n`) : undefined,
  });
  const first = await Promise.race([run, interrupted]);
  // Interrupted: the scenarios still hold servers and timers; leave now rather than wait for them.
  if (typeof first === 'number') process.exit(first);
  stop.dispose();
  const result = first;
  const { summary } = result;
  const count = (s: string) => summary.scenarios.filter((x) => x.status === s).length;
  let go = true;
  const serverMetrics = v['server-metrics-url'] === undefined ? null : await fetchServerMetrics(v['server-metrics-url'], result.outDir);
  if (serverMetrics?.error) process.stderr.write(`[harness] server metrics unavailable: ${serverMetrics.error}\n`);
  if (stage) {
    const verdict = evaluateGate(summary, stage);
    writeGate(result.outDir, verdict);
    const command = shownCommand(argv);
    const report = buildStageReport({ verdict, summary, owner: v.owner ?? 'unsigned', command, baseCommand: baseCommand(argv), seed: result.seed, thresholdsSource: gates.source, serverMetrics });
    writeStageReport(result.outDir, report, result.timeline);
    process.stdout.write(renderGate(verdict));
    process.stdout.write(`${report.statement}\n`);
    go = verdict.go;
  }
  process.stdout.write(
    `harness: ${summary.scenarios.length} scenario(s), pass ${count('pass')}, fail ${count('fail')}, skip ${count('skip')}; seed ${result.seed}; report ${result.outDir}; Failures: ${summary.failures}\n`,
  );
  return summary.failures === 0 && go ? ExitCodes.OK : ExitCodes.FATAL;
}
