import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js';
import { jsonLines, ensureBuilt, startCli } from './built-cli.js';

const RUNS = 'runtime.run_summaries';
let srv: ReferenceServer | undefined;
beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

function publish(s: ReferenceServer, n: number): void {
  for (let i = 0; i < n; i++) s.publish(RUNS, [{ docKey: `runtime/run_summary:run_${i % 7}`, payload: { i } }]);
}

describe('khala-sync tail (SDK_CONTRACTS §3)', () => {
  it('prints one JSON line per applied update, then caught_up, and exits 0 with --until-caught-up', async () => {
    srv = await startReferenceServer({ port: 0 });
    publish(srv, 250);
    const run = startCli(['tail', '--url', srv.url, '--token-url', srv.tokenUrl, '--topic', RUNS, '--until-caught-up']);
    expect(await run.exited).toBe(0);
    const lines = jsonLines(run.stdout());
    const updates = lines.filter((l) => l['type'] === 'update');
    expect(updates.map((u) => u['seq'])).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(updates[0]).toMatchObject({ type: 'update', topic: RUNS, seq: 1, doc_key: 'runtime/run_summary:run_0', doc_version: 1, payload: { i: 0 }, replayed: true });
    expect(lines.find((l) => l['type'] === 'caught_up')).toEqual({ type: 'caught_up', topic: RUNS, watermark: 250 });
    expect(lines.every((l) => typeof l['type'] === 'string')).toBe(true);
  });

  it('--max-updates stops after exactly n lines', async () => {
    srv = await startReferenceServer({ port: 0 });
    publish(srv, 40);
    const run = startCli(['tail', '--url', srv.url, '--token-url', srv.tokenUrl, '--topic', RUNS, '--max-updates', '7']);
    expect(await run.exited).toBe(0);
    expect(jsonLines(run.stdout()).filter((l) => l['type'] === 'update')).toHaveLength(7);
  });

  it('never prints the token, even in errors', async () => {
    srv = await startReferenceServer({ port: 0 });
    const token = await srv.mintToken();
    const run = startCli(['tail', '--url', srv.url, '--token', token, '--topic', 'runtime.not_a_topic', '--idle-exit', '500']);
    await run.exited;
    expect(run.stdout()).toContain('"type":"error"');
    expect(run.stdout() + run.stderr()).not.toContain(token);
    expect(run.stdout() + run.stderr()).not.toContain(token.split('.')[2]!);
  });

  it('exit codes: 2 usage, 3 upgrade required, 4 auth refused', async () => {
    const usage = startCli(['tail', '--topic', RUNS]);
    expect(await usage.exited).toBe(2);
    srv = await startReferenceServer({
      port: 0,
      compatibility: { enforce: true, protocolVersion: 'khala.ws.v1', minClientBuildId: '20990101T000000Z', maxClientBuildId: null, minSchemaVersion: 1, maxSchemaVersion: 1 },
    });
    const upgrade = startCli(['tail', '--url', srv.url, '--token-url', srv.tokenUrl, '--topic', RUNS]);
    expect(await upgrade.exited).toBe(3);
    srv.faults.refuseUpgrades(403);
    const auth = startCli(['tail', '--url', srv.url, '--token-url', srv.tokenUrl, '--topic', RUNS]);
    expect(await auth.exited).toBe(4);
  });

  it('refuses ws:// to a non-loopback host unless --allow-insecure', async () => {
    const run = startCli(['tail', '--url', 'ws://sync.example.invalid/sync/socket/websocket', '--token', 'abc', '--topic', RUNS]);
    expect(await run.exited).toBe(1);
    expect(jsonLines(run.stdout()).some((l) => l['code'] === 'insecure_transport')).toBe(true);
  });
});

describe('tail --store sqlite: crash safety', () => {
  it('across 20 random SIGKILL/restart points no seq is printed twice and the store ends equal to the server', async () => {
    srv = await startReferenceServer({ port: 0 });
    const s = srv;
    const path = join(mkdtempSync(join(tmpdir(), 'ks-tail-')), 'tail.sqlite');
    const args = ['tail', '--url', s.url, '--token-url', s.tokenUrl, '--topic', RUNS, '--store', `sqlite:${path}`];
    let published = 0;
    const pump = setInterval(() => {
      if (published >= 4000) return;
      publish(s, 20);
      published += 20;
    }, 5);
    const printed: number[] = [];
    let seed = 0x2545f491;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    try {
      for (let k = 0; k < 20; k++) {
        const run = startCli(args);
        await new Promise((r) => setTimeout(r, 150 + Math.floor(random() * 400)));
        run.child.kill('SIGKILL');
        await run.exited;
        for (const l of jsonLines(run.stdout())) if (l['type'] === 'update') printed.push(l['seq'] as number);
      }
    } finally {
      clearInterval(pump);
    }
    const last = startCli([...args, '--until-caught-up']);
    expect(await last.exited).toBe(0);
    for (const l of jsonLines(last.stdout())) if (l['type'] === 'update') printed.push(l['seq'] as number);

    expect(new Set(printed).size).toBe(printed.length); // never twice
    const head = s.head(RUNS);
    const missing = Array.from({ length: head }, (_, i) => i + 1).filter((q) => !printed.includes(q));
    // A line may only be lost when a kill fell between a commit and its print: at most one run of
    // consecutive seqs per kill.
    const runs = missing.filter((q, i) => i === 0 || missing[i - 1] !== q - 1).length;
    expect(runs).toBeLessThanOrEqual(20);

    const { createSqliteStore } = await import('../../src/sqlite.js');
    const store = createSqliteStore({ path });
    const contents = await store.load([RUNS]);
    await store.close();
    expect(contents.watermarks[RUNS]).toBe(head);
    const want = s.documents(RUNS);
    expect(contents.documents).toHaveLength(want.size);
    for (const d of contents.documents) expect({ v: d.docVersion, p: d.payload }).toEqual({ v: want.get(d.docKey)!.docVersion, p: want.get(d.docKey)!.payload });
  }, 120_000);
});
