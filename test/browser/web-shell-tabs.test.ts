// More tab drills on examples/web-shell in Chromium: the BroadcastChannel lease (the fallback
// where Web Locks are missing) keeps one socket for two tabs and hands over when the leader closes;
// a leader told `freeze` hands the Web Lock over, and follows once resumed.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appliedThisLoad, range, screenshot, startWebShellEnv, TOPICS, untilLiveAt, untilView, type WebShellEnv } from './web-shell-env.js';

const [RUNS, WORKERS] = TOPICS;
let env: WebShellEnv;

beforeAll(async () => {
  env = await startWebShellEnv({ buildId: '20261202T100000Z' });
}, 90_000);

afterAll(async () => {
  await env?.close();
});

async function twoTabs(dbName: string, election: 'lease' | 'auto'): Promise<[Page, Page]> {
  env.web.setConfig({ url: env.ref.url, tokenUrl: env.ref.tokenUrl, snapshotUrl: env.ref.snapshotUrl, topics: [...TOPICS], dbName, election });
  const leader = await env.open();
  await leader.goto(env.web.url);
  await untilView(leader, 'leader', "v.role === 'leader' && v.status === 'live'");
  const follower = await env.open();
  await follower.goto(env.web.url);
  await untilView(follower, 'follower', "v.role === 'follower' && v.status === 'live'");
  return [leader, follower];
}

describe('web-shell tab drills in Chromium', { timeout: 90_000 }, () => {
  it('BroadcastChannel lease: one socket for two tabs; closing the leader hands over within 2 s, no duplicate, no gap', async () => {
    env.publish(RUNS, 6, 'lease');
    env.publish(WORKERS, 4, 'lease');
    const [leader, follower] = await twoTabs('lease-db', 'lease');
    await untilLiveAt(follower, { [RUNS]: 6, [WORKERS]: 4 });
    expect(env.ref.stats().openConnections).toBe(1);
    const before = await appliedThisLoad(leader);
    const closedAt = Date.now();
    await leader.close();
    env.publish(RUNS, 3, 'lease-takeover');
    await untilView(follower, 'leader', "v.role === 'leader'");
    const tookMs = Date.now() - closedAt;
    expect(tookMs).toBeLessThan(2_000);
    await untilLiveAt(follower, { [RUNS]: 9, [WORKERS]: 4 });
    const after = await appliedThisLoad(follower);
    expect([...before[RUNS]!, ...after[RUNS]!]).toEqual(range(1, 9));
    expect([...before[WORKERS]!, ...after[WORKERS]!]).toEqual(range(1, 4));
    expect(env.ref.stats().openConnections).toBe(1);
    console.log(`[drill] lease takeover after close: ${tookMs} ms`);
    await screenshot(follower, 'tabs-lease-took-over');
    await follower.close();
  });

  it('a leader that gets `freeze` hands the Web Lock over: the follower leads within 2 s; on `resume` the old leader follows', async () => {
    // Chromium's CDP freeze (Page.setWebLifecycleState) does not dispatch `freeze` in headless mode,
    // so the drill dispatches the DOM events the browser sends before it freezes a tab and on resume.
    const [leader, follower] = await twoTabs('freeze-db', 'auto');
    const before = await appliedThisLoad(leader);
    const frozenAt = Date.now();
    await leader.evaluate(() => document.dispatchEvent(new Event('freeze')));
    await untilView(follower, 'leader', "v.role === 'leader'");
    const tookMs = Date.now() - frozenAt;
    expect(tookMs).toBeLessThan(2_000);
    env.publish(RUNS, 2, 'frozen');
    await untilLiveAt(follower, { [RUNS]: 11, [WORKERS]: 4 });
    await untilView(leader, 'old leader follows', "v.role === 'follower' && v.topics[0].watermark === 11");
    await leader.evaluate(() => document.dispatchEvent(new Event('resume')));
    env.publish(WORKERS, 1, 'resumed');
    await untilLiveAt(follower, { [RUNS]: 11, [WORKERS]: 5 });
    await untilView(leader, 'old leader follows at 11/5', "v.role === 'follower' && v.topics[1].watermark === 5");
    expect(env.ref.stats().openConnections).toBe(1);
    expect(await appliedThisLoad(leader)).toEqual(before); // nothing applied by the tab after it handed over
    const taken = await appliedThisLoad(follower);
    expect(taken[RUNS]).toEqual(range(10, 11));
    expect(taken[WORKERS]).toEqual([5]);
    console.log(`[drill] takeover from a leader that froze: ${tookMs} ms`);
    await screenshot(follower, 'tabs-frozen-leader-replaced');
  });
});
