import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { SyncClient } from '../../src/client/sync-client.js';
import { ErrorCodes } from '../../src/errors/index.js';
import { clientMetrics } from '../../src/observability/client-metrics.js';
import { publishN, range, seqsOf, stClient, stTestBed, STREAM_A, until } from '../adapters/spacetime/client-helpers.js';
import { recordClient, type Recorded } from './harness.js';

const bed = stTestBed();
const SECRET = 'st-secret-credential-4b1d9e77';

function codes(r: Recorded): string[] {
  return r.errors.map((e) => e.code);
}

/** Resolves after `ms` (to observe that nothing more happens). */
const quiet = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('a server that keeps refusing the session (issue #12 item 1)', () => {
  it('Spacetime: every refusal before live is a typed error with the close reason; maxRefusals identical ones stop with incompatible_server', async () => {
    const srv = await bed.start();
    srv.faults.refuseSessions({ code: 1011, reason: 'module sync_event exited' });
    const r = bed.track(stClient(srv, { topics: [STREAM_A], maxRefusals: 3, metrics: clientMetrics() }));
    const waiting = r.client.whenLive();
    await r.client.connect();
    await expect(waiting).rejects.toMatchObject({ code: ErrorCodes.INCOMPATIBLE_SERVER });
    await until(() => r.client.status === 'incompatible_server', 'incompatible_server');
    const refused = r.errors.filter((e) => e.code === ErrorCodes.SERVER_REFUSED);
    expect(refused).toHaveLength(3);
    expect(refused[0]!.message).toContain('module sync_event exited');
    expect(refused.map((e) => e.details)).toEqual([1, 2, 3].map((n) => ({ code: 1011, reason: 'module sync_event exited', consecutive: n, maxRefusals: 3 })));
    expect(refused.map((e) => e.retryable)).toEqual([true, true, false]);
    const stop = r.errors.find((e) => e.code === ErrorCodes.INCOMPATIBLE_SERVER);
    expect(stop?.message).toContain('3 times in a row with close 1011 (module sync_event exited)');
    expect(r.statuses.filter((s) => s === 'backoff')).toHaveLength(2);
    await quiet(300);
    expect(srv.stats().sessionsRefused).toBe(3);
    expect(srv.stats().connections).toBe(3);
    expect(r.client.metrics!.health().connection.lastDisconnectReason).toBe('upgrade_required');
    // connect() starts over with a fresh count once the server accepts us again.
    srv.faults.refuseSessions(null);
    publishN(srv, STREAM_A, 3);
    await r.client.connect();
    await until(() => r.client.status === 'live' && r.client.getWatermark(STREAM_A) === 3, 'live after connect()');
  });

  it('refusals that differ do not add up; a refusal after live keeps reconnect + resubscribe and is no refusal', async () => {
    const srv = await bed.start();
    publishN(srv, STREAM_A, 4);
    srv.faults.refuseSessions({ code: 1001, reason: 'going away A' }, 2);
    const r = bed.track(stClient(srv, { topics: [STREAM_A], maxRefusals: 3, metrics: clientMetrics() }));
    let switched = false;
    r.client.on('error', (e) => {
      // The third attempt is refused with another reason: the count starts over instead of stopping.
      if (switched || e.code !== ErrorCodes.SERVER_REFUSED || (e.details as { consecutive: number }).consecutive !== 2) return;
      switched = true;
      srv.faults.refuseSessions({ code: 1001, reason: 'going away B' }, 2);
    });
    await r.client.connect();
    await until(() => r.client.status === 'live' && r.client.getWatermark(STREAM_A) === 4, 'live after four refusals');
    expect(r.errors.filter((e) => e.code === ErrorCodes.SERVER_REFUSED).map((e) => (e.details as { consecutive: number }).consecutive)).toEqual([1, 2, 1, 2]);
    expect(codes(r)).not.toContain(ErrorCodes.INCOMPATIBLE_SERVER);
    // Now live: a 1011 close is an ordinary drop (reconnect, resume), however often it happens.
    for (let i = 0; i < 4; i++) {
      const before = srv.stats().connections;
      srv.faults.closeAll(1011, 'internal error after live');
      await until(() => srv.stats().connections > before && r.client.status === 'live', `resumed after drop ${i + 1}`);
      publishN(srv, STREAM_A, 1);
    }
    await until(() => r.client.getWatermark(STREAM_A) === 8, 'all delivered');
    expect(r.errors.filter((e) => e.code === ErrorCodes.SERVER_REFUSED)).toHaveLength(4);
    expect(seqsOf(r, STREAM_A)).toEqual(range(1, 8));
  });

  it('once live since connect(), a server that starts refusing (a redeploy) is ridden out: ordinary drops, never incompatible_server', async () => {
    const srv = await bed.start();
    publishN(srv, STREAM_A, 2);
    const r = bed.track(stClient(srv, { topics: [STREAM_A], maxRefusals: 2 }));
    await r.client.connect();
    await until(() => r.client.status === 'live' && r.client.getWatermark(STREAM_A) === 2, 'live');
    srv.faults.refuseSessions({ code: 1011, reason: 'module being replaced' });
    srv.faults.closeAll(1001, 'redeploy');
    await until(() => srv.stats().sessionsRefused >= 4, 'four refused sessions');
    expect(codes(r)).not.toContain(ErrorCodes.SERVER_REFUSED);
    expect(codes(r)).not.toContain(ErrorCodes.INCOMPATIBLE_SERVER);
    expect(r.client.status).not.toBe('incompatible_server');
    srv.faults.refuseSessions(null);
    publishN(srv, STREAM_A, 1);
    await until(() => r.client.status === 'live' && r.client.getWatermark(STREAM_A) === 3, 'live again after the redeploy');
    expect(seqsOf(r, STREAM_A)).toEqual(range(1, 3));
  });

  it('maxRefusals is validated (invalid_options)', async () => {
    const srv = await bed.start();
    for (const bad of [0, 1.5, -1, Number.NaN]) {
      expect(() => stClient(srv, { maxRefusals: bad })).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_OPTIONS, details: { option: 'maxRefusals' } }));
    }
  });

  it('a token the server echoes in its close reason never surfaces (errors, status reasons, health)', async () => {
    const srv = await bed.start();
    srv.faults.refuseSessions({ code: 1008, reason: `credential ${SECRET} not accepted` });
    const reasons: Array<string | undefined> = [];
    const r = bed.track(stClient(srv, { topics: [STREAM_A], token: () => SECRET, maxRefusals: 2, metrics: clientMetrics() }));
    r.client.on('status', (_s, reason) => reasons.push(reason));
    await r.client.connect();
    await until(() => r.client.status === 'incompatible_server', 'incompatible_server');
    const surfaced = JSON.stringify([r.errors.map((e) => [e.message, e.details, e.stack]), reasons, r.client.metrics!.health()]);
    expect(surfaced).not.toContain(SECRET);
    expect(r.errors.find((e) => e.code === ErrorCodes.SERVER_REFUSED)?.message).toContain('credential [redacted] not accepted');
  });
});

describe('the Khala lane shares the connection path', () => {
  let wss: WebSocketServer | undefined;
  afterEach(async () => {
    await new Promise((resolve) => wss?.close(resolve) ?? resolve(undefined));
    wss = undefined;
  });

  it('a server that accepts the socket and closes it with 1011 before the join stops the client after maxRefusals', async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    let sockets = 0;
    wss.on('connection', (ws) => {
      sockets++;
      ws.close(1011, 'schema 7 not served here');
    });
    await new Promise((resolve) => wss!.once('listening', resolve));
    const port = (wss.address() as AddressInfo).port;
    const r = recordClient(new SyncClient({ url: `ws://127.0.0.1:${port}/sync/socket/websocket`, token: 'khala-token-abcdef', topics: ['runtime.run_summaries'], reconnectDelay: () => 10, maxRefusals: 4 }));
    try {
      await r.client.connect();
      await until(() => r.client.status === 'incompatible_server', 'incompatible_server');
      expect(codes(r)).toEqual([...Array(4).fill(ErrorCodes.SERVER_REFUSED), ErrorCodes.INCOMPATIBLE_SERVER]);
      expect(r.errors[0]!.details).toMatchObject({ code: 1011, reason: 'schema 7 not served here' });
      await quiet(200);
      expect(sockets).toBe(4);
    } finally {
      await r.client.close();
    }
  });
});
