// More tab drills on examples/web-shell in Chromium: the BroadcastChannel lease (the fallback
// where Web Locks are missing) keeps one socket for two tabs and hands over when the leader closes.
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
});
