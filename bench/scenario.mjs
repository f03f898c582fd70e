// Runs one scenario in a fresh process (so no figure inherits another's heap, JIT state or
// recorded frames). Forked by run.mjs, which passes {name, quick, runs} over IPC and gets
// {rows, extra} back; can also be run by hand: node --expose-gc bench/scenario.mjs throughput --quick
const SCENARIOS = {
  throughput: () => import('./scenarios/throughput.mjs'),
  replay: () => import('./scenarios/replay-backlog.mjs'),
  stale: () => import('./scenarios/stale-recovery.mjs'),
  clients: () => import('./scenarios/many-clients.mjs'),
  bundle: () => import('./scenarios/bundle.mjs'),
  latency: () => import('./scenarios/latency.mjs'),
  metrics: () => import('./scenarios/metrics-cost.mjs'),
};

async function runScenario({ name, quick, runs }) {
  const mod = await SCENARIOS[name]();
  const log = (line) => process.stderr.write(`${line}\n`);
  return mod.run({ quick, runs, log });
}

if (process.send) {
  process.once('message', async (msg) => {
    try {
      const result = await runScenario(msg);
      process.send({ ok: true, result }, () => process.exit(0));
    } catch (err) {
      process.send({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }, () => process.exit(1));
    }
  });
} else {
  const name = process.argv[2];
  const quick = process.argv.includes('--quick');
  const runsArg = process.argv.find((a) => a.startsWith('--runs='));
  const result = await runScenario({ name, quick, runs: runsArg ? Number(runsArg.slice(7)) : 5 });
  console.log(JSON.stringify(result, null, 2));
  process.exit(0);
}
