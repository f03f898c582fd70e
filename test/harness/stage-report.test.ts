import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultGates, mergeGates } from '../../src/harness/gates-file.js';
import { STAGES } from '../../src/harness/gates.js';
import { kpiChartSvg } from '../../src/harness/kpi-chart.js';
import type { StageReport } from '../../src/harness/stage-report.js';
import { ensureBuilt, startCli } from '../cli/built-cli.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'khala-stage-report-'));
  dirs.push(d);
  return d;
}
let metricsServer: Server | undefined;
beforeAll(() => ensureBuilt(), 120_000);
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await new Promise((r) => (metricsServer ? metricsServer.close(r) : r(undefined)));
});

describe('gates file (khala-sync.gates.v1)', () => {
  it('docs/gates.v1.json is exactly the built-in thresholds', () => {
    expect(JSON.parse(readFileSync('docs/gates.v1.json', 'utf8'))).toEqual(defaultGates());
  });
  it('a deployment file changes only the fields it lists', () => {
    const merged = mergeGates({ schema: 'khala-sync.gates.v1', revision: 7, stages: { 'stage-2': { maxReplayLatencyP95Ms: 6500 } } }, 'deploy.json');
    const s2 = merged.stages.find((s) => s.stage === 'stage-2')!;
    expect(s2).toEqual({ ...STAGES.find((s) => s.stage === 'stage-2'), maxReplayLatencyP95Ms: 6500 });
    expect(merged.stages.filter((s) => s.stage !== 'stage-2')).toEqual(STAGES.filter((s) => s.stage !== 'stage-2'));
    expect(merged.source).toBe('deploy.json (revision 7) over built-in revision 1');
  });
  it.each([
    [{ schema: 'other', revision: 1 }, /schema/],
    [{ schema: 'khala-sync.gates.v1', revision: 1, stages: { 'stage-9': {} } }, /unknown stage/],
    [{ schema: 'khala-sync.gates.v1', revision: 1, stages: { canary: { maxReplayLatencyMs: 1 } } }, /not a threshold/],
    [{ schema: 'khala-sync.gates.v1', revision: 1, stages: { canary: { maxEvictionRate: -1 } } }, /non-negative/],
    [{ schema: 'khala-sync.gates.v1', revision: 'x' }, /revision/],
  ])('refuses %j', (file, message) => {
    expect(() => mergeGates(file, 'f.json')).toThrow(message);
  });
});

describe('KPI chart', () => {
  it('is one SVG with the three panels and no data note where a series is empty', () => {
    const svg = kpiChartSvg({ samples: [{ t: 0, reconnects: 0, maxLag: 10 }, { t: 2, reconnects: 3, maxLag: 0 }], replays: [], scenarios: [{ t: 0, name: 'a<b' }] }, 'run & chart');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('Replay latency');
    expect(svg).toContain('Reconnects');
    expect(svg).toContain('Largest lag');
    expect(svg).toContain('no data in this run');
    expect(svg).toContain('run &amp; chart');
    expect(svg).not.toContain('a<b');
  });
});

describe('khala-sync harness --gate --owner (stage report)', () => {
  it('writes the stage report: gates with threshold, measured, result and command; signed statement; blockers; chart; server metrics', async () => {
    metricsServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ upgradesRefused: 0, staleCursors: 2 })));
    await new Promise<void>((r) => metricsServer!.listen(0, '127.0.0.1', () => r()));
    const port = (metricsServer.address() as { port: number }).port;
    const out = tmp();
    const gatesFile = join(out, 'deploy-gates.json');
    writeFileSync(gatesFile, JSON.stringify({ schema: 'khala-sync.gates.v1', revision: 3, stages: { canary: { maxReplayLatencyP95Ms: 60_000 } } }));
    const run = startCli(['harness', '--quick', '--scenario', 'replay-from-zero', '--out', out, '--seed', '5', '--gate', 'canary', '--owner', 'Ada Lovelace', '--gates', gatesFile, '--server-metrics-url', `http://127.0.0.1:${port}/stats`]);
    expect(await run.exited).toBe(1); // one scenario cannot measure the storm gates: NO-GO
    const report = JSON.parse(readFileSync(join(out, 'stage-report.json'), 'utf8')) as StageReport;
    expect(report).toMatchObject({ schema: 'khala-sync.stage-report.v1', stage: 'canary', traffic_percent: 1, decision: 'NO-GO', owner: 'Ada Lovelace' });
    expect(report.statement).toMatch(/^NO-GO: advance to canary \(1% of traffic\) refused by Ada Lovelace at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(run.stdout()).toContain(report.statement);
    expect(report.thresholds_source).toBe(`${gatesFile} (revision 3) over built-in revision 1`);
    const latency = report.gates.find((g) => g.gate === 'replay latency p95 (ms)')!;
    expect(latency).toMatchObject({ threshold: 60_000, result: 'PASS', scenarios: ['replay-from-zero'] });
    expect(latency.measured).toBeGreaterThan(0);
    expect(latency.command).toMatch(/^khala-sync harness --quick --gate canary --owner Ada Lovelace --gates .+ --scenario replay-from-zero --seed 5$/);
    for (const g of report.gates) expect(['PASS', 'FAIL']).toContain(g.result);
    const storm = report.gates.find((g) => g.gate.startsWith('reconnect storm: peak'))!;
    expect(storm).toMatchObject({ measured: null, result: 'FAIL' });
    expect(report.blockers.map((b) => b.gate)).toEqual(report.gates.filter((g) => g.result === 'FAIL').map((g) => g.gate));
    expect(report.blockers.every((b) => b.remediation.length > 20)).toBe(true);
    expect(report.server_metrics).toMatchObject({ status: 200, file: 'server-metrics.json', error: null });
    expect(JSON.parse(readFileSync(join(out, 'server-metrics.json'), 'utf8'))).toMatchObject({ metrics: { staleCursors: 2 } });
    const html = readFileSync(join(out, 'stage-report.html'), 'utf8');
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(html).toContain('Ada Lovelace');
    expect(readFileSync(join(out, 'kpi-chart.svg'), 'utf8')).toContain('Replay latency');
    const timeline = (JSON.parse(readFileSync(join(out, 'stage-report.json'), 'utf8')) as { kpi_timeline: { replays: unknown[]; samples: unknown[] } }).kpi_timeline;
    expect(timeline.replays.length).toBeGreaterThan(0);
    expect(timeline.samples.length).toBeGreaterThan(0);
    const md = readFileSync(join(out, 'STAGE-REPORT.md'), 'utf8');
    expect(md).toContain('| gate | threshold | measured | result | command |');
    expect(md).toContain('## Blockers');
  }, 120_000);

  it('a bad gates file and --owner without --gate are usage errors', async () => {
    const out = tmp();
    const bad = join(out, 'bad.json');
    writeFileSync(bad, '{"schema":"khala-sync.gates.v1","revision":1,"stages":{"canary":{"nope":1}}}');
    expect(await startCli(['harness', '--gate', 'canary', '--gates', bad, '--out', out]).exited).toBe(2);
    expect(await startCli(['harness', '--owner', 'x', '--out', out]).exited).toBe(2);
  }, 60_000);
});
