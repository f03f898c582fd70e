// `npm run fuzz -- --runs=N [--seed=S]`: the fuzz suite with N runs (20 frames each) per lane and
// store kind, instead of CI's 500. A failure prints the seed and path that replay it.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import process from 'node:process';

const env = { ...process.env };
for (const arg of process.argv.slice(2)) {
  const m = /^--(runs|seed)=(\d+)$/.exec(arg);
  if (!m) {
    console.error(`unknown argument ${arg} (expected --runs=N or --seed=S)`);
    process.exit(2);
  }
  env[m[1] === 'runs' ? 'FUZZ_RUNS' : 'FUZZ_SEED'] = m[2];
}
const vitest = createRequire(import.meta.url).resolve('vitest/vitest.mjs');
const r = spawnSync(process.execPath, [vitest, 'run', 'test/fuzz', '--testTimeout=0'], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
