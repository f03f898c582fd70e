import { describe, expect, it } from 'vitest';
import { evaluateGate, findStage, renderGate, STAGES } from '../../src/harness/gates.js';
import { checkInvariant, Ledger, storeObserved } from '../../src/harness/invariant.js';
import { AppliedHistory } from '../../src/harness/probe.js';
import type { HarnessSummary, Kpi, ScenarioReport } from '../../src/harness/scenario.js';
import type { SyncDocument } from '../../src/model/types.js';

const T = 'runtime.run_summaries';

function row(name: string, kpi: Kpi, injects: string[] = [], status: ScenarioReport['status'] = 'pass'): ScenarioReport {
  return { name, status, duration_ms: 1, evidence: { kpi, injects } };
}

function summary(scenarios: ScenarioReport[]): HarnessSummary {
  return { started_at: '', finished_at: '', target: 'x', sdk_version: '0', scenarios, failures: scenarios.filter((s) => s.status === 'fail').length };
}

const healthy = [
  row('replay', { replayLatencyMs: [200, 300], resumes: 10, staleCursors: 0, connections: 20, duplicates: 0 }),
  row('stale', { bootstrapLatencyMs: [50], staleCursors: 1, resumes: 2 }, ['stale']),
  row('storm', { storm: { clients: 500, peakPer100ms: 90, peakRatePerSec: 900, peakFraction: 0.18, timeToAllLiveMs: 3000, maxAttempts: 2, spreadMs: 1000 }, connections: 500 }, ['storm', 'restart']),
  row('slow', { evictions: 1, connections: 2 }, ['slow_consumer']),
  row('limitation', { duplicates: 0 }, ['out_of_contract']),
];

describe('rollout gates', () => {
  it('finds stages by name, alias and traffic share', () => {
    expect(STAGES.map((s) => s.traffic)).toEqual([1, 5, 25, 50, 100]);
    expect(findStage('canary')?.stage).toBe('canary');
    expect(findStage('stage-0')?.stage).toBe('canary');
    expect(findStage('5')?.stage).toBe('stage-1');
    expect(findStage('25%')?.stage).toBe('stage-2');
    expect(findStage('STAGE-4')?.stage).toBe('stage-4');
    expect(findStage('stage-9')).toBeUndefined();
  });

  it('GO when every KPI is measured and within the stage; provoked faults are left out of their KPI', () => {
    const v = evaluateGate(summary(healthy), findStage('stage-4')!, new Date('2026-11-22T00:00:00Z'));
    expect(v.checks.filter((c) => !c.ok)).toEqual([]);
    expect(v.go).toBe(true);
    expect(renderGate(v).trimEnd().split('\n').at(-1)).toBe('GO: stage stage-4 (100%) at 2026-11-22T00:00:00.000Z');
  });

  it('NO-GO on a duplicate, a failure, an unprovoked stale or eviction, a slow storm, or a KPI not measured', () => {
    const cases: Array<[string, ScenarioReport[]]> = [
      ['duplicated updates applied', [...healthy, row('dup', { duplicates: 1 })]],
      ['scenario failures', [...healthy, row('broken', {}, [], 'fail')]],
      ['stale_cursor rate (per resume)', [...healthy, row('resume', { resumes: 10, staleCursors: 1 })]],
      ['slow_consumer_evicted rate (per connection)', [...healthy, row('evicted', { evictions: 20, connections: 10 })]],
      ['reconnect storm: peak share of fleet per 100 ms', healthy.map((r) => (r.name === 'storm' ? row('storm', { storm: { clients: 500, peakPer100ms: 480, peakRatePerSec: 4800, peakFraction: 0.96, timeToAllLiveMs: 900, maxAttempts: 1, spreadMs: 90 } }, ['storm']) : r))],
      ['stale → snapshot → live latency p95 (ms)', healthy.filter((r) => r.name !== 'stale')],
    ];
    for (const [kpi, rows] of cases) {
      const v = evaluateGate(summary(rows), findStage('canary')!);
      expect(v.go, kpi).toBe(false);
      expect(v.checks.find((c) => !c.ok)?.kpi, kpi).toBe(kpi);
    }
    // Duplicates inside the deliberately out-of-contract scenario do not count.
    expect(evaluateGate(summary([...healthy, row('lim2', { duplicates: 3 }, ['out_of_contract'])]), findStage('canary')!).go).toBe(true);
  });
});

function doc(docKey: string, docVersion: number, payload: unknown): SyncDocument {
  return { topic: T, docKey, docVersion, payload: payload as never, payloadHash: null, watermark: 0, hydrationPending: false };
}

describe('the harness invariant', () => {
  const ledger = new Ledger();
  ledger.record([1, 2, 3, 4, 5].map((w) => ({ topic: T, watermark: w, docKey: `k${w % 2}`, docVersion: Math.ceil(w / 2), payload: { w }, payloadHash: '', pointer: false })));
  const truth = ledger.truth(T);
  const good = storeObserved({ watermarks: { [T]: 5 }, documents: [doc('k1', 3, { w: 5 }), doc('k0', 2, { w: 4 })] });
  const history = (seqs: number[], boot?: number): AppliedHistory => {
    const h = new AppliedHistory();
    if (boot !== undefined) h.bootstrap(T, boot);
    for (const s of seqs) h.record(T, s);
    return h;
  };

  it('derives the truth last-writer-wins and at a watermark', () => {
    expect(truth.head).toBe(5);
    expect(truth.docs.get('k1')).toEqual({ docVersion: 3, payload: { w: 5 } });
    expect(ledger.truth(T, 3).docs.get('k1')).toEqual({ docVersion: 2, payload: { w: 3 } });
  });

  it('holds for an exact client', () => {
    expect(checkInvariant([truth], good, history([1, 2, 3, 4, 5]), { exact: true }).violations).toEqual([]);
    // Seqs at or below a snapshot head are covered by the snapshot.
    expect(checkInvariant([truth], good, history([4, 5], 3), { exact: true }).violations).toEqual([]);
  });

  it('catches a duplicate, a skipped seq, an out-of-order apply, a wrong document and a wrong watermark', () => {
    expect(checkInvariant([truth], good, history([1, 2, 3, 3, 4, 5]), { exact: true }).violations.join()).toMatch(/applied twice/);
    expect(checkInvariant([truth], good, history([1, 2, 4, 5]), { exact: true }).violations.join()).toMatch(/1 seq\(s\) skipped \(first 3\)/);
    expect(checkInvariant([truth], good, history([1, 3, 2, 4, 5]), { exact: true }).violations.join()).toMatch(/out of order/);
    const wrongDoc = storeObserved({ watermarks: { [T]: 5 }, documents: [doc('k1', 3, { w: 'x' }), doc('k0', 2, { w: 4 })] });
    expect(checkInvariant([truth], wrongDoc, history([1, 2, 3, 4, 5]), { exact: true }).violations.join()).toMatch(/differ from the journal/);
    const behind = storeObserved({ watermarks: { [T]: 4 }, documents: [doc('k1', 3, { w: 5 }), doc('k0', 2, { w: 4 })] });
    expect(checkInvariant([truth], behind, history([1, 2, 3, 4, 5]), { exact: true }).violations.join()).toMatch(/watermark 4 but the journal head is 5/);
  });

  it('in deployment mode accepts a client that is ahead of the truth', () => {
    const ahead = storeObserved({ watermarks: { [T]: 9 }, documents: [doc('k1', 4, { w: 9 }), doc('k0', 2, { w: 4 }), doc('new', 1, {})] });
    expect(checkInvariant([truth], ahead, history([1, 2, 3, 4, 5, 9]), { exact: false }).violations).toEqual([]);
  });
});
