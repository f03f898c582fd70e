import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SPACETIME_LANE_DEFAULTS } from '../../src/adapters/spacetime/spacetime-lane.js';
import { CLIENT_DEFAULTS } from '../../src/client/options.js';
import { ROOT, readRepoFile } from './doc-text.js';

// The docs restate defaults in running text ("`deadAfterMs` (45 s)", "`maxFrameBytes` (default
// 16 MiB)"); each such mention must still be the default of CLIENT_DEFAULTS (or of the Spacetime lane).

const UNIT: Record<string, number> = { '': 1, ms: 1, s: 1000, KiB: 1024, MiB: 1024 * 1024 };

/** Numeric defaults by option name. */
const numericDefaults: Record<string, number> = Object.fromEntries(
  Object.entries({ ...CLIENT_DEFAULTS, ...SPACETIME_LANE_DEFAULTS }).filter((e): e is [string, number] => typeof e[1] === 'number'),
);

const files = ['README.md', 'src/replay/SPEC.md', ...readdirSync(ROOT + 'docs').filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

describe('defaults restated in the docs prose', () => {
  it('"`option` (value)" names the default of the defaults object', () => {
    const wrong: string[] = [];
    let seen = 0;
    for (const file of files) {
      for (const m of readRepoFile(file).matchAll(/`(\w+)` \((?:default )?(\d[\d  _]*(?:\.\d+)?)\s*(ms|s|KiB|MiB)?(?=[);,])/g)) {
        const [, name, digits, unit] = m as unknown as [string, string, string, string | undefined];
        const expected = numericDefaults[name];
        if (expected === undefined) continue;
        seen++;
        const stated = Number(digits.replace(/[  _]/g, '')) * (UNIT[unit ?? ''] ?? NaN);
        if (stated !== expected) wrong.push(`${file}: \`${name}\` (${digits.trim()}${unit ? ` ${unit}` : ''}) but the default is ${expected}`);
      }
    }
    expect(seen, 'the pattern should find the restated defaults').toBeGreaterThan(10);
    expect(wrong).toEqual([]);
  });
});
