// One result row: a khala-sync figure, its baseline, the ratio of medians and the target verdict.
import { summarize } from './stats.mjs';

/**
 * @param {object} r
 * @param {string} r.id          stable key in latest.json
 * @param {string} r.figure      issue figure number and name, e.g. "1 Throughput"
 * @param {string} r.label       what the row measures
 * @param {string} r.unit        unit of khala/baseline values
 * @param {number[]} r.khala     khala-sync values, one per run
 * @param {number[]} [r.baseline] baseline values, one per run
 * @param {string} [r.baselineName]
 * @param {{kind:'ratio'|'abs', op:'>='|'<=', value:number}} [r.target]
 * @param {string} [r.note]
 */
export function makeRow(r) {
  const khala = summarize(r.khala);
  const baseline = r.baseline ? summarize(r.baseline) : null;
  const ratio = baseline && baseline.median ? khala.median / baseline.median : null;
  let pass = null;
  if (r.target) {
    const v = r.target.kind === 'ratio' ? ratio : khala.median;
    pass = v == null ? false : r.target.op === '>=' ? v >= r.target.value : v <= r.target.value;
  }
  return { id: r.id, figure: r.figure, label: r.label, unit: r.unit, khala, baselineName: r.baselineName ?? null, baseline, ratio, target: r.target ?? null, pass, note: r.note ?? null };
}

/** updates/s from a count and per-run milliseconds. */
export const perSecond = (count, msList) => msList.map((ms) => (count * 1000) / ms);
