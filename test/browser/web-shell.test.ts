// examples/web-shell in Debian's Chromium: the page built by the example's own build, served by
// its own static server, syncing two topics from the reference server over the native WebSocket
// into IndexedDB. It shows live updates, and after a reload resumes with no duplicate and no gap.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeOnlyInputs } from './bundle.js';
import { appliedThisLoad, range, screenshot, startWebShellEnv, TOPICS, untilLiveAt, type WebShellEnv } from './web-shell-env.js';

const [RUNS, WORKERS] = TOPICS;
let env: WebShellEnv;
let page: Page;

function documentsOf(topic: string): { docKey: string; docVersion: number }[] {
  return [...env.ref.documents(topic)].map(([docKey, d]) => ({ docKey, docVersion: d.docVersion })).sort((a, b) => a.docKey.localeCompare(b.docKey));
}

beforeAll(async () => {
  const started = await startWebShellEnv({ buildId: '20261202T100000Z' });
  env = started;
  expect(nodeOnlyInputs(started.first.metafile)).toEqual([]);
  page = await env.open();
}, 60_000);

afterAll(async () => {
  await env?.close();
});

describe('examples/web-shell in Chromium', () => {
  it('replays both topics from the reference server, goes live and shows live updates', async () => {
    env.publish(RUNS, 40, 'backlog');
    env.publish(WORKERS, 15, 'backlog');
    await page.goto(env.web.url);
    await untilLiveAt(page, { [RUNS]: 40, [WORKERS]: 15 });
    env.publish(RUNS, 5, 'live');
    env.publish(WORKERS, 3, 'live');
    const view = await untilLiveAt(page, { [RUNS]: 45, [WORKERS]: 18 });
    expect(view.status).toBe('live');
    const applied = await appliedThisLoad(page);
    expect(applied[RUNS]).toEqual(range(1, 45));
    expect(applied[WORKERS]).toEqual(range(1, 18));
    for (const topic of TOPICS) {
      const shown = view.topics.find((t) => t.topic === topic)!;
      expect(shown.documents.map((d) => ({ docKey: d.docKey, docVersion: d.docVersion })).sort((a, b) => a.docKey.localeCompare(b.docKey))).toEqual(documentsOf(topic));
    }
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'live', undefined, { timeout: 5_000 });
    await screenshot(page, 'basic-live');
    expect(env.pageErrors).toEqual([]);
  });

  it('after a reload resumes from IndexedDB with no duplicate and no gap', async () => {
    await page.reload();
    env.publish(RUNS, 7, 'after-reload');
    env.publish(WORKERS, 2, 'after-reload');
    await untilLiveAt(page, { [RUNS]: 52, [WORKERS]: 20 });
    const applied = await appliedThisLoad(page);
    expect(applied[RUNS]).toEqual(range(46, 52));
    expect(applied[WORKERS]).toEqual(range(19, 20));
    await screenshot(page, 'basic-after-reload');
    expect(env.pageErrors).toEqual([]);
  });
});
