// A retry wait built from garbage must not become a zero wait: NaN, a negative or an oversized delay
// makes setTimeout fire at once, and a client whose token source keeps failing would then redial in
// a tight loop. The app's reconnectDelay and a token error's retryAfterMs are both app-supplied.
import { afterEach, describe, expect, it } from 'vitest';
import { retryDelay } from '../../src/client/backoff.js';
import { SyncClient } from '../../src/client/sync-client.js';
import { KhalaSyncError } from '../../src/errors/khala-sync-error.js';

const clients: SyncClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});

/** Token calls a client makes in `ms` when every call fails with `fail()`. */
async function tokenCalls(ms: number, fail: () => unknown, reconnectDelay?: (n: number) => number): Promise<number> {
  let calls = 0;
  const token = (): string => {
    calls++;
    throw fail();
  };
  const client = new SyncClient({ url: 'ws://127.0.0.1:9', token, ...(reconnectDelay ? { reconnectDelay } : {}) });
  clients.push(client);
  client.on('error', () => {});
  void client.connect().catch(() => {});
  await new Promise((r) => setTimeout(r, ms));
  return calls;
}

describe('retry waits from app-supplied values', () => {
  it('a token error whose retryAfterMs is not a number waits the reconnect delay, not zero', async () => {
    const calls = await tokenCalls(400, () => new KhalaSyncError('client', 'token_provider_failed', 'down', { details: { retryAfterMs: 'soon' } }), () => 100);
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(calls).toBeLessThanOrEqual(6);
  });

  it.each([
    ['NaN', () => NaN],
    ['a negative delay', () => -1],
    ['a delay a timer cannot hold', () => 2 ** 40],
    ['a throwing function', () => { throw new Error('bug'); }],
  ])('reconnectDelay returning %s falls back to the default backoff', async (_, delay) => {
    // The default backoff's first waits are at most 250, 500, 1000 ms (full jitter): a handful of calls, not hundreds.
    expect(await tokenCalls(400, () => new Error('down'), delay as (n: number) => number)).toBeLessThanOrEqual(12);
  });

  it('retryDelay: a positive retryAfterMs raises the wait up to maxRetryAfterMs; anything else is ignored', () => {
    expect(retryDelay(() => 10, 1, 500, 60_000)).toBe(500);
    expect(retryDelay(() => 10, 1, 10 ** 9, 60_000)).toBe(60_000);
    for (const junk of [undefined, NaN, -5, 0, '700', null]) expect(retryDelay(() => 10, 1, junk, 60_000)).toBe(10);
    expect(retryDelay(() => 700, 1, 200, 60_000)).toBe(700);
    const d = retryDelay(() => NaN, 3, undefined, 60_000);
    expect(d).toBeGreaterThanOrEqual(0);
    expect(d).toBeLessThanOrEqual(1000);
  });
});
