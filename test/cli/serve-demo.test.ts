import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, jsonLines, startCli } from './built-cli.js';

beforeAll(() => ensureBuilt(), 120_000);

const until = async (ok: () => boolean, ms = 10_000) => {
  const t0 = Date.now();
  while (!ok() && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 20));
  expect(ok()).toBe(true);
};

describe('khala-sync serve and demo', () => {
  it('serve prints its endpoints (no token), tail replays its seed, SIGTERM stops it with 0', async () => {
    const serve = startCli(['serve', '--port', '0', '--seed', '30']);
    await until(() => serve.stdout().includes('\n'));
    const info = jsonLines(serve.stdout())[0]!;
    expect(Object.keys(info).sort()).toEqual(['hydrate_url', 'publish_url', 'snapshot_url', 'socket', 'token_url']);
    const tail = startCli(['tail', '--url', String(info['socket']), '--token-url', String(info['token_url']), '--topic', 'runtime.run_summaries', '--until-caught-up']);
    expect(await tail.exited).toBe(0);
    expect(jsonLines(tail.stdout()).filter((l) => l['type'] === 'update')).toHaveLength(30);
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    expect(serve.stdout() + serve.stderr()).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  });

  it('demo runs the whole story and exits 0 with a PASS verdict', async () => {
    const demo = startCli(['demo']);
    expect(await demo.exited).toBe(0);
    const out = demo.stdout();
    expect(out).toMatch(/verdict: PASS — 5\/5 steps held/);
    for (const step of ['replay', 'live', 'restart + resume', 'stale cursor → snapshot bootstrap', 'no gap, no duplicate']) expect(out).toContain(`ok   ${step}:`);
  }, 60_000);

  it('unknown commands and bad options are usage errors (exit 2)', async () => {
    expect(await startCli(['frobnicate']).exited).toBe(2);
    expect(await startCli(['serve', '--port', 'x']).exited).toBe(2);
    expect(await startCli(['tail', '--url', 'ws://127.0.0.1:1', '--topic', 't', '--token', 'a', '--store', 'redis:x']).exited).toBe(2);
  });
});
