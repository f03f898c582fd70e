// conformance/README.md is what a port reads; these checks fail when its vector table or its
// rule → vectors table drifts from the vector files, or when a SPEC.md rule has no vector.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Vector } from './runner/vector.js';

const here = dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(join(here, 'README.md'), 'utf8');
const spec = readFileSync(join(here, '..', 'src', 'replay', 'SPEC.md'), 'utf8');
const vectors = readdirSync(join(here, 'vectors'))
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(here, 'vectors', f), 'utf8')) as Vector);

/** `| 027 | \`027-…\` | R1, R3 | title |` rows of the README's vector table, by number. */
function vectorRows(): Map<string, { id: string; rules: string[]; title: string }> {
  const rows = new Map<string, { id: string; rules: string[]; title: string }>();
  for (const m of readme.matchAll(/^\| (\d{3}) \| `([^`]+)` \| ([^|]+) \| (.+) \|$/gm)) {
    rows.set(m[1]!, { id: m[2]!, rules: m[3]!.split(',').map((r) => r.trim()), title: m[4]!.trim() });
  }
  return rows;
}

/** `| R3 | 027, 028 |` rows of the README's rule → vectors table. */
function ruleRows(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const m of readme.matchAll(/^\| ([ASRC]\d+|§[\d.]+) \| ([\d, ]+) \|$/gm)) rows.set(m[1]!, m[2]!.split(',').map((n) => n.trim()));
  return rows;
}

/** Rule ids defined in SPEC.md (`- **A1 Duplicates.**`). */
function specRules(text: string): string[] {
  return [...text.matchAll(/^- \*\*([ASRC]\d+) /gm)].map((m) => m[1]!);
}

describe('conformance/README.md agrees with the vector files', () => {
  it('every vector has a row with its file name, rules and title, word for word', () => {
    const rows = vectorRows();
    expect(rows.size).toBe(vectors.length);
    for (const v of vectors) {
      const row = rows.get(v.id.slice(0, 3));
      expect(row, `${v.id}: no README row`).toBeDefined();
      expect({ id: row!.id, rules: row!.rules, title: row!.title }, v.id).toEqual({ id: v.id, rules: v.rules, title: v.title });
    }
  });

  it('the rule → vectors table lists exactly the vectors that cite each rule', () => {
    const want = new Map<string, string[]>();
    for (const v of vectors) {
      for (const rule of v.rules) {
        // The Spacetime vectors' §n cite spacetime.md; the table's §n rows are the Khala sections.
        if (rule.startsWith('§') && v.lane === 'spacetime') continue;
        want.set(rule, [...(want.get(rule) ?? []), v.id.slice(0, 3)]);
      }
    }
    expect(Object.fromEntries([...ruleRows()].sort())).toEqual(Object.fromEntries([...want].sort()));
  });

  it('every rule SPEC.md defines is cited by at least one vector', () => {
    const rules = specRules(spec);
    expect(rules.length).toBeGreaterThanOrEqual(33); // A1–A13, S1–S6, R1–R12, C1–C2
    const cited = new Set(vectors.flatMap((v) => v.rules));
    expect(rules.filter((r) => !cited.has(r))).toEqual([]);
  });
});
