import ts from 'typescript';
import { codeSpans, normalizeDefault, normalizeValue, readRepoFile, tablesWithColumn } from './doc-text.js';

// An options interface, its defaults object and the docs table of its options, read from the real
// files so that a test can say where they disagree.

/** One member of an options interface: its name, whether it is optional, its TSDoc text. */
export interface OptionDoc {
  name: string;
  optional: boolean;
  tsdoc: string;
}

/** The members of interface `name` in `file` (a repository path), with their TSDoc. */
export function interfaceOptions(file: string, name: string): OptionDoc[] {
  const source = ts.createSourceFile(file, readRepoFile(file), ts.ScriptTarget.Latest, true);
  const found = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name);
  if (!found) throw new Error(`interface ${name} not found in ${file}`);
  return found.members.filter(ts.isPropertySignature).map((m) => ({
    name: m.name.getText(source),
    optional: m.questionToken !== undefined,
    tsdoc: ts.getJSDocCommentsAndTags(m).map((d) => d.getText(source)).join('\n').replace(/^\s*\/?\*+\/?/gm, ' ').replace(/\s+/g, ' '),
  }));
}

/** The default a TSDoc comment states (`Default 30 000.`, `Default \`'info'\``), or undefined. */
export function tsdocDefault(tsdoc: string): string | undefined {
  const m = /\bDefault:?\s+(`[^`]+`|[^.:;(,]+?)\s*(?:[.:;(,]|$)/.exec(tsdoc);
  return m ? normalizeDefault(m[1] as string) : undefined;
}

/**
 * The rows of the options table in `doc`: option name → the default cell (normalized). A row may
 * name several options (`` `port` / `host` ``, `` `lane`, `transport` ``); a default cell split by
 * ` / ` into as many parts gives each its own, else the whole cell is each one's.
 */
export function docsOptionTable(doc: string, column = 'option'): Map<string, string> {
  const table = new Map<string, string>();
  for (const row of tablesWithColumn(readRepoFile(doc), column).flat()) {
    const names = codeSpans(row[column] ?? '').map((n) => n.replace(/\(.*\)$/, ''));
    const cell = row['default'] ?? '';
    const parts = cell.split(' / ');
    names.forEach((n, i) => table.set(n, normalizeDefault(parts.length === names.length ? (parts[i] as string) : cell)));
  }
  return table;
}

/** A default value in the spelling of {@link normalizeDefault}; undefined for objects, which docs describe in words. */
export function expectedDefault(value: unknown): string | undefined {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return undefined;
  return normalizeValue(value);
}

/** A default written in a doc or TSDoc, arrays in JSON quotes (`['a']` → `["a"]`). */
export function comparable(text: string): string {
  return text.startsWith('[') ? text.replace(/'/g, '"').replace(/,\s*/g, ',') : text;
}

/** What `defaults` says for each option of `options` that has a default, compared with its TSDoc. */
export function tsdocDisagreements(options: OptionDoc[], defaults: Record<string, unknown>, where: string): string[] {
  const out: string[] = [];
  for (const o of options) {
    if (!o.optional) continue;
    const stated = tsdocDefault(o.tsdoc);
    if (stated === undefined) {
      out.push(`${where}: option ${o.name} has no "Default …" in its TSDoc`);
      continue;
    }
    const expected = o.name in defaults ? expectedDefault(defaults[o.name]) : undefined;
    if (expected !== undefined && comparable(stated) !== comparable(expected)) out.push(`${where}: option ${o.name} TSDoc says Default ${stated}, the defaults object has ${expected}`);
  }
  return out;
}

/** Options missing from the docs table, and defaults the table states differently from `defaults`. */
export function tableDisagreements(options: OptionDoc[], defaults: Record<string, unknown>, doc: string, column = 'option'): string[] {
  const table = docsOptionTable(doc, column);
  const out: string[] = [];
  for (const o of options) {
    const cell = table.get(o.name);
    if (cell === undefined) {
      out.push(`${doc}: option ${o.name} has no row in the options table`);
      continue;
    }
    const expected = o.name in defaults ? expectedDefault(defaults[o.name]) : undefined;
    if (expected !== undefined && comparable(cell) !== comparable(expected)) out.push(`${doc}: option ${o.name} default is "${cell}" in the table, the defaults object has ${expected}`);
  }
  return out;
}
