// More tab drills on examples/web-shell in Chromium: the BroadcastChannel lease (the fallback
// where Web Locks are missing) keeps one socket for two tabs and hands over when the leader closes;
// a leader told `freeze` hands the Web Lock over, and follows once resumed; a leader whose renderer
// crashes loses the lock to a follower that resumes from IndexedDB.
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

  it('a leader tab whose renderer crashes: the follower leads within 2 s and replays exactly what the crash left unapplied', async () => {
    const runsHead = env.publish(RUNS, 1, 'before-crash').at(-1)!;
    const workersHead = env.publish(WORKERS, 1, 'before-crash').at(-1)!;
    const [leader, follower] = await twoTabs('crash-db', 'auto');
    await untilLiveAt(follower, { [RUNS]: runsHead, [WORKERS]: workersHead });
    const cdp = await leader.context().newCDPSession(leader);
    const connections = env.ref.stats().connections;
    const crashedAt = Date.now();
    // Not awaited: the CDP session dies with the renderer, so the call may never answer.
    void cdp.send('Page.crash').catch(() => undefined);
    const published = env.publish(RUNS, 3, 'after-crash');
    await untilView(follower, 'leader', "v.role === 'leader'");
    const tookMs = Date.now() - crashedAt;
    expect(tookMs).toBeLessThan(2_000);
    await untilLiveAt(follower, { [RUNS]: published.at(-1)!, [WORKERS]: workersHead });
    // The crashed leader had committed everything before the crash: the new leader applies exactly the rest.
    expect((await appliedThisLoad(follower))[RUNS]).toEqual(published);
    // One new socket. The crashed renderer's socket may linger at the server for a while (the
    // browser does not always close it at once), so openConnections is not checked here.
    expect(env.ref.stats().connections).toBe(connections + 1);
    console.log(`[drill] takeover from a crashed leader: ${tookMs} ms`);
    await screenshot(follower, 'tabs-crashed-leader-replaced');
  });
});
