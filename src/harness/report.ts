import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { redact } from '../errors/redact.js';
import type { HarnessSummary, ScenarioReport } from './scenario.js';

/** Evidence keys shown in the SUMMARY.md table (the rest stays in summary.json). */
const SKIP_IN_TABLE = new Set(['kpi', 'injects', 'replay', 'run_seed', 'fault_log', 'per_boundary', 'invariant', 'kills_detail', 'buckets']);

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function short(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(2);
  if (typeof value === 'string' || typeof value === 'boolean') return String(value);
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Condensed evidence for a table cell: `key=value` for the first fields. */
export function evidenceCell(report: ScenarioReport, maxFields = 8): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(report.evidence)) {
    if (SKIP_IN_TABLE.has(k)) continue;
    parts.push(`${k}=${short(v)}`);
    if (parts.length >= maxFields) break;
  }
  return cell(parts.join(', '));
}

/** SUMMARY.md: a table of the scenarios, ending with the line `Failures: N` (SDK_CONTRACTS §4). */
export function renderMarkdown(summary: HarnessSummary): string {
  const lines = [
    '# khala-sync harness report',
    '',
    `- started: ${summary.started_at}`,
    `- finished: ${summary.finished_at}`,
    `- target: ${cell(summary.target)}`,
    `- sdk version: ${summary.sdk_version}`,
    '',
    '| Scenario | Status | Duration | Evidence | Failure |',
    '|---|---|---:|---|---|',
  ];
  for (const s of summary.scenarios) {
    lines.push(`| ${s.name} | ${s.status} | ${(s.duration_ms / 1000).toFixed(2)} s | ${evidenceCell(s)} | ${cell(s.failure ?? '')} |`);
  }
  const counts = { pass: 0, fail: 0, skip: 0 };
  for (const s of summary.scenarios) counts[s.status] += 1;
  // Drills that report named invariants (the migration suite) get them listed in full.
  for (const s of summary.scenarios) {
    const invariants = Object.entries(s.evidence).filter(([k]) => k.startsWith('inv_'));
    if (invariants.length === 0) continue;
    lines.push('', `### ${s.name}`, '', '| Invariant | Result |', '|---|---|', ...invariants.map(([k, v]) => `| ${k.slice('inv_'.length)} | ${short(v)} |`));
  }
  lines.push('', `Scenarios: ${summary.scenarios.length} (pass ${counts.pass}, fail ${counts.fail}, skip ${counts.skip})`, '', `Failures: ${summary.failures}`);
  return `${lines.join('\n')}\n`;
}

/** Write summary.json and SUMMARY.md into `dir` (created). Credentials are scrubbed from both. */
export function writeReport(dir: string, summary: HarnessSummary): { json: string; markdown: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'summary.json');
  const markdown = join(dir, 'SUMMARY.md');
  writeFileSync(json, `${redact(JSON.stringify(summary, null, 2))}\n`);
  writeFileSync(markdown, redact(renderMarkdown(summary)));
  return { json, markdown };
}

/** `2026-11-22T05-31-07Z`: a UTC timestamp usable as a directory name. */
export function timestampDir(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '-');
}
