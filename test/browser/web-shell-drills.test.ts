// Browser drills of issue #13 on examples/web-shell in Debian's Chromium, in order on one browser
// profile (tabs share IndexedDB, the service worker and the Web Lock, as in a real browser):
// two tabs share one socket; closing the leader hands over within 2 s with no duplicate and no gap;
// offline holds reconnects and online resumes; a canary deploy is detected and promoted onto; a
// rollback deploy activates the prior build; a build outside the window whose promotion fails shows
// "hard refresh required" and opens no socket; the server's upgrade_required leads there too.
// Every state is saved as a screenshot under test-artifacts/web-shell/.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebShellBuild } from '../../examples/web-shell/build.mjs';
import { appliedThisLoad, range, screenshot, startWebShellEnv, TOPICS, untilLiveAt, untilView, WAIT_MS, type WebShellEnv } from './web-shell-env.js';

const [RUNS, WORKERS] = TOPICS;
const BUILD_A = '20261202T100000Z';
const BUILD_B = '20261202T110000Z';
const BUILD_C = '20261202T120000Z';
let env: WebShellEnv;
let buildA: WebShellBuild;
let buildB: WebShellBuild;
let tab1: Page;
let tab2: Page;
/** Watermarks applied by tabs that are gone (closed, or reloaded away), per topic. */
const appliedByGone: Record<string, number[]> = { [RUNS]: [], [WORKERS]: [] };

const relayedOf = (page: Page): Promise<Record<string, number[]>> => page.evaluate(() => window.webShell!.relayed);
const cacheNames = (page: Page): Promise<string[]> => page.evaluate(async () => (await caches.keys()).sort());

/** Wait for the page to run `buildId` (it reloads on the way, so evaluation may fail meanwhile). */
async function untilBuild(page: Page, buildId: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const running = await page.evaluate(() => window.webShell?.buildId).catch(() => undefined);
    if (running === buildId) return;
    if (Date.now() > deadline) throw new Error(`page never ran build ${buildId} (last seen ${running})`);
    await page.waitForTimeout(100);
  }
}

/** Keep what a page applied before it goes away, for the no-duplicate/no-gap check across tabs. */
async function retire(page: Page): Promise<void> {
  const applied = await appliedThisLoad(page);
  for (const topic of TOPICS) appliedByGone[topic]!.push(...(applied[topic] ?? []));
}

function expectExactlyOnce(current: Record<string, number[]>, through: Record<string, number>): void {
  for (const topic of TOPICS) {
    const all = [...appliedByGone[topic]!, ...(current[topic] ?? [])].sort((a, b) => a - b);
    expect(all, topic).toEqual(range(1, through[topic]!));
  }
}

beforeAll(async () => {
  const started = await startWebShellEnv({ buildId: BUILD_A });
  env = started;
  buildA = started.first;
  env.web.setConfig({ ...configOf(env), manifestPollMs: 500 });
  buildB = await env.build({ name: 'canary', buildId: BUILD_B, minClientBuildId: BUILD_A, rollbackBuildIds: [BUILD_A] });
}, 90_000);

afterAll(async () => {
  await env?.close();
});

function configOf(e: WebShellEnv) {
  return { url: e.ref.url, tokenUrl: e.ref.tokenUrl, snapshotUrl: e.ref.snapshotUrl, topics: [...TOPICS] };
}

describe('web-shell drills in Chromium', { timeout: 90_000 }, () => {
  it('two tabs share one socket: the leader syncs, the follower shows the same documents from IndexedDB and relays', async () => {
    env.publish(RUNS, 20, 'backlog');
    env.publish(WORKERS, 10, 'backlog');
    tab1 = await env.open();
    await tab1.goto(env.web.url);
    await untilView(tab1, 'leader', "v.role === 'leader'");
    await untilLiveAt(tab1, { [RUNS]: 20, [WORKERS]: 10 });
    tab2 = await env.open();
    await tab2.goto(env.web.url);
    await untilView(tab2, 'follower at 20/10', `v.role === 'follower' && v.topics[0].watermark === 20 && v.topics[1].watermark === 10 && v.status === 'live'`);
    env.publish(RUNS, 5, 'live');
    env.publish(WORKERS, 3, 'live');
    await untilLiveAt(tab1, { [RUNS]: 25, [WORKERS]: 13 });
    await untilLiveAt(tab2, { [RUNS]: 25, [WORKERS]: 13 });
    expect(env.ref.stats().openConnections).toBe(1);
    expect(env.ref.stats().connections).toBe(1);
    expect(await appliedThisLoad(tab2)).toEqual({ [RUNS]: [], [WORKERS]: [] });
    expect(await relayedOf(tab2)).toEqual({ [RUNS]: range(21, 25), [WORKERS]: range(11, 13) });
    expectExactlyOnce(await appliedThisLoad(tab1), { [RUNS]: 25, [WORKERS]: 13 });
    await screenshot(tab1, 'drill-1-leader');
    await screenshot(tab2, 'drill-1-follower');
  });

  it('closing the leader tab: the follower takes over within 2 s and resumes with no duplicate and no gap', async () => {
    await retire(tab1);
    const closedAt = Date.now();
    await tab1.close();
    // Published while no tab holds a socket: the new leader must replay exactly these.
    env.publish(RUNS, 4, 'during-takeover');
    env.publish(WORKERS, 2, 'during-takeover');
    await untilView(tab2, 'leader', "v.role === 'leader'");
    const tookMs = Date.now() - closedAt;
    expect(tookMs).toBeLessThan(2_000);
    await untilLiveAt(tab2, { [RUNS]: 29, [WORKERS]: 15 });
    expect(await appliedThisLoad(tab2)).toEqual({ [RUNS]: range(26, 29), [WORKERS]: range(14, 15) });
    expectExactlyOnce(await appliedThisLoad(tab2), { [RUNS]: 29, [WORKERS]: 15 });
    expect(env.ref.stats().openConnections).toBe(1);
    console.log(`[drill] leader takeover after close: ${tookMs} ms`);
    await screenshot(tab2, 'drill-2-took-over');
  });

  it('offline holds reconnect attempts; back online it reconnects at once and resumes exactly', async () => {
    await tab2.context().setOffline(true);
    env.ref.faults.dropConnections(); // the network is gone: so is the socket
    await untilView(tab2, 'offline', "v.status === 'offline'");
    const connections = env.ref.stats().connections;
    env.publish(RUNS, 3, 'while-offline');
    await screenshot(tab2, 'drill-3-offline');
    await tab2.waitForTimeout(1_500); // the client's backoff is far shorter: it would have dialled by now
    expect(env.ref.stats().connections).toBe(connections);
    await tab2.context().setOffline(false);
    await untilLiveAt(tab2, { [RUNS]: 32, [WORKERS]: 15 });
    expect(env.ref.stats().connections).toBe(connections + 1);
    expectExactlyOnce(await appliedThisLoad(tab2), { [RUNS]: 32, [WORKERS]: 15 });
    await screenshot(tab2, 'drill-3-back-online');
  });

  it('a canary deploy is detected while the tab runs: promotion, reload onto the new build, sync resumes', async () => {
    await retire(tab2);
    env.web.deploy(buildB.outDir);
    await untilBuild(tab2, BUILD_B);
    await untilView(tab2, 'canary live', "v.skew === 'none' && v.role === 'leader'");
    env.publish(RUNS, 2, 'on-canary');
    await untilLiveAt(tab2, { [RUNS]: 34, [WORKERS]: 15 });
    expectExactlyOnce(await appliedThisLoad(tab2), { [RUNS]: 34, [WORKERS]: 15 });
    // The canary's worker keeps the rollback build's cache.
    expect(await cacheNames(tab2)).toEqual([`khala-web-shell::${BUILD_A}`, `khala-web-shell::${BUILD_B}`]);
    await screenshot(tab2, 'drill-4-canary-promoted');
  });

  it('a rollback deploy: the prior compatible build activates', async () => {
    await retire(tab2);
    env.web.deploy(buildA.outDir);
    await untilBuild(tab2, BUILD_A);
    await untilView(tab2, 'rolled back live', "v.skew === 'none' && v.role === 'leader'");
    env.publish(WORKERS, 2, 'after-rollback');
    await untilLiveAt(tab2, { [RUNS]: 34, [WORKERS]: 17 });
    expectExactlyOnce(await appliedThisLoad(tab2), { [RUNS]: 34, [WORKERS]: 17 });
    expect(await cacheNames(tab2)).toEqual([`khala-web-shell::${BUILD_A}`]);
    await screenshot(tab2, 'drill-5-rolled-back');
  });

  it('a build outside the window whose promotion fails: "hard refresh required", and no socket is opened', async () => {
    const outside = await env.build({ name: 'outside', buildId: BUILD_C, minClientBuildId: BUILD_C });
    rmSync(join(outside.outDir, 'sw.js')); // promotion cannot find a new worker
    await retire(tab2);
    env.web.deploy(outside.outDir);
    await untilView(tab2, 'hard refresh required', "v.skew === 'hard_refresh_required'");
    await untilView(tab2, 'sync stopped', "v.status === 'not started'");
    expect(env.ref.stats().openConnections).toBe(0);
    // A reload runs the pinned old build again: the same state, and sync never starts.
    const connections = env.ref.stats().connections;
    await tab2.reload();
    const v = await untilView(tab2, 'hard refresh required after reload', "v.skew === 'hard_refresh_required'");
    expect(v.buildId).toBe(BUILD_A);
    expect(v.banner).toContain('below_min_client');
    expect(v.status).toBe('not started');
    expect(env.ref.stats().connections).toBe(connections);
    await screenshot(tab2, 'drill-6-hard-refresh-required');
  });

  it('the server refuses the build at join (upgrade_required): the same hard-refresh state', async () => {
    env.web.deploy(buildA.outDir);
    env.ref.setCompatibility({ enforce: true, protocolVersion: 'khala.ws.v1', minClientBuildId: BUILD_B, maxClientBuildId: null, minSchemaVersion: 1, maxSchemaVersion: 1 });
    await tab2.reload();
    const v = await untilView(tab2, 'upgrade required', "v.skew === 'hard_refresh_required'");
    expect(v.banner).toContain('upgrade_required');
    expect(v.status).toBe('not started');
    expect(env.ref.stats().openConnections).toBe(0);
    await screenshot(tab2, 'drill-7-upgrade-required');
    expect(env.pageErrors).toEqual([]);
  });
});
