// The browser store migration once in real Chromium (Debian's package via playwright-core, as in
// chromium.test.ts): legacy `openagents.web.sync` → our IndexedDB store, verify, rollback.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { measure, nodeOnlyInputs, refuseNodeOnly, ROOT } from './bundle.js';
import { servePage } from './page-server.js';

const CHROMIUM = process.env.KHALA_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

describe('khala-sync/migrate-indexeddb in the browser', () => {
  const dirs: string[] = [];
  let web: Server | undefined;
  let context: BrowserContext | undefined;
  afterAll(async () => {
    await context?.close();
    await new Promise<void>((r) => (web ? web.close(() => r()) : r()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('bundles for the browser without a Node built-in or Node-only source', async () => {
    const size = await measure('khala-sync/migrate-indexeddb', `export * from './src/migrate-indexeddb.ts';`);
    expect(nodeOnlyInputs(size.metafile)).toEqual([]);
    console.log(`[browser bundle] khala-sync/migrate-indexeddb: ${size.minBytes} B min, ${size.gzipBytes} B min+gz`);
  });

  it('migrates the legacy web-shell database in Chromium, verifies, and rolls back to the exact records', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set KHALA_CHROMIUM); this test never skips`);
    const out = mkdtempSync(join(tmpdir(), 'khala-migrate-page-'));
    const profile = mkdtempSync(join(tmpdir(), 'khala-migrate-profile-'));
    dirs.push(out, profile);
    const result = await build({ entryPoints: { page: resolve(ROOT, 'test/browser/migrate-page-entry.ts') }, bundle: true, platform: 'browser', format: 'esm', target: 'es2022', outdir: out, metafile: true, logLevel: 'silent', plugins: [refuseNodeOnly] });
    expect(nodeOnlyInputs(result.metafile)).toEqual([]);
    const bundle = readFileSync(join(out, 'page.js'));
    const served = await servePage(bundle);
    web = served.server;
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(served.url);
    await page.waitForFunction(() => window.khalaMigrate !== undefined, undefined, { timeout: 10_000 });
    const state = readFileSync(resolve(ROOT, 'test/fixtures/migrate/web-sync-state.v1.json'), 'utf8');
    const r = await page.evaluate(([s, key]) => window.khalaMigrate!.run(s, key), [state, '{"topic_watermarks":{"old":1}}'] as const);

    expect(errors).toEqual([]);
    expect(r.manifest).toMatchObject({ status: 'migrated', operation: 'import-web-shell-indexeddb', tool: { version: 'chromium-test' } });
    expect(r.loaded.watermarks).toStrictEqual({ 'runtime.codex_worker_summaries': 5, 'runtime.run_summaries': 17, 'worker:desktopw:desktop:shared:lifecycle': 3 });
    expect(r.rerun).toBe('unchanged');
    expect(r.rolledBack).toBe(true);
    // Our store did not exist before the migration, so rollback leaves it absent; the legacy side is untouched.
    expect(r.databasesAfterRollback).toStrictEqual(['khala-sync.migrations', 'openagents.web.sync']);
    expect(r.legacyKeyAfterRollback).toBe('{"topic_watermarks":{"old":1}}');
  }, 120_000);
});
