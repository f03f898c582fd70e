import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js';
import { until } from '../client/harness.js';
import { ensureBuilt, jsonLines, startCli } from './built-cli.js';

const RUNS = 'runtime.run_summaries';
let srv: ReferenceServer | undefined;
beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

describe('khala-sync tail --health / --metrics-port', () => {
  it('prints one-line health on stderr and serves parseable Prometheus /metrics while it runs', async () => {
    srv = await startReferenceServer({ port: 0 });
    for (let i = 0; i < 30; i++) srv.publish(RUNS, [{ docKey: `runtime/run_summary:run_${i % 3}`, payload: { i } }]);
    const run = startCli(['tail', '--url', srv.url, '--token-url', srv.tokenUrl, '--topic', RUNS, '--health-interval', '200', '--metrics-port', '0']);
    try {
      await until(() => /metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/.test(run.stderr()) && jsonLines(run.stdout()).some((l) => l['type'] === 'caught_up'), 'metrics endpoint and caught up', 20_000);
      const url = /metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(run.stderr())![1]!;
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const parsed = parsePrometheusTextFormat(await res.text());
      const applied = parsed.find((m) => m.name === 'khala_sync_updates_applied_total')!;
      expect(applied.type).toBe('COUNTER');
      expect(applied.metrics[0]!.value).toBe('30');
      expect(parsed.find((m) => m.name === 'khala_sync_store_commit_duration_seconds')?.type).toBe('HISTOGRAM');
      expect((await fetch(url.replace('/metrics', '/other'))).status).toBe(404);
      await until(() => /\[health\] live .*\| runtime\.run_summaries live wm=30 head=30 lag=0 100% caught_up/.test(run.stderr()), 'health line', 10_000);
      const healthLines = run.stderr().split('\n').filter((l) => l.startsWith('[health] '));
      expect(healthLines.every((l) => !l.includes('eyJ'))).toBe(true); // never a token
      // stdout stays JSON lines only
      expect(run.stdout().split('\n').filter((l) => l !== '').every((l) => l.startsWith('{'))).toBe(true);
    } finally {
      run.child.kill('SIGTERM');
    }
    expect(await run.exited).toBe(0);
  });

  it('refuses a bad --metrics-port or --health-interval as usage errors', async () => {
    expect(await startCli(['tail', '--url', 'ws://127.0.0.1:1', '--token', 't', '--topic', RUNS, '--metrics-port', '70000']).exited).toBe(2);
    expect(await startCli(['tail', '--url', 'ws://127.0.0.1:1', '--token', 't', '--topic', RUNS, '--health-interval', '5']).exited).toBe(2);
  });
});
