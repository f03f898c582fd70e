import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectStore, migrateStore, verifyManifest } from '../../src/migrate.js';
import { createSqliteStore } from '../../src/sqlite.js';
import { seededRandom } from '../../src/testing/seeded-random.js';
import { ensureBuilt } from '../cli/built-cli.js';
import { sha256, tempDir } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const CHILD = join(here, 'fixtures', 'migrate-child.mjs');
const ENTRY = pathToFileURL(join(here, '..', '..', 'dist', 'migrate.js')).href;
/** Kills that must land while the migration runs (a run that finished first does not count). */
const KILLS = 20;
const MAX_RUNS = 45;
const STREAMS = 6_000;

/** Run the child migration; SIGKILL it `delayMs` after it said "start". Resolves how it ended. */
function runChild(source: string, target: string, delayMs: number | undefined): Promise<{ killed: boolean; ms: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ENTRY, 'migrate', source, target], { stdio: ['ignore', 'pipe', 'pipe'] });
    let started = 0;
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (started === 0 && chunk.includes('start')) {
        started = Date.now();
        if (delayMs !== undefined) setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ killed: true, ms: Date.now() - started });
      else if (code === 0) resolve({ killed: false, ms: Date.now() - started });
      else reject(new Error(`migration child failed (${String(code)}): ${err}`));
    });
  });
}

describe('migrate under SIGKILL', () => {
  const { dir, cleanup } = tempDir('khala-migrate-crash-');
  const source = join(dir, 'checkpoints.json');
  const original = join(dir, 'original.sqlite');
  const target = join(dir, 'sync.sqlite');
  let expected: Record<string, number>;

  beforeAll(async () => {
    ensureBuilt();
    const entries = Array.from({ length: STREAMS }, (_, i) => ({ worker_id: 'desktopw:desktop:shared', stream_id: `runtime.run.run_${i}`, watermark: i + 1, updated_at: '2026-03-01T10:00:00Z' }));
    writeFileSync(source, JSON.stringify({ version: 1, entries }));
    // An existing store with documents, so the old and the new file both hold real data.
    const store = createSqliteStore({ path: original });
    const docs = Array.from({ length: 2000 }, (_, i) => ({ topic: 'runtime.run_summaries', docKey: `runtime/run_summary:r${i}`, docVersion: 1, payload: { n: i, pad: 'x'.repeat(100) }, payloadHash: null, watermark: 2000, hydrationPending: false }));
    await store.commit({ topic: 'runtime.run_summaries', watermark: 2000, documents: docs });
    await store.close();
    expected = { 'runtime.run_summaries': 2000, ...Object.fromEntries(entries.map((e) => [e.stream_id, e.watermark])) };
  }, 120_000);
  afterAll(() => cleanup());

  it(`leaves the old file or the complete new one at ${KILLS} random kill points, and a re-run completes`, async () => {
    const seed = Number(process.env['CRASH_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
    const rand = seededRandom(seed);
    const oldSha = sha256(original);
    copyFileSync(original, target);
    const full = await runChild(source, target, undefined); // how long an uninterrupted run takes here
    const newSha = sha256(target);
    const outcomes = { old: 0, new: 0, killed: 0 };
    for (let run = 0; outcomes.killed < KILLS && run < MAX_RUNS; run++) {
      rmSync(`${target}.migrations`, { recursive: true, force: true });
      copyFileSync(original, target);
      const delay = rand.next() * full.ms;
      const { killed } = await runChild(source, target, delay);
      const context = `seed ${seed}, run ${run}, delay ${delay.toFixed(0)} of ${full.ms} ms`;
      if (killed) outcomes.killed++;
      const now = sha256(target);
      expect(existsSync(`${target}-wal`), context).toBe(false);
      if (now === oldSha) {
        outcomes.old++;
      } else {
        // Not the old bytes: it must be the whole new store, nothing in between.
        outcomes.new++;
        const db = new Database(target, { readonly: true });
        expect(db.pragma('integrity_check', { simple: true }), context).toBe('ok');
        db.close();
        expect(inspectStore(target).watermarks, context).toStrictEqual(expected);
      }
      // Whatever the kill left, running again finishes the job and verifies; no build is left behind.
      const again = migrateStore({ source, target });
      verifyManifest(again.manifestPath);
      expect(inspectStore(target).watermarks, context).toStrictEqual(expected);
      expect(readdirSync(dir).filter((n) => n.includes('.migrating-')), context).toStrictEqual([]);
    }
    console.log(`[migrate-crash] seed ${seed}: ${JSON.stringify(outcomes)}, uninterrupted run ${full.ms} ms, new sha ${newSha.slice(0, 12)}`);
    expect(outcomes.killed).toBe(KILLS);
  }, 600_000);
});
