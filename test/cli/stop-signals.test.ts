import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js';
import { BIN, ensureBuilt, jsonLines } from './built-cli.js';

// Process hygiene (issue #10 item 4): `serve`, `tail` and `harness` stop their servers and children
// on SIGINT/SIGTERM, also when started through npx (whose shell swallows the signal), and say
// where their output went.
beforeAll(() => ensureBuilt(), 120_000);

const NPX_LIKE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'npx-like.mjs');

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when every holder of the output pipes is gone: the process AND anything it left behind. */
  closed: Promise<number | null>;
}

const runs: Run[] = [];
const dirs: string[] = [];
let srv: ReferenceServer | undefined;
afterEach(async () => {
  for (const r of runs.splice(0)) if (r.child.exitCode === null) r.child.kill('SIGKILL');
  await srv?.close();
  srv = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function start(args: string[], viaNpx: boolean): Run {
  const argv = viaNpx ? [NPX_LIKE, process.execPath, BIN, ...args] : [BIN, ...args];
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const closed = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  const run = { child, stdout: () => out, stderr: () => err, closed };
  runs.push(run);
  return run;
}

async function until(ok: () => boolean, what: string, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Direct children of `pid` (ps is enough on the Linux CI). */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').map((l) => Number(l.trim())).filter((n) => n > 0);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url, { method: 'POST' });
    return false;
  } catch {
    return true;
  }
}

describe('serve stops its server on a stop request', () => {
  for (const [how, viaNpx, signal, reason] of [
    ['SIGINT, direct', false, 'SIGINT', 'SIGINT'],
    ['SIGTERM to an npx-like parent whose shell does not pass it on', true, 'SIGTERM', 'parent_exited'],
  ] as const) {
    it(how, async () => {
      const run = start(['serve', '--port', '0', '--seed', '3'], viaNpx);
      await until(() => run.stdout().includes('\n'), 'endpoints');
      const tokenUrl = String(jsonLines(run.stdout())[0]!['token_url']);
      expect(await refused(tokenUrl)).toBe(false);
      run.child.kill(signal);
      // `closed` needs the server process gone too: it holds the same pipes.
      await run.closed;
      expect(await refused(tokenUrl)).toBe(true);
      expect(run.stderr()).toContain(`[serve] stopped (${reason})`);
    });
  }
});

describe('tail stops, flushes its store and says where its output went', () => {
  it('SIGTERM to an npx-like parent: the socket closes and the SQLite store is flushed and closed', async () => {
    srv = await startReferenceServer({ port: 0 });
    for (let i = 1; i <= 5; i++) srv.publish('runtime.run_summaries', [{ docKey: `d${i}`, payload: { i } }]);
    const dir = mkdtempSync(join(tmpdir(), 'khala-stop-'));
    dirs.push(dir);
    const store = `sqlite:${join(dir, 'tail.sqlite')}`;
    const run = start(['tail', '--url', srv.url, '--token-url', srv.tokenUrl, '--topic', 'runtime.run_summaries', '--store', store], true);
    await until(() => run.stdout().includes('"caught_up"'), 'caught_up');
    expect(srv.stats().openConnections).toBe(1);
    run.child.kill('SIGTERM');
    await run.closed;
    await until(() => srv!.stats().openConnections === 0, 'socket closed');
    expect(run.stderr()).toContain(`[tail] stopped (parent_exited); 5 update(s) printed to stdout; store: ${store} (flushed and closed)`);
  });

  it('SIGINT, direct: exit 0 and the same report', async () => {
    srv = await startReferenceServer({ port: 0 });
    const run = start(['tail', '--url', srv.url, '--token-url', srv.tokenUrl, '--topic', 'runtime.run_summaries'], false);
    await until(() => run.stdout().includes('"caught_up"'), 'caught_up');
    run.child.kill('SIGINT');
    expect(await run.closed).toBe(0);
    expect(run.stderr()).toContain('[tail] stopped (SIGINT); 0 update(s) printed to stdout; store: memory (discarded)');
  });
});

describe('harness kills the processes it spawned', () => {
  it('SIGTERM in the middle of the SIGKILL drill: every spawned tail is gone and the report says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'khala-stop-'));
    dirs.push(dir);
    const run = start(['harness', '--scenario', 'crash-safety-sigkill', '--quick', '--out', join(dir, 'report')], false);
    let spawned: number[] = [];
    await until(() => (spawned = childrenOf(run.child.pid!)).length > 0, 'a spawned tail', 60_000);
    run.child.kill('SIGTERM');
    expect(await run.closed).toBe(1);
    // Killed children are reaped by init once the harness is gone; give that a moment.
    await until(() => spawned.filter(alive).length === 0, 'spawned tails gone', 5_000);
    expect(run.stderr()).toMatch(/\[harness\] stopped \(SIGTERM\): \d+ child process\(es\) killed/);
    expect(run.stderr()).toContain(`no report was written to ${join(dir, 'report')}`);
  }, 90_000);
});
