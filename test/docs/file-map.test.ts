import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROOT, readRepoFile } from './doc-text.js';

// docs/architecture.md opens with a map of src/: every file it names exists, and every file under
// src/ is named in it, in the block of its directory.

/** Every file under `dir` (a repository path), as repository paths. */
function filesUnder(dir: string): string[] {
  return readdirSync(ROOT + dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(`${dir}/${e.name}`) : [`${dir}/${e.name}`]));
}

/**
 * The files the map names, as repository paths. The map is the first code block: a line indented
 * by 2 (`  client/`) or 4 (`    spacetime/`) spaces opens a directory; a file name on the lines below
 * it (`khala-session.ts`) is in that directory; a path with a slash (`util/shape.ts`) is read from
 * that directory, else from src/.
 */
function mappedFiles(): { named: string[]; missing: string[] } {
  const block = /```\n([\s\S]*?)```/.exec(readRepoFile('docs/architecture.md'))?.[1] ?? '';
  const dirs: string[] = [];
  let current = 'src';
  const named = new Set<string>();
  const missing = new Set<string>();
  for (const line of block.split('\n')) {
    const open = /^( {2}| {4})([a-z][\w-]*)\/(\s|$)/.exec(line);
    if (open) {
      const depth = (open[1] as string).length / 2;
      dirs.length = depth - 1;
      dirs.push(open[2] as string);
      current = ['src', ...dirs].join('/');
    } else if (/^\S/.test(line) && line.trim() !== 'src/') {
      current = '';
    }
    if (current === '') continue;
    for (const m of line.matchAll(/(?<![\w./-])((?:[\w-]+\/)*[\w-]+\.(?:ts|md))(?![\w-])/g)) {
      const path = m[1] as string;
      const candidates = [`${current}/${path}`, `src/${path}`, path];
      const found = candidates.find((c) => existsSync(ROOT + c));
      if (found) named.add(found);
      else missing.add(`${path} (under ${current}/)`);
    }
  }
  return { named: [...named], missing: [...missing] };
}

describe('docs/architecture.md file map', () => {
  const map = mappedFiles();

  it('names only files that exist', () => {
    expect(map.missing, 'docs/architecture.md names files that do not exist: fix or remove them').toEqual([]);
  });

  it('names every file under src/', () => {
    const named = new Set(map.named);
    const unnamed = filesUnder('src').filter((f) => !named.has(f)).sort();
    expect(unnamed, 'files under src/ that docs/architecture.md\'s file map does not name: add each to its directory\'s block').toEqual([]);
  });
});
