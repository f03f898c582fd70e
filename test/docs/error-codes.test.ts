import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { codeSpans, readRepoFile, tablesWithColumn } from './doc-text.js';

// docs/errors.md is the one place error codes are documented: every code the SDK reports has a row
// there, and no row names a code the SDK no longer has.

/** Every code named in the `code` column of docs/errors.md's tables (a cell may list several). */
function documentedCodes(): Set<string> {
  const rows = tablesWithColumn(readRepoFile('docs/errors.md'), 'code').flat();
  return new Set(rows.flatMap((row) => codeSpans(row['code'] ?? '')));
}

describe('docs/errors.md and ErrorCodes', () => {
  const documented = documentedCodes();
  const codes = new Set<string>(Object.values(ErrorCodes));

  it('has a row for every ErrorCodes value', () => {
    const missing = [...codes].filter((c) => !documented.has(c));
    expect(missing, `codes in src/errors/codes.ts without a row in a docs/errors.md table: add one`).toEqual([]);
  });

  it('names no code that ErrorCodes does not have', () => {
    const stale = [...documented].filter((c) => !codes.has(c));
    expect(stale, `codes in docs/errors.md tables that src/errors/codes.ts does not define: remove the row or add the code`).toEqual([]);
  });
});
