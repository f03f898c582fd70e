import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/sqlite.js';
import { createMemoryStore } from '../../src/watermarks/memory-store.js';
import type { SyncStore } from '../../src/watermarks/store.js';
import { framesArb, fuzzRun, type LaneFuzz } from './lane-fuzz.js';

/** Frames per generated run (one fresh client each). */
const PER_RUN = 20;
/** `npm run fuzz -- --runs=N` sets FUZZ_RUNS; the CI default feeds 10,000 frames per lane. */
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 500);
const SEED = Number(process.env['FUZZ_SEED'] ?? 20261202);
const SQLITE_RUNS = Math.max(10, Math.round(RUNS / 10));

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapAfterGc = (): number => {
  gc();
  return process.memoryUsage().heapUsed;
};

/**
 * The fuzz suite of one lane: mutated frames through the lane session, the replay driver and a
 * real store (memory for the bulk, a SQLite file for a smaller run). Any exception that escapes
 * (uncaught, unhandled rejection) fails the run that raised it; fast-check prints the seed and path
 * to replay it (`FUZZ_SEED=… npm run fuzz`).
 */
interface Counter {
  frames: number;
  applied: number;
  refused: number;
}

export function fuzzSuite(name: string, lf: LaneFuzz): void {
  const escaped: unknown[] = [];
  const onEscape = (err: unknown): void => void escaped.push(err);
  let dir = '';
  let heapBefore = 0;
  beforeAll(() => {
    process.on('uncaughtException', onEscape);
    process.on('unhandledRejection', onEscape);
    dir = mkdtempSync(join(tmpdir(), 'ks-fuzz-'));
    heapBefore = heapAfterGc();
  });
  afterAll(() => {
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
    rmSync(dir, { recursive: true, force: true });
  });

  const property = (store: () => SyncStore, counter: Counter) =>
    fc.asyncProperty(framesArb(lf.seeds.length, PER_RUN), fc.boolean(), async (frames, verifyAll) => {
      const r = await fuzzRun(lf, frames, store(), verifyAll);
      counter.frames += r.frames;
      counter.applied += r.applied;
      counter.refused += r.refused;
      await new Promise((res) => setTimeout(res, 0));
      if (escaped.length > 0) throw new Error(`escaped: ${String(escaped.splice(0)[0])}`);
    });

  it(`${name}: ${RUNS * PER_RUN} mutated frames through the lane, the driver and a memory store`, async () => {
    const counter = { frames: 0, applied: 0, refused: 0 };
    await fc.assert(property(() => createMemoryStore(), counter), { numRuns: RUNS, seed: SEED, endOnFailure: true });
    // Runs that ended early (a frame that stops the client) feed fewer; most feed all. Both sides
    // of the line are exercised: many updates applied, many frames refused.
    if (process.env['FUZZ_RUNS'] !== undefined) console.log(name, counter);
    expect(counter.frames).toBeGreaterThanOrEqual(RUNS * PER_RUN * 0.8);
    expect(counter.applied).toBeGreaterThan(RUNS);
    expect(counter.refused).toBeGreaterThan(RUNS * 2);
    // Nothing a run left behind is kept: the heap after all runs is where it started, give or take.
    expect(heapAfterGc() - heapBefore).toBeLessThan(64 * 1024 * 1024);
  }, 600_000);

  it(`${name}: ${SQLITE_RUNS * PER_RUN} mutated frames into a SQLite file`, async () => {
    const path = join(dir, `${name}.db`);
    const counter = { frames: 0, applied: 0, refused: 0 };
    await fc.assert(property(() => createSqliteStore({ path }), counter), { numRuns: SQLITE_RUNS, seed: SEED + 1, endOnFailure: true });
    if (process.env['FUZZ_RUNS'] !== undefined) console.log(name, 'sqlite', counter);
    expect(counter.frames).toBeGreaterThanOrEqual(SQLITE_RUNS * PER_RUN * 0.8);
    expect(counter.applied).toBeGreaterThan(0);
  }, 600_000);
}
