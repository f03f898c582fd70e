// Printing and writing results: the stdout table, latest.json, the SVG chart, the markdown table.

const UNIT_FORMAT = {
  'updates/s': (v) => (v >= 1e6 ? `${(v / 1e6).toFixed(2)}M/s` : `${(v / 1e3).toFixed(1)}k/s`),
  s: (v) => `${v.toFixed(v < 10 ? 2 : 1)} s`,
  ms: (v) => `${v.toFixed(2)} ms`,
  KB: (v) => `${v.toFixed(1)} KB`,
};

export function fmt(value, unit) {
  if (value == null) return '—';
  return (UNIT_FORMAT[unit] ?? ((v) => `${v.toFixed(2)} ${unit}`))(value);
}

export function targetText(row) {
  const t = row.target;
  if (!t) return 'info';
  return t.kind === 'ratio' ? `${t.op === '>=' ? '≥' : '≤'} ${t.value.toFixed(2)}×` : `${t.op === '>=' ? '≥' : '≤'} ${fmt(t.value, row.unit)}`;
}

export function verdict(row) {
  return row.pass == null ? '—' : row.pass ? 'PASS' : 'FAIL';
}

/** Plain-text table for stdout. */
export function textTable(rows) {
  const head = ['figure', 'khala-sync (median)', 'baseline (median)', 'ratio', 'target', 'result'];
  const body = rows.map((r) => [
    `${r.figure.split(' ')[0]}. ${r.label}`,
    fmt(r.khala.median, r.unit),
    r.baseline ? `${fmt(r.baseline.median, r.unit)} ${r.baselineName}` : '—',
    r.ratio == null ? '—' : `${r.ratio.toFixed(2)}×`,
    targetText(r),
    verdict(r),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 || i === 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** Markdown table (README and docs/benchmarks.md). */
export function markdownTable(rows) {
  const out = ['| figure | khala-sync | baseline | ratio | target | result |', '|---|---:|---|---:|---:|:---:|'];
  for (const r of rows) {
    const range = r.khala.min != null && r.khala.min !== r.khala.max ? ` <sub>(${fmt(r.khala.min, r.unit)}–${fmt(r.khala.max, r.unit)})</sub>` : '';
    out.push(
      `| ${r.figure.split(' ')[0]}. ${r.label} | ${fmt(r.khala.median, r.unit)}${range} | ${r.baseline ? `${r.baselineName}: ${fmt(r.baseline.median, r.unit)}` : '—'} | ${r.ratio == null ? '—' : `${r.ratio.toFixed(2)}×`} | ${targetText(r).replace('≥', '≥ ').replace('≤', '≤ ').replace(/ {2}/g, ' ')} | ${r.pass == null ? 'info' : r.pass ? '**PASS**' : '**FAIL**'} |`,
    );
  }
  return out.join('\n');
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * One bar per row, in two panels: "higher is better" (throughput, as × baseline) and "lower is
 * better" (times as × baseline; heap and bundle as × budget). The dark tick is the target; green
 * passes, red fails, grey is information only.
 */
export function svgChart(rows, meta) {
  const score = (r) => {
    if (r.target?.kind === 'abs') return { value: r.khala.median / r.target.value, target: 1, text: `${fmt(r.khala.median, r.unit)} = ${(r.khala.median / r.target.value).toFixed(2)}× budget` };
    if (r.ratio == null) return null;
    return { value: r.ratio, target: r.target?.value ?? null, text: `${r.ratio.toFixed(2)}× — ${fmt(r.khala.median, r.unit)} vs ${fmt(r.baseline.median, r.unit)} ${r.baselineName}` };
  };
  const higher = rows.filter((r) => r.unit === 'updates/s' && score(r));
  const lower = rows.filter((r) => r.unit !== 'updates/s' && score(r));
  const W = 1240;
  const labelW = 330;
  const barW = 380;
  const rowH = 22;
  let y = 70;
  const parts = [];
  const panel = (title, list) => {
    if (list.length === 0) return;
    const max = Math.min(8, Math.max(1.25, ...list.map((r) => score(r).value), ...list.map((r) => score(r).target ?? 0)) * 1.05);
    const x = (v) => labelW + (Math.min(v, max) / max) * barW;
    parts.push(`<text x="10" y="${y}" class="h">${esc(title)}</text>`);
    y += 10;
    const top = y;
    for (let v = 0; v <= max + 1e-9; v += max > 4 ? 1 : 0.25) {
      parts.push(`<line x1="${x(v)}" y1="${top}" x2="${x(v)}" y2="${top + list.length * rowH}" class="grid"/>`);
      parts.push(`<text x="${x(v)}" y="${top + list.length * rowH + 12}" class="tick">${v.toFixed(max > 4 ? 0 : 2)}×</text>`);
    }
    parts.push(`<line x1="${x(1)}" y1="${top}" x2="${x(1)}" y2="${top + list.length * rowH}" class="one"/>`);
    for (const r of list) {
      const s = score(r);
      const cls = r.pass == null ? 'info' : r.pass ? 'pass' : 'fail';
      parts.push(`<text x="${labelW - 8}" y="${y + 15}" class="label">${esc(`${r.figure.split(' ')[0]}. ${r.label}`)}</text>`);
      parts.push(`<rect x="${labelW}" y="${y + 4}" width="${Math.max(1, x(s.value) - labelW)}" height="${rowH - 8}" class="${cls}"/>`);
      if (s.target != null) parts.push(`<line x1="${x(s.target)}" y1="${y + 1}" x2="${x(s.target)}" y2="${y + rowH - 1}" class="target"/>`);
      const verdictText = r.pass == null ? 'info' : r.pass ? 'PASS' : 'FAIL';
      parts.push(`<text x="${labelW + barW + 14}" y="${y + 15}" class="val"><tspan class="${cls}t">${verdictText}</tspan>  ${esc(`${s.text}${r.target ? ` · target ${targetText(r)}` : ''}`)}</text>`);
      y += rowH;
    }
    y += 34;
  };
  panel('Higher is better — throughput as × baseline (tick = target)', higher);
  panel('Lower is better — time as × baseline; heap and bundle as × budget (tick = target)', lower);
  const H = y;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif">
<style>
.title{font-size:15px;font-weight:600}.sub{font-size:11px;fill:#555}.h{font-size:13px;font-weight:600}
.label{font-size:11px;text-anchor:end}.val{font-size:11px}.tick{font-size:10px;fill:#777;text-anchor:middle}
.grid{stroke:#eee}.one{stroke:#999;stroke-dasharray:3 3}.target{stroke:#111;stroke-width:3}
.pass{fill:#2e9e4f}.fail{fill:#d64545}.info{fill:#a8a8a8}.passt{fill:#2e9e4f;font-weight:700}.failt{fill:#d64545;font-weight:700}.infot{fill:#888}
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="22" class="title">khala-sync benchmarks — ${esc(meta.mode)} run, ${esc(meta.date)}</text>
<text x="10" y="40" class="sub">${esc(`${meta.cpu} ×${meta.cores}, ${meta.memGiB} GiB, Node ${meta.node}; medians of ${meta.runs} interleaved runs; load avg at start ${meta.loadStart}`)}</text>
${parts.join('\n')}
</svg>
`;
}

/** Markdown table of the per-step costs the throughput figure measured (what bounds it). */
export function stagesTable(stages) {
  if (!stages?.length) return '';
  const out = ['| step of the inbound path (in-process, recorded frames) | µs per update |', '|---|---:|'];
  for (const s of stages) out.push(`| ${s.step} | ${s.usPerUpdate.toFixed(2)} |`);
  return out.join('\n');
}

/** `doc` with the text between the bench:results markers replaced by the results of `json`. */
export function withResults(doc, { meta, rows, figures }) {
  const start = '<!-- bench:results:start -->';
  const end = '<!-- bench:results:end -->';
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) return doc;
  const stamp = `_${meta.mode === 'quick' ? '`npm run bench:quick` (CI sizes), ' : ''}${meta.date.slice(0, 16).replace('T', ' ')} UTC, ${meta.cpu} ×${meta.cores}, ${meta.memGiB} GiB, Node ${meta.node}, commit ${meta.commit}${meta.dirty ? ' + working tree' : ''}; medians of ${meta.runs} interleaved runs (min–max in small print); ${meta.seconds.toFixed(0)} s; load average ${meta.loadStart} → ${meta.loadEnd}._${meta.failedFigures?.length ? `\n\n**Figures that failed twice in this run (no rows):** ${meta.failedFigures.map((f) => `\`${f}\``).join('; ')}` : ''}`;
  const stages = stagesTable(figures.throughput?.extra?.stages);
  const stagesBlock = stages ? `\nCost of each step of khala-sync's inbound path in the same run (figure 1's recorded frames, built internals):\n\n${stages}\n` : '';
  return `${doc.slice(0, i + start.length)}\n${stamp}\n\n${markdownTable(rows)}\n${stagesBlock}${doc.slice(j)}`;
}
