// A token refresh whose mint is refused with 429/503 and Retry-After waits at least that long
// before the next attempt (bounded by maxRetryAfterMs), as the initial connect does; it used to
// retry on the reconnect delay (20 ms here). A real loopback token endpoint sits in front of the
// test server's: it answers 503 with Retry-After while `refuse` counts down, and forwards otherwise.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/index.js';
import type { LaneNotice } from '../../src/index.js';
import { tokenEndpoint } from '../../src/http.js';
import { publishN, stClient, stTestBed, STREAM_A, type StRecorded } from '../adapters/spacetime/client-helpers.js';
import { until } from './harness.js';

const bed = stTestBed();
let front: Server | undefined;
afterEach(async () => {
  front?.closeAllConnections();
  await new Promise((resolve) => (front ? front.close(resolve) : resolve(undefined)));
  front = undefined;
});

/** A token endpoint on loopback forwarding to `upstream`; `state.refuse` mints answer 503 with `Retry-After: retryAfter`. */
async function frontEndpoint(upstream: string, retryAfter: string): Promise<{ url: string; state: { refuse: number }; mints: { at: number; status: number }[] }> {
  const state = { refuse: 0 };
  const mints: { at: number; status: number }[] = [];
  front = createServer((req, res) => {
    req.resume();
    if (state.refuse > 0) {
      state.refuse--;
      mints.push({ at: Date.now(), status: 503 });
      res.writeHead(503, { 'retry-after': retryAfter });
      return res.end();
    }
    void fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then(async (up) => {
      mints.push({ at: Date.now(), status: up.status });
      res.writeHead(up.status, { 'content-type': 'application/json' });
      res.end(await up.text());
    });
  });
  await new Promise<void>((resolve) => front!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(front.address() as AddressInfo).port}/token`, state, mints };
}

describe('token refresh honours the token endpoint Retry-After', () => {
  it('a refresh refused with 503 and Retry-After: 1 is retried no sooner than 1 s, not on the 20 ms reconnect delay', async () => {
    const srv = await bed.start({ tokenTtlSeconds: 10, tokenRefreshAfterSeconds: 0.3 });
    publishN(srv, STREAM_A, 3);
    const endpoint = await frontEndpoint(srv.tokenUrl, '1');
    const r: StRecorded = bed.track(stClient(srv, { topics: [STREAM_A], token: tokenEndpoint({ url: endpoint.url }), reconnectDelay: () => 20 }));
    const notices: LaneNotice[] = [];
    r.client.on('notice', (n) => notices.push(n));
    await r.client.connect();
    await until(() => r.client.status === 'live', 'live');
    endpoint.state.refuse = 1;
    await until(() => notices.some((n) => n.type === 'token_refresh' && n.outcome === 'switched'), 'a refresh after the refused one', 10_000);
    const refused = endpoint.mints.findIndex((m) => m.status === 503);
    const retried = endpoint.mints[refused + 1]!;
    expect(retried.status).toBe(200);
    expect(retried.at - endpoint.mints[refused]!.at).toBeGreaterThanOrEqual(950);
    const failure = r.errors.find((e) => e.code === ErrorCodes.TOKEN_REFRESH_FAILED)!;
    expect(failure.details).toMatchObject({ attempt: 1, retryInMs: 1000, cause: ErrorCodes.TOKEN_PROVIDER_FAILED });
    expect(r.client.status).toBe('live');
  });

  it('the wait is capped at maxRetryAfterMs', async () => {
    const srv = await bed.start({ tokenTtlSeconds: 10, tokenRefreshAfterSeconds: 0.3 });
    const endpoint = await frontEndpoint(srv.tokenUrl, '86400');
    const r: StRecorded = bed.track(stClient(srv, { topics: [STREAM_A], token: tokenEndpoint({ url: endpoint.url, maxRetryAfterMs: 400 }), reconnectDelay: () => 20, maxRetryAfterMs: 300 }));
    await r.client.connect();
    await until(() => r.client.status === 'live', 'live');
    endpoint.state.refuse = 1;
    await until(() => r.errors.some((e) => e.code === ErrorCodes.TOKEN_REFRESH_FAILED), 'a refused refresh', 10_000);
    expect(r.errors.find((e) => e.code === ErrorCodes.TOKEN_REFRESH_FAILED)!.details).toMatchObject({ retryInMs: 300 });
  });
});
