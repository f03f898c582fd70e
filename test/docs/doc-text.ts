import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Reading the docs as the tests in test/docs/ compare them with the code: real files, no copies.

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A repository file as text (`docs/errors.md`, `src/client/options.ts`...). */
export function readRepoFile(path: string): string {
  return readFileSync(ROOT + path, 'utf8');
}

/** One row of a Markdown table: its cells by header name (lower case), inline code kept. */
export type TableRow = Record<string, string>;

/** Split a table line into its cells; an escaped `\|` stays inside its cell. */
function cells(line: string): string[] {
  return line.trim().replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/).map((c) => c.trim());
}

/**
 * Every Markdown table of `markdown` whose header has a column named `column` (case-insensitive),
 * as rows keyed by header names. Tables of other shapes are skipped.
 */
export function tablesWithColumn(markdown: string, column: string): TableRow[][] {
  const lines = markdown.split('\n');
  const tables: TableRow[][] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    const line = lines[i] as string;
    if (!line.startsWith('|') || !/^\|[\s|:-]+\|$/.test((lines[i + 1] as string).trim())) continue;
    const header = cells(line).map((h) => h.toLowerCase());
    if (!header.includes(column.toLowerCase())) continue;
    const rows: TableRow[] = [];
    let j = i + 2;
    for (; j < lines.length && (lines[j] as string).startsWith('|'); j++) {
      const values = cells(lines[j] as string);
      rows.push(Object.fromEntries(header.map((h, k) => [h, values[k] ?? ''])));
    }
    tables.push(rows);
    i = j;
  }
  return tables;
}

/** The `inline code` spans of a Markdown cell, without their backticks. */
export function codeSpans(text: string): string[] {
  return [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
}

/**
 * A default as written in a doc or a TSDoc comment, in one spelling so that `10_000`, `10 000` and
 * `10000` compare equal, as do `'info'` and `info`, `16 MiB` and `16777216`.
 */
export function normalizeDefault(text: string): string {
  let t = text.trim().replace(/^`(.*)`$/, '$1').replace(/\.$/, '').trim();
  t = t.replace(/^'(.*)'$/, '$1');
  const units = /^(\d[\d_  ]*)\s*(KiB|MiB)$/.exec(t);
  if (units) return String(Number((units[1] as string).replace(/[_  ]/g, '')) * (units[2] === 'KiB' ? 1024 : 1024 * 1024));
  if (/^\d[\d_  ]*$/.test(t)) return String(Number(t.replace(/[_  ]/g, '')));
  return t;
}

/** The value of a defaults object's entry in the same spelling as {@link normalizeDefault}. */
export function normalizeValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
