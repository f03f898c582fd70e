/** KPIs sampled over one harness run (x is seconds since the run started). */
export interface KpiTimeline {
  /** Periodic samples over every live client of the run. */
  samples: Array<{ t: number; reconnects: number; maxLag: number }>;
  /** One point per caught-up: how long that client's replay took, ms. */
  replays: Array<{ t: number; ms: number }>;
  /** Scenario boundaries, to label the x axis. */
  scenarios: Array<{ t: number; name: string }>;
}

interface Panel {
  title: string;
  unit: string;
  points: Array<[number, number]>;
  /** Draw as dots (events) rather than a step line (a running value). */
  dots: boolean;
  color: string;
}

const W = 900;
const PANEL_H = 150;
const LEFT = 70;
const RIGHT = 20;
const TOP = 30;
const GAP = 40;

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (v: number): string => (v >= 10_000 ? `${Math.round(v / 1000)}k` : Number.isInteger(v) ? String(v) : v.toFixed(1));

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function panel(p: Panel, y0: number, tMax: number, marks: KpiTimeline['scenarios']): string {
  const plotW = W - LEFT - RIGHT;
  const yMax = niceMax(p.points.reduce((m, [, v]) => Math.max(m, v), 0));
  const x = (t: number): number => LEFT + (tMax > 0 ? (t / tMax) * plotW : 0);
  const y = (v: number): number => y0 + PANEL_H - (v / yMax) * PANEL_H;
  const out = [`<text x="${LEFT}" y="${y0 - 8}" font-weight="bold">${esc(p.title)} (${esc(p.unit)})</text>`];
  for (const f of [0, 0.5, 1]) {
    const yy = y(yMax * f).toFixed(1);
    out.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`, `<text x="${LEFT - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${fmt(yMax * f)}</text>`);
  }
  for (const m of marks) out.push(`<line x1="${x(m.t).toFixed(1)}" x2="${x(m.t).toFixed(1)}" y1="${y0}" y2="${y0 + PANEL_H}" stroke="#eee"/>`);
  if (p.points.length === 0) out.push(`<text x="${LEFT + plotW / 2}" y="${y0 + PANEL_H / 2}" text-anchor="middle" fill="#888">no data in this run</text>`);
  else if (p.dots) for (const [t, v] of p.points) out.push(`<circle cx="${x(t).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5" fill="${p.color}"/>`);
  else {
    let d = '';
    let prev: number | undefined;
    for (const [t, v] of p.points) {
      d += prev === undefined ? `M${x(t).toFixed(1)},${y(v).toFixed(1)}` : `H${x(t).toFixed(1)}V${y(v).toFixed(1)}`;
      prev = v;
    }
    out.push(`<path d="${d}" fill="none" stroke="${p.color}" stroke-width="1.5"/>`);
  }
  out.push(`<rect x="${LEFT}" y="${y0}" width="${plotW}" height="${PANEL_H}" fill="none" stroke="#999"/>`);
  return out.join('');
}

/**
 * The run's KPIs as one SVG: replay latency per caught-up, cumulative reconnects and the largest
 * lag over time, stacked on one time axis with the scenario boundaries marked.
 */
export function kpiChartSvg(timeline: KpiTimeline, title: string): string {
  const panels: Panel[] = [
    { title: 'Replay latency, connect → caught up', unit: 'ms', points: timeline.replays.map((r) => [r.t, r.ms]), dots: true, color: '#1f77b4' },
    { title: 'Reconnects (cumulative, all clients)', unit: 'count', points: timeline.samples.map((s) => [s.t, s.reconnects]), dots: false, color: '#d62728' },
    { title: 'Largest lag, server head − watermark', unit: 'updates', points: timeline.samples.map((s) => [s.t, s.maxLag]), dots: false, color: '#2ca02c' },
  ];
  const tMax = Math.max(1, ...timeline.samples.map((s) => s.t), ...timeline.replays.map((r) => r.t), ...timeline.scenarios.map((s) => s.t));
  const H = TOP + panels.length * (PANEL_H + GAP) + 10;
  const body = panels.map((p, i) => panel(p, TOP + 20 + i * (PANEL_H + GAP), tMax, timeline.scenarios)).join('');
  const axisY = TOP + 20 + (panels.length - 1) * (PANEL_H + GAP) + PANEL_H + 16;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => `<text x="${(LEFT + f * (W - LEFT - RIGHT)).toFixed(1)}" y="${axisY}" text-anchor="middle">${fmt(tMax * f)} s</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + 10}" viewBox="0 0 ${W} ${H + 10}" font-family="sans-serif" font-size="11" role="img" aria-label="${esc(title)}"><title>${esc(title)}</title><text x="${LEFT}" y="16" font-size="13" font-weight="bold">${esc(title)}</text>${body}${ticks}</svg>\n`;
}
