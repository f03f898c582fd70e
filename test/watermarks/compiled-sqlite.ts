import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
// Inside node_modules so the compiled code resolves better-sqlite3 as the package would, and apart
// from dist/ so it neither races the real build nor depends on other folders compiling.
const cacheDir = join(root, 'node_modules', '.cache', 'khala-sync-store-test');

function files(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => files(join(path, name)));
}

/**
 * Path of `src/sqlite.ts` compiled to JavaScript, for child processes (Node 20 cannot run the
 * TypeScript source). Output is keyed by a hash of the sources, and published by an atomic rename,
 * so concurrent test runs never read a half-written build and a stale one is never reused.
 */
export function compiledSqliteEntry(): string {
  const sources = ['sqlite.ts', 'watermarks', 'errors', 'util', 'replay'].flatMap((p) => files(join(root, 'src', p)));
  const hash = createHash('sha256');
  for (const file of [...sources, join(here, 'fixtures', 'tsconfig.crash.json')]) hash.update(file).update(readFileSync(file));
  const outDir = join(cacheDir, hash.digest('hex').slice(0, 16));
  const entry = join(outDir, 'sqlite.js');
  if (existsSync(entry)) return entry;

  const staging = `${outDir}.tmp-${process.pid}`;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', join(here, 'fixtures', 'tsconfig.crash.json'), '--outDir', staging], {
      cwd: root,
      stdio: 'pipe',
    });
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`compiling src/sqlite.ts for the crash test failed:\n${String((err as { stdout?: unknown }).stdout ?? err)}`);
  }
  // Module scope lookup stops at node_modules, so the output needs its own "type": "module".
  writeFileSync(join(staging, 'package.json'), '{ "type": "module" }\n');
  mkdirSync(cacheDir, { recursive: true });
  try {
    renameSync(staging, outDir);
  } catch {
    // Another run published the same build first; use theirs.
    rmSync(staging, { recursive: true, force: true });
  }
  return entry;
}
