import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateStore, rollbackManifest } from '../../src/migrate.js';
import { createSqliteStore } from '../../src/sqlite.js';
import { BIN, ensureBuilt } from '../cli/built-cli.js';
import { codeOf, copyFixture, dirState, tempDir } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const CHILD = join(here, 'fixtures', 'migrate-child.mjs');
const ENTRY = pathToFileURL(join(here, '..', '..', 'dist', 'migrate.js')).href;

function holdLock(store: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ENTRY, 'hold-lock', store], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout!.setEncoding('utf8').on('data', (c: string) => c.includes('locked') && resolve(child));
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`lock holder exited (${String(code)})`)));
  });
}

describe('migration safety', () => {
  const { dir, cleanup } = tempDir('khala-migrate-safety-');
  beforeAll(() => ensureBuilt(), 300_000);
  afterAll(() => cleanup());

  it('a second run cannot proceed while another process holds the lock; a killed holder releases it', async () => {
    const source = copyFixture('desktop-checkpoints.v1.json', dir);
    const target = join(dir, 'locked.sqlite');
    const first = migrateStore({ source, target });
    const holder = await holdLock(target);
    try {
      const before = dirState(dir);
      expect(codeOf(() => migrateStore({ source: copyFixture('web-sync-state.v1.json', dir), target }))).toBe('migration_locked');
      expect(codeOf(() => rollbackManifest(first.manifestPath))).toBe('migration_locked');
      const after = dirState(dir);
      delete after['web-sync-state.v1.json'];
      expect(after).toStrictEqual(before);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
    }
    expect(migrateStore({ source: join(dir, 'web-sync-state.v1.json'), target }).manifest.status).toBe('migrated');
  });

  /** Run `store migrate` with RLIMIT_FSIZE: a write past `kib` fails with EFBIG, as a full disk fails with ENOSPC. */
  async function migrateWithFileLimit(kib: number, source: string, target: string): Promise<{ code: number | null; err: string }> {
    const child = spawn('bash', ['-c', `ulimit -f ${kib}; exec "${process.execPath}" "${BIN}" store migrate "${source}" --target "${target}"`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    return { code, err };
  }

  it('a disk that fills during the backup fails the run with migration_io_failed and changes nothing', async () => {
    const entries = Array.from({ length: 8000 }, (_, i) => ({ worker_id: 'w', stream_id: `runtime.run.run_${i}`, watermark: i, updated_at: '2026-03-01T10:00:00Z' }));
    const source = join(dir, 'big-checkpoints.json');
    writeFileSync(source, JSON.stringify({ version: 1, entries })); // ~900 KB: its backup copy is the write that fails
    const target = join(dir, 'new.sqlite');
    const before = dirState(dir);
    const { code, err } = await migrateWithFileLimit(512, source, target);
    expect(code, err).toBe(1);
    expect(err).toMatch(/migration_io_failed: write .*source-big-checkpoints\.json\.backup failed \(EFBIG\)/);
    const after = dirState(dir);
    delete after['new.sqlite.migrate-lock'];
    expect(after).toStrictEqual(before);
    expect(existsSync(`${target}.migrations`)).toBe(false);
  });

  it('a disk that fills while a big store is read fails the same way and changes nothing', async () => {
    const target = join(dir, 'big.sqlite');
    const store = createSqliteStore({ path: target });
    const docs = Array.from({ length: 3000 }, (_, i) => ({ topic: 't', docKey: `k${i}`, docVersion: 1, payload: { pad: 'y'.repeat(400) }, payloadHash: null, watermark: 1, hydrationPending: false }));
    await store.commit({ topic: 't', watermark: 1, documents: docs });
    await store.close();
    const source = copyFixture('web-sync-state.v1.json', dir, 'small-source.json');
    const before = dirState(dir);
    const { code, err } = await migrateWithFileLimit(512, source, target);
    expect(code, err).toBe(1);
    expect(err).toMatch(/migration_io_failed: .*big\.sqlite.*\(EFBIG\)/);
    expect(dirState(dir)).toStrictEqual(before);
  });
});
