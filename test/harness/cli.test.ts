import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReferenceServer, startSpacetimeServer, type ReferenceServer } from '../../src/server/index.js';
import { ensureBuilt, startCli } from '../cli/built-cli.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'khala-harness-cli-'));
  dirs.push(d);
  return d;
}
let server: ReferenceServer | undefined;
beforeAll(() => ensureBuilt(), 120_000);
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await server?.close();
});

describe('khala-sync harness (built CLI)', () => {
  it('runs one scenario, writes the report, prints one summary line, exits 0', async () => {
    const out = tmp();
    const run = startCli(['harness', '--quick', '--scenario', 'resume-from-checkpoint', '--out', out, '--seed', '7']);
    expect(await run.exited).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { failures: number; target: string; scenarios: Array<{ name: string; status: string; duration_ms: number; evidence: Record<string, unknown> }> };
    expect(summary.failures).toBe(0);
    expect(summary.target).toContain('embedded');
    expect(summary.scenarios).toHaveLength(1);
    expect(summary.scenarios[0]).toMatchObject({ name: 'resume-from-checkpoint', status: 'pass' });
    expect(summary.scenarios[0]!.evidence['run_seed']).toBe(7);
    expect(readFileSync(join(out, 'SUMMARY.md'), 'utf8').trimEnd().split('\n').at(-1)).toBe('Failures: 0');
    const stdout = run.stdout().trimEnd().split('\n');
    expect(stdout).toHaveLength(1);
    expect(stdout[0]).toMatch(/^harness: 1 scenario\(s\), pass 1, fail 0, skip 0; seed 7; report .+; Failures: 0$/);
    expect(run.stderr()).toMatch(/\[harness\]\s+1\/1 PASS resume-from-checkpoint/);
  }, 60_000);

  it('--gate prints an explicit GO / NO-GO with a timestamp and writes gate.json', async () => {
    const out = tmp();
    // One scenario cannot measure every KPI: the gate must say NO-GO (not measured) and exit non-zero.
    const run = startCli(['harness', '--quick', '--scenario', 'replay-from-zero', '--out', out, '--seed', '3', '--gate', 'stage-2']);
    expect(await run.exited).toBe(1);
    expect(run.stdout()).toMatch(/^NO-GO: stage stage-2 \(25%\) at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/m);
    expect(run.stdout()).toContain('not measured in this run');
    const gate = JSON.parse(readFileSync(join(out, 'gate.json'), 'utf8')) as { go: boolean; stage: string };
    expect(gate).toMatchObject({ go: false, stage: 'stage-2' });
  }, 60_000);

  it('deployment mode runs only the scenarios that need no server control and says so', async () => {
    server = await startReferenceServer({ port: 0 });
    for (let i = 0; i < 120; i++) server.publish('runtime.run_summaries', [{ docKey: `d${i % 9}`, payload: { i } }]);
    const out = tmp();
    const run = startCli(['harness', '--url', server.url, '--token-url', server.tokenUrl, '--scenario', 'replay-from-zero', '--scenario', 'duplicate-delivery', '--scenario', 'stale-retention-floor', '--quick', '--out', out, '--seed', '1']);
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toMatch(/deployment mode .* running the 2 scenario\(s\) that need no server control; skipped .*: stale-retention-floor/);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { target: string; scenarios: Array<{ name: string; status: string; evidence: Record<string, unknown> }> };
    expect(summary.target).toBe(server.url);
    expect(summary.scenarios.map((s) => [s.name, s.status])).toEqual([
      ['replay-from-zero', 'pass'],
      ['stale-retention-floor', 'skip'],
      ['duplicate-delivery', 'pass'],
    ]);
    expect(String(summary.scenarios[1]!.evidence['reason'])).toContain('needs server control');
  }, 60_000);

  it('deployment mode --lane spacetime runs the Spacetime scenarios that need no control against a Spacetime server; the Khala ones are skipped as the other lane', async () => {
    const st = await startSpacetimeServer({ port: 0 });
    try {
      for (let i = 0; i < 60; i++) st.publish('st.worker', [{ payload: { i } }, { payload: { i, second: true } }]);
      st.publish('st.run', [{ payload: { run: 1 } }]);
      const out = tmp();
      const args = ['harness', '--url', st.url, '--token-url', st.tokenUrl, '--snapshot-url', st.snapshotUrl, '--lane', 'spacetime', '--topic', 'st.worker', '--topic', 'st.run'];
      const run = startCli([...args, '--scenario', 'spacetime-replay-from-zero', '--scenario', 'spacetime-resume-from-checkpoint', '--scenario', 'spacetime-gap-stale-snapshot', '--scenario', 'replay-from-zero', '--quick', '--out', out, '--seed', '4']);
      expect(await run.exited).toBe(0);
      expect(run.stderr()).toMatch(/deployment mode \(.*, --lane spacetime\): running the 2 scenario\(s\).*skipped \(need the embedded server's controls\): spacetime-gap-stale-snapshot; skipped \(other lane\): replay-from-zero/);
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { scenarios: Array<{ name: string; status: string; evidence: Record<string, unknown> }> };
      expect(summary.scenarios.map((s) => [s.name, s.status])).toEqual([
        ['replay-from-zero', 'skip'],
        ['spacetime-replay-from-zero', 'pass'],
        ['spacetime-resume-from-checkpoint', 'pass'],
        ['spacetime-gap-stale-snapshot', 'skip'],
      ]);
      expect(String(summary.scenarios[0]!.evidence['reason'])).toBe('speaks the khala lane; the deployment is --lane spacetime');
      // The oracle (a clean Spacetime-lane client) saw every row of both streams.
      expect(summary.scenarios[1]!.evidence['events']).toEqual({ 'st.worker': 120, 'st.run': 1 });
    } finally {
      await st.close();
    }
  }, 60_000);

  it('usage errors exit 2', async () => {
    const lane = startCli(['harness', '--lane', 'phoenix']);
    expect(await lane.exited).toBe(2);
    expect(lane.stderr()).toContain("--lane must be 'khala' or 'spacetime'");
    const streams = startCli(['harness', '--url', 'ws://127.0.0.1:9/v1/database/x/subscribe', '--token', 't', '--lane', 'spacetime']);
    expect(await streams.exited).toBe(2);
    expect(streams.stderr()).toContain('--lane spacetime with --url needs at least one --topic');
    const bad = startCli(['harness', '--scenario', 'no-such-scenario']);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toContain('unknown scenario(s): no-such-scenario');
    const gate = startCli(['harness', '--gate', 'stage-9']);
    expect(await gate.exited).toBe(2);
  }, 30_000);
});
