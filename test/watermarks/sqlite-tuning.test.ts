// The SQLite store's write tuning (src/watermarks/sqlite-store.ts openDatabase): 2 KiB pages for new
// files, existing files left as they are, and automatic checkpoints only after ~16 MiB of WAL.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SyncDocument } from '../../src/model/types.js';
import { createSqliteStore } from '../../src/sqlite.js';

const MiB = 1024 * 1024;

function docs(topic: string, batch: number, n: number): SyncDocument[] {
  return Array.from({ length: n }, (_, i) => ({
    topic,
    // Spread over the key space, as a replay of many documents is.
    docKey: `doc:${(i * 7919 + batch * 104729) % 20000}`,
    docVersion: batch + 1,
    payload: { batch, i, note: 'x'.repeat(200) },
    payloadHash: null,
    watermark: batch * n + i + 1,
    hydrationPending: false,
  }));
}

describe('sqlite store write tuning', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'khala-sqlite-tuning-'));
    path = join(dir, 'store.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates new files with 2 KiB pages and keeps an existing file’s page size', async () => {
    const store = createSqliteStore({ path });
    await store.commit({ topic: 't', watermark: 1, documents: docs('t', 0, 1) });
    await store.close();
    const db = new Database(path);
    expect(db.pragma('page_size', { simple: true })).toBe(2048);
    db.close();

    const oldPath = join(dir, 'old.sqlite');
    const old = new Database(oldPath);
    old.pragma('page_size = 4096');
    old.pragma('journal_mode = WAL');
    old.close();
    const reopened = createSqliteStore({ path: oldPath });
    await reopened.commit({ topic: 't', watermark: 3, documents: docs('t', 1, 3) });
    expect((await reopened.load(['t'])).documents).toHaveLength(3);
    await reopened.close();
    const check = new Database(oldPath);
    expect(check.pragma('page_size', { simple: true })).toBe(4096);
    check.close();
  });

  it('lets the WAL grow past SQLite’s default 4 MiB checkpoint but checkpoints by ~16 MiB', async () => {
    const store = createSqliteStore({ path });
    let maxWal = 0;
    for (let b = 0; b < 120; b++) {
      await store.commit({ topic: 't', watermark: (b + 1) * 200, documents: docs('t', b, 200) });
      maxWal = Math.max(maxWal, statSync(`${path}-wal`).size);
    }
    await store.close();
    expect(maxWal).toBeGreaterThan(5 * MiB);
    // The threshold plus the one transaction that crossed it.
    expect(maxWal).toBeLessThan(18 * MiB);
  });
});
