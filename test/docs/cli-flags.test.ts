import { readdirSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT, codeSpans, normalizeDefault, readRepoFile, tablesWithColumn } from './doc-text.js';

// Every flag a `khala-sync` command parses (the `options` of each `parseArgs` call in src/cli/) is
// documented somewhere in README.md or docs/, and where a docs flag table states a default that the
// parser also has, the two agree.

interface Flag {
  file: string;
  name: string;
  default: string | undefined;
}

/** The flags of every `parseArgs({ options: { … } })` call in src/cli/, with their literal defaults. */
function parsedFlags(): Flag[] {
  const flags: Flag[] = [];
  for (const name of readdirSync(ROOT + 'src/cli')) {
    const file = `src/cli/${name}`;
    const source = ts.createSourceFile(file, readRepoFile(file), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isPropertyAssignment(node) && node.name.getText(source) === 'options' && ts.isObjectLiteralExpression(node.initializer) && ts.isObjectLiteralExpression(node.parent) && ts.isCallExpression(node.parent.parent) && node.parent.parent.expression.getText(source) === 'parseArgs') {
        for (const p of node.initializer.properties) {
          if (!ts.isPropertyAssignment(p) || !ts.isObjectLiteralExpression(p.initializer)) continue;
          const def = p.initializer.properties.find((q): q is ts.PropertyAssignment => ts.isPropertyAssignment(q) && q.name.getText(source) === 'default');
          flags.push({ file, name: p.name.getText(source).replace(/^'|'$/g, ''), default: def ? normalizeDefault(def.initializer.getText(source)) : undefined });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return flags;
}

/** The docs whose tables list a command's flags, and the commands they describe. */
const FLAG_TABLES: Record<string, string[]> = {
  'docs/api.md': ['src/cli/tail.ts', 'src/cli/serve.ts', 'src/cli/demo.ts'],
  'docs/harness.md': ['src/cli/harness.ts'],
};

/**
 * Flag → stated default (normalized) from the tables of `doc` whose first column names flags. A row
 * naming several flags gives each a default only when its default cell has one part per flag
 * (`off / 5000`); a shared cell ("embedded server") states none of them.
 */
function flagTable(doc: string): Map<string, string> {
  const table = new Map<string, string>();
  const rows = [...tablesWithColumn(readRepoFile(doc), 'flag').flat(), ...tablesWithColumn(readRepoFile(doc), 'option').flat()];
  for (const row of rows) {
    const names = codeSpans(row['flag'] ?? row['option'] ?? '').filter((n) => n.startsWith('--')).map((n) => (n.split(' ')[0] as string).slice(2));
    const parts = (row['default'] ?? '').split(' / ');
    if (names.length === 1) table.set(names[0] as string, normalizeDefault(row['default'] ?? ''));
    else if (parts.length === names.length) names.forEach((n, i) => table.set(n, normalizeDefault(parts[i] as string)));
  }
  return table;
}

const docFiles = ['README.md', ...readdirSync(ROOT + 'docs').filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

describe('CLI flags and the docs', () => {
  const flags = parsedFlags();

  it('finds the parsed flags', () => {
    expect(flags.map((f) => f.name)).toContain('seed');
  });

  it('every parsed flag is documented in README.md or docs/', () => {
    const text = docFiles.map(readRepoFile).join('\n');
    const missing = flags.filter((f) => !new RegExp(`--${f.name}(?![\\w-])`).test(text)).map((f) => `--${f.name} (${f.file})`);
    expect(missing, 'flags the CLI parses that no doc mentions: document them (docs/harness.md, README.md)').toEqual([]);
  });

  it('a default stated in a docs flag table equals the parser default', () => {
    const wrong: string[] = [];
    for (const [doc, commands] of Object.entries(FLAG_TABLES)) {
      const table = flagTable(doc);
      for (const flag of flags.filter((f) => f.default !== undefined && commands.includes(f.file))) {
        const stated = table.get(flag.name);
        const expected = flag.default === 'false' ? 'off' : flag.default;
        if (stated !== undefined && stated !== expected) wrong.push(`${doc}: --${flag.name} default "${stated}", ${flag.file} parses ${flag.default}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
