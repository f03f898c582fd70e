// The browser build against real IndexedDB: esbuild bundles the browser entries (refusing anything
// Node-only), Debian's Chromium runs them headless via playwright-core, and the page syncs with the
// reference server over a native WebSocket and cross-origin fetch. See docs/browser.md.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js';
import { assertChromium, launchChromium, type LaunchedChromium } from './chromium-launch.js';
import { buildPage, measure, measureBrowserEntries, nodeOnlyInputs } from './bundle.js';
import type { PageClientOptions, PageDocument, PageView } from './page-entry.js';

/**
 * Ceiling for the main entry (SyncClient, Khala lane, memory store, errors), minified + gzip: a
 * ratchet just above the measured 38 495 B (37.6 KiB). Issue #11's target is 20 KiB; the history
 * and what would close the gap are in docs/browser.md (Bundle size).
 */
const MAIN_ENTRY_GZIP_BUDGET = 29.1 * 1024;
const TOPIC = 'runtime.run_summaries';
const DB = 'khala-sync-browser-test';
const DOCS = 25;
/** Crosses the base64 `sync:frame` path: 2- and 3-byte UTF-8, 4-byte emoji, a ZWJ sequence. */
const UTF8_TEXT = 'café déjà vu · 日本語 · 🙂🚀 · 👩🏽‍💻';

let outDir: string | undefined;
let web: Server | undefined;
let ref: ReferenceServer | undefined;
let noCors: ReferenceServer | undefined;
let browser: LaunchedChromium | undefined;
let page: Page;
let pageUrl = '';
const pageErrors: string[] = [];
/** Watermarks applied by every page load so far, in order (the no-duplicate check spans reloads). */
const appliedEver: number[] = [];

function staticServer(bundle: Buffer): Promise<Server> {
  const html = '<!doctype html><meta charset="utf-8"><title>khala-sync browser test</title><script type="module" src="/page.js"></script>';
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
    else if (path === '/page.js') res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' }).end(bundle);
    else res.writeHead(404).end();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function publish(count: number, prefix: string): void {
  for (let i = 0; i < count; i++) {
    ref!.publish(TOPIC, [{ docKey: `runtime/run_summary:${prefix}_${i % DOCS}`, payload: { i, prefix, text: UTF8_TEXT, status: i % 2 ? 'running' : 'done' } }]);
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** `server.documents(TOPIC)` in the page's shape: what a converged client holds. */
function serverDocuments(): PageDocument[] {
  return [...ref!.documents(TOPIC)]
    .map(([docKey, d]) => ({ docKey, docVersion: d.docVersion, payload: d.payload }))
    .sort((a, b) => (a.docKey < b.docKey ? -1 : a.docKey > b.docKey ? 1 : 0));
}

const view = (): Promise<PageView> => page.evaluate((topic) => window.khala!.view(topic), TOPIC);
const record = () => page.evaluate(() => window.khala!.record);
const open = (token: PageClientOptions['token']): Promise<number | undefined> =>
  page.evaluate((o) => window.khala!.open(o), { url: ref!.url, token, snapshotUrl: ref!.snapshotUrl, dbName: DB, topic: TOPIC });
const connect = () => page.evaluate(() => window.khala!.connect());
const closeClient = () => page.evaluate(() => window.khala!.close());
const readStore = () => page.evaluate(([db, topic]) => window.khala!.stored(db, topic), [DB, TOPIC] as const);

async function untilLiveAt(watermark: number): Promise<void> {
  try {
    await page.waitForFunction(
      ([topic, w]) => {
        const v = window.khala?.view(topic);
        return v?.status === 'live' && v.watermark === w;
      },
      [TOPIC, watermark] as const,
      { polling: 25, timeout: 10_000 },
    );
  } catch (err) {
    // Say where the page got stuck instead of only "timeout".
    const [v, r] = await Promise.all([view(), record()]);
    const errorCounts: Record<string, number> = {};
    for (const code of r.errors) errorCounts[code] = (errorCounts[code] ?? 0) + 1;
    throw new Error(
      `page never reached live at ${watermark}: status ${v.status}, watermark ${v.watermark}, ` +
        `events ${JSON.stringify(r.events)}, errors ${JSON.stringify(errorCounts)}, page errors ${JSON.stringify(pageErrors)}`,
      { cause: err },
    );
  }
}

async function loadPage(reload: boolean): Promise<void> {
  if (reload) await page.reload();
  else await page.goto(pageUrl);
  await page.waitForFunction(() => window.khala !== undefined, undefined, { timeout: 5_000 });
}

describe('browser build (esbuild, platform browser)', () => {
  it('bundles both browser entries without a Node built-in, server code or ws; main entry within its size budget', async () => {
    const sizes = await measureBrowserEntries();
    for (const size of sizes) {
      expect(nodeOnlyInputs(size.metafile), size.entry).toEqual([]);
      console.log(`[browser bundle] ${size.entry}: ${size.minBytes} B min, ${size.gzipBytes} B min+gz`);
    }
    const main = sizes[0]!;
    // isomorphic-ws resolves to its browser file (the native WebSocket), not the `ws` wrapper.
    const inputs = Object.keys(main.metafile.inputs);
    expect(inputs).toContain('node_modules/isomorphic-ws/browser.js');
    expect(inputs.some((p) => p.startsWith('node_modules/ws/') || p === 'node_modules/isomorphic-ws/node.js')).toBe(false);
    expect(main.gzipBytes).toBeLessThan(MAIN_ENTRY_GZIP_BUDGET);
  });

  it('the guard really refuses Node-only imports', async () => {
    await expect(measure('probe', `import 'node:fs';`)).rejects.toThrow(/Node built-in "node:fs"/);
    await expect(measure('probe', `import { createHash } from 'crypto'; console.log(createHash);`)).rejects.toThrow(/Node built-in "crypto"/);
    await expect(measure('probe', `export * from './src/server/index.ts';`)).rejects.toThrow(/Node-only source/);
    await expect(measure('probe', `export * from 'better-sqlite3';`)).rejects.toThrow(/server\/test-only package "better-sqlite3"/);
  });
});

describe('SyncClient in Chromium on real IndexedDB', () => {
  beforeAll(async () => {
    assertChromium();
    outDir = mkdtempSync(join(tmpdir(), 'khala-browser-bundle-'));
    const meta = await buildPage(outDir);
    expect(nodeOnlyInputs(meta)).toEqual([]);
    web = await staticServer(readFileSync(join(outDir, 'page.js')));
    pageUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}/`;
    // Frame-only emission: every update reaches the page as a base64 `sync:frame`, never as the legacy event.
    ref = await startReferenceServer({ port: 0, doubleEmission: false, singleEmission: 'frame' });
    noCors = await startReferenceServer({ port: 0, corsOrigins: [] });
    browser = await launchChromium();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  afterAll(async () => {
    await browser?.close();
    await ref?.close();
    await noCors?.close();
    await new Promise<void>((resolve) => (web ? web.close(() => resolve()) : resolve()));
    web?.closeAllConnections();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('replays a backlog into IndexedDB, reaches live and applies live updates (UTF-8 intact through sync:frame)', async () => {
    await loadPage(false);
    publish(300, 'backlog');
    const token = await ref!.mintToken({ scopes: [TOPIC] });
    expect(await open(token)).toBeUndefined(); // fresh profile: no stored cursor
    await connect();
    await untilLiveAt(300);
    expect((await record()).events).toContain('caught_up');
    publish(20, 'live');
    await untilLiveAt(320);
    const r = await record();
    expect(r.applied).toEqual(range(1, 320));
    expect(r.errors).toEqual([]);
    const v = await view();
    expect(v.documents).toEqual(serverDocuments());
    expect(v.documents.every((d) => (d.payload as { text?: string }).text === UTF8_TEXT)).toBe(true);
    appliedEver.push(...r.applied);
  });

  it('after a page reload, resumes from the IndexedDB watermark with no duplicate and no gap', async () => {
    const atReload = serverDocuments();
    // No close(): the page goes away mid-session, as when a tab reloads. Only completed commits count.
    await loadPage(true);
    publish(30, 'offline');
    const token = await ref!.mintToken({ scopes: [TOPIC] });
    expect(await open(token)).toBe(320);
    expect((await view()).documents).toEqual(atReload); // documents restored from IndexedDB before connecting
    await connect();
    await untilLiveAt(350);
    publish(10, 'live2');
    await untilLiveAt(360);
    const r = await record();
    expect(r.applied).toEqual(range(321, 360));
    expect(r.errors).toEqual([]);
    appliedEver.push(...r.applied);
    expect(new Set(appliedEver).size).toBe(appliedEver.length);
    expect(appliedEver).toEqual(range(1, 360));
    expect((await view()).documents).toEqual(serverDocuments());
  });

  it('a stale cursor bootstraps from the snapshot over cross-origin fetch; IndexedDB ends equal to the server', async () => {
    await closeClient();
    const closedState = await readStore();
    expect(closedState.watermark).toBe(360);
    expect(closedState.documents).toEqual(serverDocuments());

    publish(100, 'later');
    ref!.prune(TOPIC, 400); // 361..400 are gone: cursor 360 is stale
    const before = await record();
    // A second client in the same page; its token comes from the mint endpoint (a CORS POST).
    expect(await open({ url: ref!.tokenUrl })).toBe(360);
    await connect();
    await untilLiveAt(460);
    let r = await record();
    expect(r.events.slice(before.events.length).filter((e) => e !== 'caught_up')).toEqual(['stale', 'bootstrap']);
    expect(r.applied.length).toBe(before.applied.length); // the snapshot replaces state; no update is "applied"
    expect((await view()).documents).toEqual(serverDocuments());

    publish(5, 'after');
    await untilLiveAt(465);
    r = await record();
    expect(r.applied.slice(before.applied.length)).toEqual(range(461, 465));
    expect(r.errors).toEqual([]);
    await closeClient();
    const stored = await readStore();
    expect(stored.watermark).toBe(465);
    expect(stored.documents).toEqual(serverDocuments());
    expect(stored.documents.some((d) => (d.payload as { text?: string }).text === UTF8_TEXT)).toBe(true);
  });

  it('the same fetch is refused by the browser when the server sends no CORS headers', async () => {
    // Runs on its own too (vitest -t): the page is loaded by the earlier test otherwise.
    if (!(await page.evaluate(() => window.khala !== undefined))) await loadPage(false);
    const token = await noCors!.mintToken({ scopes: [TOPIC] });
    const blocked = await page.evaluate(([url, t]) => window.khala!.tryFetch(url, t), [`${noCors!.snapshotUrl}/${TOPIC}`, token] as const);
    expect(blocked).toMatch(/^blocked: /);
    const allowedToken = await ref!.mintToken({ scopes: [TOPIC] });
    const allowed = await page.evaluate(([url, t]) => window.khala!.tryFetch(url, t), [`${ref!.snapshotUrl}/${TOPIC}`, allowedToken] as const);
    expect(allowed).toBe('200');
    expect(pageErrors).toEqual([]);
  });
});
