// The web-shell README's one command: `node examples/web-shell/start.mjs` builds the page, starts
// `khala-sync serve`, publishes on two topics and serves the page; SIGTERM stops all of it.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { ensureBuilt } from '../cli/built-cli.js';

const START = join(import.meta.dirname, '../../examples/web-shell/start.mjs');

beforeAll(() => ensureBuilt(), 120_000);

it('start.mjs serves the built page, no-cache manifest/sw, a config naming two live topics, and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [START, '--port', '0', '--sync-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  try {
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString('utf8');
        const m = /open (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('close', (code) => reject(new Error(`start.mjs exited early (${code}): ${out}`)));
    });
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('khala-sync web shell');
    for (const path of ['manifest.json', 'sw.js']) {
      const res = await fetch(new URL(path, url));
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate');
    }
    const config = (await (await fetch(new URL('config.json', url))).json()) as { tokenUrl: string; snapshotUrl: string; topics: string[] };
    expect(config.topics).toHaveLength(2);
    const { token } = ((await (await fetch(config.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as { data: { token: string } }).data;
    for (const topic of config.topics) {
      const snap = await fetch(`${config.snapshotUrl}/${topic}`, { headers: { authorization: `Bearer ${token}` } });
      expect(snap.status, topic).toBe(200);
      expect(((await snap.json()) as { head_watermark: number }).head_watermark, topic).toBeGreaterThan(0);
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await expect(fetch(config.tokenUrl, { method: 'POST', body: '{}' })).rejects.toThrow();
  } finally {
    child.kill('SIGKILL');
  }
});
