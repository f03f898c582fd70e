import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GateCheck, GateVerdict } from './gates.js';
import { kpiChartSvg, type KpiTimeline } from './kpi-chart.js';
import type { HarnessSummary } from './scenario.js';

/** What the server's metrics endpoint returned, kept as evidence (`--server-metrics-url`). */
export interface ServerMetricsEvidence {
  url: string;
  fetched_at: string;
  /** HTTP status, or null when the fetch itself failed. */
  status: number | null;
  /** File (in the report directory) holding the body, when one was received. */
  file: string | null;
  error: string | null;
}

/** One gate as the runbook's stage report lists it. */
export interface StageGate {
  gate: string;
  threshold: number;
  measured: number | null;
  result: 'PASS' | 'FAIL';
  /** Reproduces the measurement: the harness command limited to the scenarios that fed it. */
  command: string;
  scenarios: string[];
  note: string;
}

/** The rollout stage report (runbook "required artifacts"), as stage-report.json. */
export interface StageReport {
  schema: 'khala-sync.stage-report.v1';
  stage: string;
  traffic_percent: number;
  decision: 'GO' | 'NO-GO';
  /** The go/no-go statement, with owner and timestamp. */
  statement: string;
  owner: string;
  decided_at: string;
  thresholds_source: string;
  command: string;
  target: string;
  sdk_version: string;
  run: { started_at: string; finished_at: string; seed: number };
  gates: StageGate[];
  blockers: Array<{ gate: string; measured: number | null; threshold: number; remediation: string }>;
  server_metrics: ServerMetricsEvidence | null;
  kpi_chart: string;
}

const REMEDIATION: Record<string, string> = {
  scenario_failures: 'Rerun each failing scenario with the replay command in SUMMARY.md; fix the regression and rerun the gate before advancing.',
  duplicates: 'A duplicate apply is a correctness bug: hold the rollout, take topic and watermark from the scenario evidence, add a conformance vector, fix, rerun.',
  out_of_order: 'An out-of-order apply is a correctness bug: hold the rollout, capture the batch sequence from the evidence, add a conformance vector, fix, rerun.',
  stale_cursor_rate: 'Compare server retention with how long clients stay offline; raise retention or resume sooner; check that cursors are persisted only after commit.',
  replay_latency_p95: 'Profile replay (npm run bench -- --only=replay); check server replay batch size and khala_sync_store_commit_duration_seconds on the affected surface.',
  bootstrap_latency_p95: 'Check snapshot endpoint latency and page size and khala_sync_snapshot_bootstrap_duration_seconds per surface; move slow surfaces to a later stage.',
  storm_peak_fraction: 'Reconnects are too synchronized: check khala_sync_reconnect_delay_seconds, widen backoff jitter, make the server send reconnect_after_ms hints.',
  storm_time_to_all_live: 'Server accept or join cost during restarts: stagger restarts, check 1012 handling and token endpoint capacity during the storm.',
  storm_attempts_per_client: 'Clients need too many attempts: check token endpoint availability during restarts and the backoff floor.',
  eviction_rate: 'Slow consumers: check client apply and commit time and khala_sync_inbound_queue_depth; raise server queue limits or batch sizes.',
  auth_failure_rate: 'Check token TTL against connect time, clock skew and token endpoint errors (khala_sync_reconnects_total{reason="unauthorized"}).',
};

function fmt(v: number | null): string {
  if (v === null) return 'not measured';
  return Number.isInteger(v) ? String(v) : v.toFixed(4);
}

/** Assemble the stage report from a gate verdict and the run it was evaluated on. */
export function buildStageReport(input: {
  verdict: GateVerdict;
  summary: HarnessSummary;
  owner: string;
  command: string;
  baseCommand: string;
  seed: number;
  thresholdsSource: string;
  serverMetrics: ServerMetricsEvidence | null;
}): StageReport {
  const { verdict, summary } = input;
  const gates: StageGate[] = verdict.checks.map((c: GateCheck) => ({
    gate: c.kpi,
    threshold: c.limit,
    measured: c.value,
    result: c.ok ? 'PASS' : 'FAIL',
    command: `${input.baseCommand}${c.scenarios.map((s) => ` --scenario ${s}`).join('')} --seed ${input.seed}`,
    scenarios: c.scenarios,
    note: c.note,
  }));
  const decision = verdict.go ? 'GO' : 'NO-GO';
  return {
    schema: 'khala-sync.stage-report.v1',
    stage: verdict.stage,
    traffic_percent: verdict.traffic,
    decision,
    statement: `${decision}: advance to ${verdict.stage} (${verdict.traffic}% of traffic) ${verdict.go ? 'approved' : 'refused'} by ${input.owner} at ${verdict.evaluated_at}`,
    owner: input.owner,
    decided_at: verdict.evaluated_at,
    thresholds_source: input.thresholdsSource,
    command: input.command,
    target: summary.target,
    sdk_version: summary.sdk_version,
    run: { started_at: summary.started_at, finished_at: summary.finished_at, seed: input.seed },
    gates,
    blockers: verdict.checks
      .filter((c) => !c.ok)
      .map((c) => ({ gate: c.kpi, measured: c.value, threshold: c.limit, remediation: c.value === null ? `Not measured: run the scenarios that measure it (${c.note}).` : (REMEDIATION[c.id] ?? 'Investigate the scenario evidence in summary.json.') })),
    server_metrics: input.serverMetrics,
    kpi_chart: 'kpi-chart.svg',
  };
}

const escHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const cell = (s: string): string => s.replace(/\|/g, '\\|');

/** STAGE-REPORT.md: the same content as the JSON, for people. */
export function renderStageMarkdown(r: StageReport): string {
  const lines = [
    `# Stage report: ${r.stage} (${r.traffic_percent}% of traffic)`,
    '',
    `**${r.statement}**`,
    '',
    `Target: ${r.target} · SDK ${r.sdk_version} · run ${r.run.started_at} → ${r.run.finished_at} · seed ${r.run.seed}`,
    `Thresholds: ${r.thresholds_source} · command: \`${r.command}\``,
    '',
    '| gate | threshold | measured | result | command |',
    '|---|---:|---:|:---:|---|',
    ...r.gates.map((g) => `| ${cell(g.gate)} | ${fmt(g.threshold)} | ${fmt(g.measured)} | ${g.result === 'PASS' ? 'PASS' : '**FAIL**'} | \`${cell(g.command)}\` |`),
    '',
    '## Blockers',
    '',
    ...(r.blockers.length === 0 ? ['None.'] : r.blockers.map((b) => `- **${b.gate}**: measured ${fmt(b.measured)}, threshold ${fmt(b.threshold)}. Remediation: ${b.remediation}`)),
    '',
    '## Evidence',
    '',
    `- KPI chart: [${r.kpi_chart}](${r.kpi_chart}) (also in stage-report.html)`,
    '- Scenario evidence: summary.json, SUMMARY.md; gate verdict: gate.json, GATE.md',
    r.server_metrics === null
      ? '- Server metrics: not requested (--server-metrics-url)'
      : `- Server metrics: ${r.server_metrics.url} at ${r.server_metrics.fetched_at}: ${r.server_metrics.file ? `HTTP ${r.server_metrics.status}, kept in ${r.server_metrics.file}` : `unavailable (${r.server_metrics.error ?? `HTTP ${r.server_metrics.status}`})`}`,
    '',
  ];
  return lines.join('\n');
}

/** stage-report.html: the report with the KPI chart embedded (one self-contained file). */
export function renderStageHtml(r: StageReport, svg: string): string {
  const rows = r.gates
    .map((g) => `<tr><td>${escHtml(g.gate)}</td><td class="n">${fmt(g.threshold)}</td><td class="n">${fmt(g.measured)}</td><td class="${g.result}">${g.result}</td><td><code>${escHtml(g.command)}</code></td></tr>`)
    .join('\n');
  const blockers = r.blockers.length === 0 ? '<p>None.</p>' : `<ul>${r.blockers.map((b) => `<li><b>${escHtml(b.gate)}</b>: measured ${fmt(b.measured)}, threshold ${fmt(b.threshold)}. ${escHtml(b.remediation)}</li>`).join('')}</ul>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Stage report ${escHtml(r.stage)}</title>
<style>body{font-family:sans-serif;max-width:960px;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 6px;font-size:13px}.n{text-align:right}.PASS{color:#060}.FAIL{color:#b00;font-weight:bold}.GO{color:#060}.NO-GO{color:#b00}</style></head>
<body>
<h1>Stage report: ${escHtml(r.stage)} (${r.traffic_percent}% of traffic)</h1>
<p class="${r.decision}"><b>${escHtml(r.statement)}</b></p>
<p>Target: ${escHtml(r.target)} · SDK ${escHtml(r.sdk_version)} · seed ${r.run.seed} · thresholds: ${escHtml(r.thresholds_source)}</p>
<h2>KPIs over the run</h2>
${svg}
<h2>Gates</h2>
<table><tr><th>gate</th><th>threshold</th><th>measured</th><th>result</th><th>command</th></tr>
${rows}
</table>
<h2>Blockers and remediation</h2>
${blockers}
</body></html>
`;
}

/** Write stage-report.json, STAGE-REPORT.md, stage-report.html and kpi-chart.svg into `dir`. */
export function writeStageReport(dir: string, report: StageReport, timeline: KpiTimeline): void {
  const svg = kpiChartSvg(timeline, `${report.stage}: replay latency, reconnects and lag over the run`);
  writeFileSync(join(dir, 'kpi-chart.svg'), svg);
  writeFileSync(join(dir, 'stage-report.json'), `${JSON.stringify({ ...report, kpi_timeline: timeline }, null, 2)}\n`);
  writeFileSync(join(dir, 'STAGE-REPORT.md'), renderStageMarkdown(report));
  writeFileSync(join(dir, 'stage-report.html'), renderStageHtml(report, svg));
}
