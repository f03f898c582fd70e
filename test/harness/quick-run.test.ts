import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateGate, findStage } from '../../src/harness/gates.js';
import { SCENARIOS } from '../../src/harness/registry.js';
import { runHarness, type RunResult } from '../../src/harness/runner.js';
import { ensureBuilt } from '../cli/built-cli.js';

// The crash scenario spawns bin/khala-sync.js, which runs from dist/.
let out: string;
let result: RunResult;
const lines: string[] = [];

beforeAll(async () => {
  ensureBuilt();
  out = mkdtempSync(join(tmpdir(), 'khala-harness-quick-'));
  result = await runHarness({ quick: true, seed: 20261122, out, progress: (l) => lines.push(l) });
}, 180_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('harness --quick, in process, against the embedded server', () => {
  it('runs the whole quick subset and every scenario holds', () => {
    const failed = result.summary.scenarios.filter((s) => s.status !== 'pass').map((s) => `${s.name}: ${s.failure ?? s.status}`);
    expect(failed).toEqual([]);
    expect(result.summary.scenarios.map((s) => s.name)).toEqual(SCENARIOS.filter((s) => s.quick).map((s) => s.name));
    expect(result.summary.failures).toBe(0);
    expect(lines).toHaveLength(result.summary.scenarios.length);
    expect(lines[0]).toMatch(/^\[harness\]\s+1\/\d+ PASS replay-from-zero\s+\d+\.\d\d s$/);
  });

  it('writes summary.json exactly per SDK_CONTRACTS §4 and SUMMARY.md ending with Failures: N', () => {
    const json = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual(['failures', 'finished_at', 'scenarios', 'sdk_version', 'started_at', 'target']);
    expect(json['sdk_version']).toBe('0.2.0');
    expect(Date.parse(String(json['started_at']))).toBeLessThanOrEqual(Date.parse(String(json['finished_at'])));
    for (const s of json['scenarios'] as Array<Record<string, unknown>>) {
      expect(Object.keys(s).sort()).toEqual(['duration_ms', 'evidence', 'name', 'status']);
      const ev = s['evidence'] as Record<string, unknown>;
      expect(ev['run_seed']).toBe(20261122);
      expect(typeof ev['seed']).toBe('number');
      expect(String(ev['replay'])).toContain(`--scenario ${String(s['name'])} --seed 20261122 --quick`);
    }
    const md = readFileSync(join(out, 'SUMMARY.md'), 'utf8').trimEnd().split('\n');
    expect(md.at(-1)).toBe('Failures: 0');
    expect(md.filter((l) => l.startsWith('| ')).length).toBe(result.summary.scenarios.length + 1);
  });

  it('records evidence: counts, timings, seeds and fault logs', () => {
    const by = Object.fromEntries(result.summary.scenarios.map((s) => [s.name, s.evidence]));
    expect(by['resume-every-frame-boundary']!['boundaries']).toBeGreaterThan(8);
    expect((by['reconnect-storm']!['kpi'] as { storm: { clients: number } }).storm.clients).toBe(100);
    expect(by['crash-safety-sigkill']!['kills']).toBe(6);
    expect(by['limitation-silent-loss']!['both_copies_dropped']).toMatchObject({ lost_document_present: false });
    expect(by['snapshot-http-errors']!['waited_ms']).toBeGreaterThanOrEqual(1850);
    // Spacetime lane: same invariant, its own evidence.
    const zero = by['spacetime-replay-from-zero']!;
    const events = Object.values(zero['events'] as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(Object.keys(zero['events'] as object)).toHaveLength(3);
    expect(zero['applied']).toEqual({ sqlite: events, memory: events });
    expect(by['spacetime-resume-from-checkpoint']!['applied_after_restart']).toBe(by['spacetime-resume-from-checkpoint']!['published_while_away']);
    const gap = by['spacetime-gap-stale-snapshot']!;
    expect(gap['stale']).toEqual(['runtime.codex.worker.worker_1:retention_floor_breach', 'runtime.codex.worker.worker_1:retention_floor_breach']);
    expect(gap['dropped_delta_seqs']).toHaveLength(3);
  });

  it('evaluates the rollout gates from the run (every KPI measured)', () => {
    const verdict = evaluateGate(result.summary, findStage('canary')!);
    expect(verdict.checks.filter((c) => c.value === null)).toEqual([]);
    expect(verdict.checks.filter((c) => !c.ok)).toEqual([]);
    expect(verdict.go).toBe(true);
  });
});
