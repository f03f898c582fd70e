#!/usr/bin/env node
// khala-sync benchmarks: `npm run bench` (full) and `npm run bench:quick` (CI sizes, < 2 min).
// Each figure runs in its own process (bench/scenario.mjs) against the reference server in yet
// another process (bench/server.mjs); contenders are interleaved (A, khala-sync, B, A, ...) over
// one discarded warm-up round and `--runs` (default and minimum 5) measured rounds.
//
//   --quick          smaller sizes (docs/benchmarks.md), writes results/quick.{json,svg}
//   --only=a,b       figures: throughput, replay, stale, clients, bundle, latency, metrics
//   --runs=N         measured rounds per figure (>= 5)
//   --strict         exit 1 when a target is missed (a figure that errors always exits 1)
//   --no-write       print only
//   --profile        also write a CPU profile of the in-process client replay (bench/profile.mjs)
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { markdownTable, svgChart, textTable, withResults } from './lib/report.mjs';

const ALL = ['throughput', 'replay', 'stale', 'clients', 'bundle', 'latency', 'metrics'];
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const strict = args.includes('--strict');
const write = !args.includes('--no-write');
const onlyArg = args.find((a) => a.startsWith('--only='));
const only = onlyArg ? onlyArg.slice(7).split(',') : ALL;
const runsArg = args.find((a) => a.startsWith('--runs='));
const runs = Math.max(5, runsArg ? Number(runsArg.slice(7)) : 5);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const here = (p) => fileURLToPath(new URL(p, import.meta.url));

for (const name of only) if (!ALL.includes(name)) throw new Error(`unknown figure ${name} (one of ${ALL.join(', ')})`);

function runScenario(name) {
  return new Promise((resolve, reject) => {
    const child = fork(here('./scenario.mjs'), [], { execArgv: ['--expose-gc', '--max-old-space-size=8192'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (m) => (m.ok ? resolve(m.result) : reject(new Error(`${name}: ${m.error}`))));
    child.once('exit', (code) => code !== 0 && reject(new Error(`${name} exited with ${code}`)));
    child.send({ name, quick, runs });
  });
}

function git(...a) {
  try {
    return execFileSync('git', a, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

const started = Date.now();
const meta = {
  mode: quick ? 'quick' : 'full',
  date: new Date().toISOString(),
  node: process.versions.node,
  v8: process.versions.v8,
  platform: `${process.platform} ${process.arch}`,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memGiB: Math.round(totalmem() / 2 ** 30),
  loadStart: loadavg().map((x) => x.toFixed(2)).join(' '),
  commit: git('rev-parse', '--short', 'HEAD'),
  dirty: (git('status', '--porcelain', '--', 'src', 'bench') ?? '') !== '',
  runs,
};
console.log(`khala-sync bench (${meta.mode}): ${meta.cpu} ×${meta.cores}, ${meta.memGiB} GiB, Node ${meta.node}, load ${meta.loadStart}; ${runs} runs + 1 warm-up per figure`);

const figures = {};
const rows = [];
const failures = [];
for (const name of only) {
  const t0 = Date.now();
  console.log(`\n[${name}]`);
  // A figure that fails is tried once more, then recorded as failed, so one flaky figure does not
  // throw away the other figures of a 15-minute run.
  let result;
  let error;
  for (let attempt = 1; attempt <= 2 && result === undefined; attempt++) {
    try {
      result = await runScenario(name);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      console.log(`  attempt ${attempt} failed: ${error}`);
    }
  }
  if (result === undefined) {
    figures[name] = { seconds: (Date.now() - t0) / 1000, error };
    failures.push(`${name}: ${error}`);
    continue;
  }
  figures[name] = { seconds: (Date.now() - t0) / 1000, extra: result.extra };
  rows.push(...result.rows);
  console.log(`  (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}
meta.loadEnd = loadavg().map((x) => x.toFixed(2)).join(' ');
meta.seconds = (Date.now() - started) / 1000;

console.log(`\n${textTable(rows)}\n`);
const targeted = rows.filter((r) => r.pass != null);
const failed = targeted.filter((r) => !r.pass);
console.log(`${targeted.length - failed.length}/${targeted.length} targets met; ${meta.seconds.toFixed(0)} s; load avg ${meta.loadStart} → ${meta.loadEnd}`);
for (const f of failures) console.log(`figure failed twice, no rows: ${f}`);
meta.failedFigures = failures;

if (write) {
  const base = quick ? 'quick' : 'latest';
  const json = { meta, rows, figures };
  mkdirSync(here('./results'), { recursive: true });
  writeFileSync(here(`./results/${base}.json`), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(here(`./results/${base}.svg`), svgChart(rows, meta));
  writeFileSync(here(`./results/${base}.md`), `${markdownTable(rows)}\n`);
  // A full run of every figure refreshes the results section of docs/benchmarks.md.
  if (!quick && only.length === ALL.length) {
    const docPath = `${ROOT}docs/benchmarks.md`;
    if (existsSync(docPath)) writeFileSync(docPath, withResults(readFileSync(docPath, 'utf8'), json));
  }
  console.log(`wrote bench/results/${base}.{json,svg,md}`);
}
if (args.includes('--profile')) {
  const { profile } = await import('./profile.mjs');
  await profile({ quick });
}
// A figure that errors (twice) means the bench is broken: fail, so CI's smoke run notices. A missed
// target fails only with --strict.
if (failures.length > 0 || (strict && failed.length > 0)) process.exit(1);
