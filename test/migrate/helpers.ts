import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isKhalaSyncError } from '../../src/errors/index.js';

/** A private temp directory per test; `cleanup` removes it. */
export function tempDir(prefix = 'khala-migrate-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Path of a hand-made fixture (test/fixtures/migrate/README.md). */
export function fixturePath(name: string): string {
  return new URL(`../fixtures/migrate/${name}`, import.meta.url).pathname;
}

/** Copy a fixture into `dir` and return the copy's path. */
export function copyFixture(name: string, dir: string, as = name): string {
  const to = join(dir, as);
  copyFileSync(fixturePath(name), to);
  return to;
}

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Every file under `dir` (recursively) with its hash: equal snapshots mean nothing was written. */
export function dirState(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p, `${rel}${name}/`);
      else out[`${rel}${name}`] = sha256(p);
    }
  };
  walk(dir, '');
  return out;
}

/** The stable code of what `fn` throws (`'no error'` when it does not). */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return isKhalaSyncError(err) ? err.code : `untyped: ${String(err)}`;
  }
  return 'no error';
}
