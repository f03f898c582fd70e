// After close() resolves nothing of the client keeps Node alive: a child process that closes its
// client at a random moment (connecting, joining, replaying, a snapshot bootstrap, a token refresh's
// standby socket, backoff, live) exits by itself. Runs the built dist/ (npm run build).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReferenceServer } from '../../src/server/index.js';
import { publishRange, RUNS, server, WORKERS } from './harness.js';

const script = fileURLToPath(new URL('./close-exits-child.mjs', import.meta.url));
let srv: ReferenceServer;
beforeAll(async () => {
  srv = await server({ snapshotPageSize: 2, tokenRefreshAfterSeconds: 0.03 });
  publishRange(srv, RUNS, 400);
  publishRange(srv, WORKERS, 50);
  srv.prune(WORKERS, 40); // a fresh client replays RUNS and bootstraps WORKERS page by page
});
afterAll(async () => srv?.close());

/** Exit code and output of the child, or 'hung' when it is still running after `ms`. */
function runChild(closeAfterMs: number, ms = 5000): Promise<{ code: number | null | 'hung'; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, srv.url, srv.tokenUrl, srv.snapshotUrl, srv.hydrateUrl, String(closeAfterMs), `${RUNS},${WORKERS}`]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ code: 'hung', out });
    }, ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('close() leaves nothing running', () => {
  it('a process whose client closed at any phase exits by itself', async () => {
    const results = await Promise.all([0, 1, 3, 8, 15, 30, 60, 120].map(async (ms) => ({ ms, ...(await runChild(ms)) })));
    for (const r of results) expect({ ms: r.ms, code: r.code, out: r.code === 0 ? '' : r.out }).toEqual({ ms: r.ms, code: 0, out: '' });
  }, 20_000);
});
