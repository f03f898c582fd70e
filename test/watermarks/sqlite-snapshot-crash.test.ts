import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/sqlite.js';
import { compiledSqliteEntry } from './compiled-sqlite.js';
import { headOf, snapshotOf, TOPIC } from './fixtures/snapshot-pages.mjs';
import { sorted } from './store-contract-fixtures.js';

const WRITER = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'snapshot-writer.mjs');
const KILLS = 4;

/**
 * Run the snapshot writer for `generation`. With `killAfterPages`, SIGKILL it once it has reported
 * that many staged pages and resolve with the pages it reported; otherwise wait for its commit.
 */
function runWriter(entry: string, path: string, generation: number, killAfterPages?: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const mode = killAfterPages === undefined ? 'complete' : 'endless';
    const child = spawn(process.execPath, [WRITER, entry, path, String(generation), mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let staged = 0;
    let pending = '';
    let stderr = '';
    let committed = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'committed') committed = true;
        else if (/^\d+$/.test(line)) staged = Number(line) + 1;
        if (killAfterPages !== undefined && staged >= killAfterPages) child.kill('SIGKILL');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (killAfterPages !== undefined && signal === 'SIGKILL') resolve(staged);
      else if (killAfterPages === undefined && code === 0 && committed) resolve(staged);
      else reject(new Error(`snapshot writer ended unexpectedly (code ${String(code)}, signal ${String(signal)}): ${stderr}`));
    });
  });
}

function stagedRows(path: string): number {
  const raw = new Database(path, { readonly: true });
  try {
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    return (raw.prepare('SELECT count(*) AS n FROM staged_documents').get() as { n: number }).n;
  } finally {
    raw.close();
  }
}

async function stored(path: string) {
  const store = createSqliteStore({ path });
  try {
    return await store.load();
  } finally {
    await store.close();
  }
}

describe('sqlite staged snapshot under SIGKILL', () => {
  let entry: string;
  let dir: string;
  beforeAll(() => {
    entry = compiledSqliteEntry();
    dir = mkdtempSync(join(tmpdir(), 'khala-snapshot-crash-'));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`a kill mid-staging leaves the old documents and cursor; the next snapshot starts clean (${KILLS} kills)`, async () => {
    const path = join(dir, 'snapshot.sqlite');
    const seed = createSqliteStore({ path });
    const original = snapshotOf(0).map((d) => ({ ...d, docKey: `old-${d.docKey}`, watermark: 7 }));
    await seed.commit({ topic: TOPIC, watermark: 7, documents: original });
    await seed.close();
    let expected = { watermarks: { [TOPIC]: 7 }, documents: sorted(original) };

    for (let g = 1; g <= KILLS; g++) {
      const context = `generation ${g}`;
      // Kill after a few pages: the staging table holds a partial snapshot at the moment of death.
      const staged = await runWriter(entry, path, g, 2 + ((g * 5) % 9));
      expect(staged, context).toBeGreaterThanOrEqual(2);
      expect(stagedRows(path), context).toBeGreaterThan(0);
      const afterKill = await stored(path);
      expect(afterKill.watermarks, context).toStrictEqual(expected.watermarks);
      expect(sorted(afterKill.documents), context).toStrictEqual(expected.documents);

      // The next start stages the same generation again and commits: exactly that snapshot, with
      // nothing from the killed run's extra pages (its page numbers went past this run's).
      await runWriter(entry, path, g);
      const afterCommit = await stored(path);
      expected = { watermarks: { [TOPIC]: headOf(g) }, documents: sorted(snapshotOf(g)) };
      expect(afterCommit.watermarks, context).toStrictEqual(expected.watermarks);
      expect(sorted(afterCommit.documents), context).toStrictEqual(expected.documents);
      expect(stagedRows(path), context).toBe(0);
    }
  }, 120_000);
});
