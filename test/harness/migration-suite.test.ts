import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Invariants } from '../../src/harness/migration-drill.js';
import { runHarness, selectScenarios } from '../../src/harness/runner.js';
import { ScenarioFailure } from '../../src/harness/scenario.js';

describe('harness --suite migration (the mixed-version drill)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'khala-migration-suite-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every old shape through expand → migrate → verify → live session (both lanes) → rollback → old reader and reports each invariant', async () => {
    const out = join(dir, 'report');
    const { summary } = await runHarness({ suite: 'migration', out, seed: 7 });
    expect(summary.scenarios.map((s) => [s.name, s.status, s.failure])).toStrictEqual([
      ['migration-web-state-khala', 'pass', undefined],
      ['migration-desktop-checkpoints-spacetime', 'pass', undefined],
      ['migration-sqlite-topics-to-streams', 'pass', undefined],
      ['migration-sqlite-schema-upgrade', 'pass', undefined],
    ]);
    expect(summary.failures).toBe(0);
    for (const s of summary.scenarios) {
      for (const inv of ['expand_new_reader_reads_old_shape', 'verify_passes', 'rerun_is_unchanged', 'live_session_no_duplicate', 'live_session_no_gap_across_the_move', 'rollback_exact_bytes', 'old_reader_after_rollback']) {
        expect(s.evidence[`inv_${inv}`], `${s.name} ${inv}`).toBe('pass');
      }
    }
    // Every older SQLite schema version was upgraded in place: v0, and v1 (before snapshot staging).
    expect(summary.scenarios.find((s) => s.name === 'migration-sqlite-schema-upgrade')?.evidence['schema_versions_upgraded']).toStrictEqual([0, 1]);
    expect(existsSync(join(out, 'summary.json'))).toBe(true);
    const md = readFileSync(join(out, 'SUMMARY.md'), 'utf8');
    expect(md).toContain('| rollback_exact_bytes | pass |');
    expect(md.trimEnd().endsWith('Failures: 0')).toBe(true);
  }, 180_000);

  it('a failed invariant fails the scenario and names it; unknown suites are refused', () => {
    const inv = new Invariants();
    inv.check('a', true);
    inv.check('b', false, { seen: [1, 1] });
    inv.check('a', true);
    expect(() => inv.finish()).toThrow(ScenarioFailure);
    expect(() => inv.finish()).toThrow('invariant(s) failed: b');
    expect(() => selectScenarios(undefined, false, undefined, 'nope')).toThrow(/unknown suite 'nope'/);
    expect(selectScenarios(undefined, false).some((s) => s.family === 'migration')).toBe(false);
  });
});
