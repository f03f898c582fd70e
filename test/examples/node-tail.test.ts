import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js';
import { ensureBuilt } from '../cli/built-cli.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const EXAMPLE = join(root, 'examples', 'node-tail', 'index.mjs');
const TOPIC = 'runtime.run_summaries';

beforeAll(() => ensureBuilt(), 120_000);

let srv: ReferenceServer | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await srv?.close();
  srv = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Run the example in `cwd` until it printed `live`, then SIGINT it; resolves with its stdout. */
function runUntilLive(cwd: string, url: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res, reject) => {
    const child = spawn(process.execPath, [EXAMPLE], { cwd, env: { ...process.env, KHALA_URL: url }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
      if (stdout.includes(`live ${TOPIC}\n`)) child.kill('SIGINT');
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      res({ code, stdout, stderr });
    });
  });
}

const watermarks = (stdout: string): number[] =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith(`${TOPIC} `))
    .flatMap((l) => l.slice(TOPIC.length + 1).split(' ').map(Number));

describe('examples/node-tail', () => {
  it('is the README quick start, word for word, and at most 20 lines', () => {
    const code = readFileSync(EXAMPLE, 'utf8');
    expect(code.trimEnd().split('\n').length).toBeLessThanOrEqual(20);
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain('```js\n' + code + '```\n');
  });

  it('runs against the reference server, then resumes exactly from its SQLite file', async () => {
    srv = await startReferenceServer({ port: 0 });
    for (let i = 1; i <= 5; i++) srv.publish(TOPIC, [{ docKey: `run_${i}`, payload: { i } }]);
    const cwd = mkdtempSync(join(tmpdir(), 'khala-node-tail-'));
    dirs.push(cwd);
    const first = await runUntilLive(cwd, srv.httpUrl);
    expect(first.code, first.stderr).toBe(0);
    expect(watermarks(first.stdout)).toEqual([1, 2, 3, 4, 5]);
    srv.publish(TOPIC, [{ docKey: 'run_6', payload: { i: 6 } }]);
    const second = await runUntilLive(cwd, srv.httpUrl);
    expect(second.code, second.stderr).toBe(0);
    expect(watermarks(second.stdout)).toEqual([6]);
    expect(first.stdout + first.stderr + second.stdout + second.stderr).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  });
});
