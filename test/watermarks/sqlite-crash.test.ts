import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncDocument } from '../../src/model/types.js';
import { createSqliteStore } from '../../src/sqlite.js';
import { compiledSqliteEntry } from './compiled-sqlite.js';
import { applyBatches, TOPIC } from './fixtures/crash-batches.mjs';
import { sorted } from './store-contract-fixtures.js';

const WRITER = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'crash-writer.mjs');
const KILLS = 20;

/** Small seeded PRNG so a failing run can be replayed with CRASH_SEED. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Run the writer and SIGKILL it `delayMs` after spawn, or after it reports ready. Resolves with
 * the highest batch it reported as committed (a line is only counted once complete).
 */
function runAndKill(entry: string, path: string, delayMs: number, afterReady: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, entry, path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let acked = 0;
    let pending = '';
    let stderr = '';
    const kill = () => setTimeout(() => child.kill('SIGKILL'), delayMs);
    if (!afterReady) kill();
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('ready')) {
          if (afterReady) kill();
        } else {
          acked = Math.max(acked, Number(line));
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`crash writer exited by itself (code ${String(code)}): ${stderr}`));
    });
  });
}

describe('sqlite store under SIGKILL', () => {
  let entry: string;
  let dir: string;
  beforeAll(() => {
    entry = compiledSqliteEntry();
    dir = mkdtempSync(join(tmpdir(), 'khala-crash-'));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`never leaves the watermark ahead of or behind its documents (${KILLS} kills)`, async () => {
    const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const rand = mulberry32(seed);
    const path = join(dir, 'crash.sqlite');
    const expected = new Map<string, SyncDocument>();
    let durable = 0;
    for (let run = 0; run < KILLS; run++) {
      // Alternate kills during startup/open/migration with kills in the middle of writing.
      const afterReady = run % 2 === 1;
      const delayMs = afterReady ? 5 + rand() * 200 : rand() * 150;
      const acked = await runAndKill(entry, path, delayMs, afterReady);
      const context = `seed ${seed}, run ${run}, delay ${delayMs.toFixed(1)}ms`;

      const store = createSqliteStore({ path });
      const { watermarks, documents } = await store.load();
      await store.close();
      const watermark = watermarks[TOPIC] ?? 0;
      // A commit that resolved survives the death of its process (even with synchronous=NORMAL).
      expect(watermark, context).toBeGreaterThanOrEqual(Math.max(durable, acked));
      applyBatches(expected, durable + 1, watermark);
      durable = watermark;
      for (const doc of documents) expect(doc.watermark, context).toBeLessThanOrEqual(watermark);
      // Exactly what batches 1..watermark wrote: nothing from a later batch, nothing missing.
      expect(sorted(documents), context).toStrictEqual(sorted([...expected.values()]));

      const raw = new Database(path, { readonly: true });
      expect(raw.pragma('integrity_check', { simple: true }), context).toBe('ok');
      raw.close();
    }
    // The kills must have landed while batches were being written, not only at startup.
    expect(durable).toBeGreaterThan(KILLS * 5);
  }, 120_000);
});
