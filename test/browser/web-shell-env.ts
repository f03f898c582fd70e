// The examples/web-shell drills' shared setup: a build of the example, the reference server, the
// example's static server and Chromium, plus the waits and checks the drills repeat.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { buildWebShell, type WebShellBuild, type WebShellBuildOptions } from '../../examples/web-shell/build.mjs';
import { startWebShellServer, type WebShellServer } from '../../examples/web-shell/server.mjs';
import type { ShellView } from '../../examples/web-shell/app/view.js';
import { startReferenceServer, type ReferenceServer, type ReferenceServerOptions } from '../../src/server/index.js';
import { ARTIFACTS_DIR, launchChromium, type LaunchedChromium } from './chromium-launch.js';

/** The two topics the example shows. */
export const TOPICS = ['runtime.run_summaries', 'runtime.codex_worker_summaries'] as const;
/** Generous: a loaded 2-core machine runs several Chromium renderers at once. */
export const WAIT_MS = 20_000;

/** One running drill environment. */
export interface WebShellEnv {
  ref: ReferenceServer;
  web: WebShellServer;
  chromium: LaunchedChromium;
  /** A directory for extra builds (canary, rollback). */
  workDir: string;
  build(options: Omit<WebShellBuildOptions, 'outDir'> & { name: string }): Promise<WebShellBuild>;
  /** Publish `count` updates on `topic`; returns the watermarks the server gave them. */
  publish(topic: string, count: number, tag: string): number[];
  /** Uncaught page errors seen so far, by page. */
  pageErrors: string[];
  open(): Promise<Page>;
  close(): Promise<void>;
}

/** Build `first`, start every server and Chromium. */
export async function startWebShellEnv(first: Omit<WebShellBuildOptions, 'outDir'>, server: ReferenceServerOptions = {}): Promise<WebShellEnv & { first: WebShellBuild }> {
  const workDir = mkdtempSync(join(tmpdir(), 'khala-web-shell-'));
  const build: WebShellEnv['build'] = ({ name, ...options }) => buildWebShell({ ...options, outDir: join(workDir, name) });
  const firstBuild = await build({ ...first, name: 'first' });
  const ref = await startReferenceServer({ port: 0, ...server });
  const web = await startWebShellServer({
    root: firstBuild.outDir,
    config: { url: ref.url, tokenUrl: ref.tokenUrl, snapshotUrl: ref.snapshotUrl, topics: [...TOPICS] },
  });
  const chromium = await launchChromium();
  const pageErrors: string[] = [];
  let n = 0;
  return {
    ref,
    web,
    chromium,
    workDir,
    first: firstBuild,
    build,
    pageErrors,
    publish(topic, count, tag) {
      const out: number[] = [];
      for (let i = 0; i < count; i++, n++) {
        const entries = ref.publish(topic, [{ docKey: `${topic}:doc_${n % 12}`, payload: { n, tag, status: n % 3 ? 'running' : 'finished' } }]);
        out.push(...entries.map((e) => e.watermark));
      }
      return out;
    },
    async open() {
      const page = await chromium.context.newPage();
      page.on('pageerror', (err) => pageErrors.push(err.message));
      return page;
    },
    async close() {
      await chromium.close();
      await web.close();
      await ref.close();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** The page's `window.webShell.view()`, or undefined before the app has started. */
export const shellView = (page: Page): Promise<ShellView | undefined> => page.evaluate(() => window.webShell?.view());

/** Watermarks this page load applied (or was relayed), per topic. */
export const appliedThisLoad = (page: Page): Promise<Record<string, number[]>> => page.evaluate(() => window.webShell!.applied);

/** Wait until `predicate(view)` holds; on timeout, say what the page showed. */
export async function untilView(page: Page, what: string, predicate: string): Promise<ShellView> {
  try {
    await page.waitForFunction(
      (body) => {
        const v = window.webShell?.view();
        return v !== undefined && (new Function('v', `return (${body});`) as (v: unknown) => boolean)(v);
      },
      predicate,
      { polling: 50, timeout: WAIT_MS },
    );
  } catch (err) {
    const v = await shellView(page).catch(() => undefined);
    const brief = v && { status: v.status, role: v.role, skew: v.skew, banner: v.banner, topics: v.topics.map((t) => [t.topic, t.phase, t.watermark]) };
    throw new Error(`page never showed ${what}: ${JSON.stringify(brief)}`, { cause: err });
  }
  return (await shellView(page))!;
}

/** Wait until both topics are live at the given watermarks. */
export function untilLiveAt(page: Page, watermarks: Record<string, number>): Promise<ShellView> {
  const checks = Object.entries(watermarks).map(([topic, w]) => `v.topics.some((t) => t.topic === ${JSON.stringify(topic)} && t.phase === 'live' && t.watermark === ${w})`);
  return untilView(page, `live at ${JSON.stringify(watermarks)}`, checks.join(' && '));
}

/** Save a screenshot under test-artifacts/web-shell/. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = join(ARTIFACTS_DIR, 'web-shell');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.bringToFront();
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** `from..to` inclusive. */
export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
