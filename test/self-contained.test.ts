import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// A user's clone has nothing beside it, so no code, test, script or config may reach for the
// upstream `shared/` folder (spec or fixtures) that developer machines keep next to the repo.
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SCANNED_DIRS = ['src', 'test', 'bench', 'bin', 'conformance', '.ci', 'examples'];
const SCANNED_FILES = ['package.json', 'vitest.config.ts', 'tsconfig.json', 'tsconfig.build.json', 'eslint.config.js'];
const CODE = /\.(ts|tsx|mts|mjs|js|cjs|json)$|^run$/;
// Escaped so that this file does not match itself.
const FORBIDDEN = /\.\.\/shared|shared\/(spec|fixtures)|\x27shared\x27/;

function walk(dir: string, out: string[]): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // a scanned folder that does not exist (yet) has nothing to check
  }
  for (const name of names) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (CODE.test(name)) out.push(path);
  }
}

describe('self-contained repository', () => {
  it('no code, test, script or config reads the upstream shared/ folder', () => {
    const files: string[] = SCANNED_FILES.map((f) => join(ROOT, f));
    for (const dir of SCANNED_DIRS) walk(join(ROOT, dir), files);
    expect(files.length).toBeGreaterThan(100);
    const offenders = files.filter((f) => FORBIDDEN.test(readFileSync(f, 'utf8'))).map((f) => relative(ROOT, f));
    expect(offenders).toEqual([]);
  });

  it('the npm package ships the protocol notes, SPEC.md and the conformance vectors a port reads', () => {
    const files = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] }).files;
    const shipped = (path: string): boolean => files.some((f) => path === f || path.startsWith(`${f}/`));
    for (const path of ['docs/protocol/khala.md', 'docs/protocol/spacetime.md', 'docs/protocol/contracts.md', 'src/replay/SPEC.md', 'conformance/README.md', 'conformance/vectors']) {
      expect(statSync(join(ROOT, path)).size, path).toBeGreaterThan(0);
      expect(shipped(path), path).toBe(true);
    }
  });
});
