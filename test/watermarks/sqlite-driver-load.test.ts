// loadDriver() on installs that are broken the ways real ones are: no better-sqlite3 at all, and
// better-sqlite3's JavaScript without its native module (npm ≥ 12 skipping an unapproved install
// script, or a failed build of the optional dependency). Both are real package trees on disk.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { isStoreError } from '../../src/errors/index.js';
import { loadDriver } from '../../src/watermarks/sqlite-open.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A project directory whose node_modules holds `packages` copied from ours; returns a module URL inside it. */
function project(packages: Array<{ name: string; parts: string[] }>): string {
  const root = mkdtempSync(join(tmpdir(), 'khala-sqlite-load-'));
  dirs.push(root);
  for (const { name, parts } of packages) {
    const to = join(root, 'node_modules', name);
    mkdirSync(to, { recursive: true });
    for (const part of parts) cpSync(join('node_modules', name, part), join(to, part), { recursive: true });
  }
  writeFileSync(join(root, 'app.js'), '');
  return pathToFileURL(join(root, 'app.js')).href;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected loadDriver to throw');
}

describe('loadDriver (SQLite store, migrations)', () => {
  it('loads the installed driver and opens a database with it', () => {
    const Driver = loadDriver();
    const db = new Driver(':memory:');
    expect(db.prepare('SELECT 1 AS one').get()).toEqual({ one: 1 });
    db.close();
  });

  it('no better-sqlite3 installed: store_failed naming the optional dependency', () => {
    const err = thrown(() => loadDriver(project([])));
    expect(isStoreError(err) && err.code).toBe('store_failed');
    expect((err as Error).message).toContain('npm install better-sqlite3');
  });

  it('its JavaScript without the native module: store_failed that says to rebuild (not a misleading open failure)', () => {
    const from = project([
      { name: 'better-sqlite3', parts: ['package.json', 'lib'] },
      { name: 'bindings', parts: ['package.json', 'bindings.js'] },
      { name: 'file-uri-to-path', parts: ['.'] },
    ]);
    const err = thrown(() => loadDriver(from));
    expect(isStoreError(err) && err.code).toBe('store_failed');
    expect((err as Error).message).toContain('npm rebuild better-sqlite3');
    expect((err as { details?: { reason?: string } }).details?.reason).toBe('native_module');
    expect(String((err as Error & { cause?: Error }).cause?.message)).toMatch(/bindings/i);
  });
});
