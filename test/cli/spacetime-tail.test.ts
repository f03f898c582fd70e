import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSpacetimeServer, type SpacetimeServer } from '../../src/server/index.js';
import { ensureBuilt, jsonLines, startCli } from './built-cli.js';

const STREAM = 'runtime.codex.worker.worker_1';
let srv: SpacetimeServer | undefined;
beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

function publish(s: SpacetimeServer, n: number): void {
  for (let i = 0; i < n; i++) s.publish(STREAM, [{ payload: { i } }]);
}

describe('khala-sync tail --lane spacetime (SDK_CONTRACTS §3)', () => {
  it('prints every applied sync_event row, then caught_up, and exits 0', async () => {
    srv = await startSpacetimeServer({ port: 0 });
    publish(srv, 25);
    const run = startCli(['tail', '--lane', 'spacetime', '--url', srv.url, '--token-url', srv.tokenUrl, '--topic', STREAM, '--until-caught-up']);
    expect(await run.exited).toBe(0);
    const lines = jsonLines(run.stdout());
    const updates = lines.filter((l) => l['type'] === 'update');
    expect(updates.map((u) => u['seq'])).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(updates[0]).toEqual({ type: 'update', topic: STREAM, seq: 1, doc_key: `stream:${STREAM}:seq:1`, doc_version: 1, payload: { i: 0 }, replayed: true });
    expect(lines.find((l) => l['type'] === 'caught_up')).toEqual({ type: 'caught_up', topic: STREAM, watermark: 25 });
    expect(lines.filter((l) => l['type'] === 'error')).toEqual([]);
  });

  it('with a sqlite store: resumes without duplicates, and a pruned cursor prints stale then bootstrap', async () => {
    srv = await startSpacetimeServer({ port: 0 });
    const store = `sqlite:${join(mkdtempSync(join(tmpdir(), 'ks-st-tail-')), 's.sqlite')}`;
    const args = ['tail', '--lane', 'spacetime', '--url', srv.url, '--token-url', srv.tokenUrl, '--topic', STREAM, '--store', store, '--snapshot-url', srv.snapshotUrl, '--until-caught-up'];
    publish(srv, 5);
    const first = startCli(args);
    expect(await first.exited).toBe(0);
    publish(srv, 3);
    const second = startCli(args);
    expect(await second.exited).toBe(0);
    expect(jsonLines(second.stdout()).filter((l) => l['type'] === 'update').map((u) => u['seq'])).toEqual([6, 7, 8]);

    publish(srv, 10);
    srv.prune(STREAM, 12);
    const third = startCli(args);
    expect(await third.exited).toBe(0);
    const lines = jsonLines(third.stdout());
    expect(lines.find((l) => l['type'] === 'stale')).toMatchObject({ type: 'stale', topic: STREAM, reason: 'retention_floor_breach', resume_after: 8, retention_floor: 12 });
    expect(lines.find((l) => l['type'] === 'bootstrap')).toMatchObject({ type: 'bootstrap', topic: STREAM, head_watermark: 18, docs: 18 });
    expect(lines.filter((l) => l['type'] === 'update')).toEqual([]);
    expect(lines.find((l) => l['type'] === 'caught_up')).toEqual({ type: 'caught_up', topic: STREAM, watermark: 18 });
  });

  it('--verbose and --health show token refreshes (make-before-break) and head probes while updates flow', async () => {
    srv = await startSpacetimeServer({ port: 0, tokenTtlSeconds: 5, tokenRefreshAfterSeconds: 0.3 });
    const s = srv;
    publish(s, 5);
    const run = startCli(['tail', '--lane', 'spacetime', '--url', s.url, '--token-url', s.tokenUrl, '--topic', STREAM, '--verbose', '--health-interval', '100', '--idle-exit', '800']);
    const flow = setInterval(() => publish(s, 1), 20);
    // Refreshes start at least MIN_REFRESH_INTERVAL_MS (1 s) apart: three need ~2.3 s after live.
    await new Promise((resolve) => setTimeout(resolve, 3200));
    clearInterval(flow);
    expect(await run.exited).toBe(0);
    const err = run.stderr();
    const refreshes = err.split('\n').filter((l) => l.startsWith('[notice] token_refresh outcome=switched overlapMs='));
    expect(refreshes.length).toBeGreaterThanOrEqual(3);
    expect(err).toMatch(/\[notice\] head_probe heads=\{"runtime\.codex\.worker\.worker_1":\d+\} behind=\[/);
    expect(err).toMatch(/\[health\] live .*token_refresh_in=\d+ms/);
    const updates = jsonLines(run.stdout()).filter((l) => l['type'] === 'update');
    expect(updates.map((u) => u['seq'])).toEqual(Array.from({ length: s.head(STREAM) }, (_, i) => i + 1));
    expect(err).not.toContain('st_'); // no token on stderr
  });

  it('an unknown lane is a usage error (exit 2)', async () => {
    const run = startCli(['tail', '--lane', 'bsatn', '--url', 'ws://127.0.0.1:1', '--token', 't', '--topic', STREAM]);
    expect(await run.exited).toBe(2);
  });
});
