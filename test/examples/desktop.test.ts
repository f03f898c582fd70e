import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js';
import { ensureBuilt } from '../cli/built-cli.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = join(root, 'examples', 'desktop', 'main.mjs');
const TOPIC = 'runtime.run_summaries';

beforeAll(() => ensureBuilt(), 120_000);

interface Doc {
  docKey: string;
  docVersion: number;
  payload: unknown;
}
interface Ipc {
  channel: string;
  payload: { topic?: string; documents?: Doc[]; status?: string };
}

/** One run of the desktop main process, with what it printed and what it sent to the "renderers". */
class App {
  readonly child: ChildProcess;
  lines: Array<Record<string, unknown>> = [];
  ipc: Ipc[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  constructor(userData: string, url: string) {
    this.child = fork(MAIN, [], { env: { ...process.env, KHALA_URL: url, DESKTOP_USER_DATA: userData }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let pending = '';
    this.child.stdout!.on('data', (d: Buffer) => {
      const parts = (pending + d.toString('utf8')).split('\n');
      pending = parts.pop() ?? '';
      for (const p of parts) if (p) this.lines.push(JSON.parse(p) as Record<string, unknown>);
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString('utf8')));
    this.child.on('message', (m) => this.ipc.push(m as Ipc));
    this.exited = new Promise((res) => this.child.on('exit', (code, signal) => res({ code, signal })));
  }
  seqs(): number[] {
    return this.lines.filter((l) => l['type'] === 'update').map((l) => l['seq'] as number);
  }
  lastDocuments(): Doc[] | undefined {
    return this.ipc.filter((m) => m.channel === 'sync:documents' && m.payload.topic === TOPIC).at(-1)?.payload.documents;
  }
}

async function until(ok: () => boolean, what: string, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let srv: ReferenceServer | undefined;
const apps: App[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
  await srv?.close();
  srv = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const publish = (from: number, to: number): void => {
  for (let i = from; i <= to; i++) srv!.publish(TOPIC, [{ docKey: `runtime/run_summary:run_${i % 7}`, payload: { i } }]);
};

describe('examples/desktop (an Electron-shaped main process)', () => {
  it('syncs to SQLite, sends documents over IPC, and after SIGKILL resumes exactly where it stopped', async () => {
    srv = await startReferenceServer({ port: 0 });
    publish(1, 30);
    const userData = mkdtempSync(join(tmpdir(), 'khala-desktop-'));
    dirs.push(userData);

    const first = new App(userData, srv.httpUrl);
    apps.push(first);
    await until(() => first.lines.some((l) => l['type'] === 'caught_up'), 'caught up');
    publish(31, 40);
    await until(() => first.seqs().includes(40), 'live update 40');
    // Killed without warning while live traffic goes on.
    const live = setInterval(() => publish(srv!.head(TOPIC) + 1, srv!.head(TOPIC) + 1), 5);
    await new Promise((r) => setTimeout(r, 60));
    first.child.kill('SIGKILL');
    const gone = await first.exited;
    clearInterval(live);
    expect(gone.signal).toBe('SIGKILL');
    const printedBefore = first.seqs();

    publish(srv.head(TOPIC) + 1, srv.head(TOPIC) + 5);
    const second = new App(userData, srv.httpUrl);
    apps.push(second);
    await until(() => second.lines.some((l) => l['type'] === 'caught_up'), 'caught up again');
    const started = second.lines.find((l) => l['type'] === 'started')!;
    const resumedFrom = (started['watermarks'] as Record<string, number>)[TOPIC]!;
    // Exact resume: the stored cursor is at least everything printed (printed only after its commit),
    // the restart applies exactly the watermarks after it, and together nothing is missing or doubled.
    expect(resumedFrom).toBeGreaterThanOrEqual(printedBefore.at(-1)!);
    const head = srv.head(TOPIC);
    expect(second.seqs()).toEqual(Array.from({ length: head - resumedFrom }, (_, i) => resumedFrom + 1 + i));
    const all = [...printedBefore.filter((s) => s <= resumedFrom), ...second.seqs()];
    expect(new Set(all).size).toBe(all.length);
    // The renderers got the stored documents at once, then the server's exact state.
    const want = [...srv.documents(TOPIC).entries()].map(([docKey, d]) => ({ docKey, docVersion: d.docVersion, payload: d.payload }));
    await until(() => JSON.stringify(second.lastDocuments()?.map((d) => ({ docKey: d.docKey, docVersion: d.docVersion, payload: d.payload })).sort((a, b) => a.docKey.localeCompare(b.docKey))) === JSON.stringify(want.sort((a, b) => a.docKey.localeCompare(b.docKey))), 'documents over IPC equal the server');
    second.child.send({ channel: 'sync:get-documents', topic: TOPIC });
    await until(() => second.ipc.filter((m) => m.channel === 'sync:documents').length >= 3, 'answer to sync:get-documents');

    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
    expect(first.stderr + second.stderr).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  });
});
