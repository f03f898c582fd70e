// khala-sync/react once in real Chromium (Debian's package via playwright-core, as in
// chromium.test.ts): React 19 production build, the reference server cross-origin, render counts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js';
import { nodeOnlyInputs, refuseNodeOnly, ROOT } from './bundle.js';
import { servePage } from './page-server.js';
import { launchChromium, type LaunchedChromium } from './chromium-launch.js';
import type { ReactPageState } from './react-page-entry.js';

const RUNS = 'runtime.run_summaries';
const EVENTS = 'runtime.codex_worker_events';

describe('khala-sync/react in Chromium', () => {
  const dirs: string[] = [];
  let web: Server | undefined;
  let browser: LaunchedChromium | undefined;
  let srv: ReferenceServer | undefined;
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
    await new Promise<void>((r) => (web ? web.close(() => r()) : r()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('hooks render the synced documents and re-render only the components whose data changed', async () => {
    const out = mkdtempSync(join(tmpdir(), 'khala-react-page-'));
    dirs.push(out);
    const result = await build({
      entryPoints: { page: resolve(ROOT, 'test/browser/react-page-entry.ts') },
      bundle: true, platform: 'browser', format: 'esm', target: 'es2022', outdir: out, metafile: true, logLevel: 'silent',
      define: { 'process.env.NODE_ENV': '"production"' }, plugins: [refuseNodeOnly],
    });
    expect(nodeOnlyInputs(result.metafile)).toEqual([]);
    const bundle = readFileSync(join(out, 'page.js'));
    const served = await servePage(bundle);
    web = served.server;
    srv = await startReferenceServer({ port: 0 });
    for (let i = 0; i < 3; i++) srv.publish(RUNS, [{ docKey: `doc:${i}`, payload: { i, text: `t${i}` } }]);
    browser = await launchChromium();
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(served.url);
    await page.waitForFunction(() => window.khalaReact !== undefined, undefined, { timeout: 10_000 });
    await page.evaluate(([url, tokenUrl, topics]) => window.khalaReact!.start(url, tokenUrl, topics), [srv.url, srv.tokenUrl, [RUNS, EVENTS]] as const);
    const state = (): Promise<ReactPageState> => page.evaluate(() => window.khalaReact!.state());
    const until = (ok: string): Promise<unknown> => page.waitForFunction(ok, undefined, { timeout: 10_000 });

    await until(`window.khalaReact.state().status === 'live' && window.khalaReact.state().dom.includes('doc:2=2')`);
    let s = await state();
    expect(s.listKeys).toEqual(['doc:0', 'doc:1', 'doc:2']);
    expect(s.docText).toBe('t1');
    expect(s.dom).toContain('live');

    // doc:2 changes: the list and the status re-render, the doc:1 component does not.
    let before = s.renders;
    srv.publish(RUNS, [{ docKey: 'doc:2', payload: { i: 20, text: 'x' } }]);
    await until(`window.khalaReact.state().dom.includes('doc:2=20')`);
    s = await state();
    expect(s.renders.doc).toBe(before.doc);
    expect(s.renders.list).toBeGreaterThan(before.list);

    // Another topic: only the status component.
    before = s.renders;
    srv.publish(EVENTS, [{ docKey: 'e', payload: { n: 1 } }]);
    await until(`window.khalaReact.state().watermarks['${EVENTS}'] === 1`);
    s = await state();
    expect(s.renders).toEqual({ ...before, status: s.renders.status });
    expect(s.renders.status).toBeGreaterThan(before.status);

    // doc:1 itself.
    srv.publish(RUNS, [{ docKey: 'doc:1', payload: { i: 10, text: 'changed' } }]);
    await until(`window.khalaReact.state().docText === 'changed'`);
    expect((await state()).dom).toContain('changed');
    await page.evaluate(() => window.khalaReact!.close());
    expect(errors).toEqual([]);
  }, 120_000);
});
