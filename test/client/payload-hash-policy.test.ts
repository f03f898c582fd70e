// verifyPayloadHash (docs/security.md): 'fetched' (default) checks HTTP bodies only, 'all' socket
// updates too, 'off' nothing. A socket update whose payload_hash lies is made by editing the
// reference server's journal entry after publishing (the frame is encoded from it at send time;
// the server's document store keeps the true hash, so hydration serves a matching body).
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Hydrator } from '../../src/bootstrap/snapshot-source.js';
import type { PayloadHashPolicy } from '../../src/client/options.js';
import { SyncClient } from '../../src/client/sync-client.js';
import type { ReferenceServer } from '../../src/server/index.js';
import { record, RUNS, server, until, type Recorded } from './harness.js';
import { httpHydrator, httpSnapshotSource } from '../../src/http.js';

const WRONG = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
let srv: ReferenceServer;
const open: Recorded[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.client.close();
  await srv?.close();
});

async function lyingSocketUpdate(policy: PayloadHashPolicy | undefined): Promise<Recorded> {
  srv = await server();
  srv.publish(RUNS, [{ docKey: 'a', payload: { n: 1 } }]);
  const [entry] = srv.publish(RUNS, [{ docKey: 'b', payload: { n: 2 } }]);
  entry!.payloadHash = WRONG;
  const r = record(srv, { topics: [RUNS], hydrator: httpHydrator({ baseUrl: srv.hydrateUrl }), ...(policy === undefined ? {} : { verifyPayloadHash: policy }) });
  open.push(r);
  await r.client.connect();
  await until(() => r.client.getWatermark(RUNS) === 2, 'applied');
  return r;
}

describe('verifyPayloadHash', () => {
  it("default 'fetched': a socket body is not recomputed; its hash string is stored as sent", async () => {
    const r = await lyingSocketUpdate(undefined);
    const b = r.client.getDocument(RUNS, 'b');
    expect(b).toMatchObject({ payload: { n: 2 }, payloadHash: WRONG, hydrationPending: false });
    expect(r.errors.map((e) => e.code)).toEqual([]);
  });

  it("'all': a socket body that fails its hash is not stored and is fetched again over HTTP (A6)", async () => {
    const r = await lyingSocketUpdate('all');
    expect(r.errors.map((e) => e.code)).toContain('payload_hash_mismatch');
    await until(() => r.client.getDocument(RUNS, 'b')?.hydrationPending === false, 'hydrated');
    expect(r.client.getDocument(RUNS, 'b')?.payload).toEqual({ n: 2 });
    expect(r.client.getDocument(RUNS, 'b')?.payloadHash).not.toBe(WRONG);
  });

  for (const policy of ['fetched', 'off'] as const) {
    it(`'${policy}': a hydrated body that does not match the socket's hash is ${policy === 'off' ? 'accepted' : 'refused'}`, async () => {
      srv = await server();
      srv.publish(RUNS, [{ docKey: 'p', payload: { real: true }, pointer: true }]);
      // A hydrator whose body is not the one the socket announced (and which sends no hash itself).
      const hydrator: Hydrator = async (_topic, docKey) => ({ docKey, docVersion: 1, payload: { forged: true }, payloadHash: null });
      const r = record(srv, { topics: [RUNS], hydrator, verifyPayloadHash: policy });
      open.push(r);
      await r.client.connect();
      if (policy === 'off') {
        await until(() => r.client.getDocument(RUNS, 'p')?.hydrationPending === false, 'hydrated');
        expect(r.client.getDocument(RUNS, 'p')?.payload).toEqual({ forged: true });
      } else {
        await until(() => r.errors.some((e) => e.code === 'hydration_failed'), 'hydration_failed');
        expect(r.errors.find((e) => e.code === 'hydration_failed')?.message).toContain('payload_hash');
        expect(r.client.getDocument(RUNS, 'p')).toMatchObject({ payload: null, hydrationPending: true });
      }
    });
  }
});

describe('verifyPayloadHash without WebCrypto (no crypto.subtle: an insecure browser context)', () => {
  afterEach(() => vi.unstubAllGlobals());
  const base = { url: 'ws://127.0.0.1:1', token: 't' };

  it('a client that would check a body is refused at construction (invalid_options); one that checks nothing is not', () => {
    vi.stubGlobal('crypto', {});
    const refused = expect.objectContaining({ code: 'invalid_options', details: { option: 'verifyPayloadHash' } });
    expect(() => new SyncClient({ ...base, verifyPayloadHash: 'all' })).toThrow(refused);
    expect(() => new SyncClient({ ...base, hydrator: httpHydrator({ baseUrl: 'http://127.0.0.1:1/h' }) })).toThrow(refused);
    expect(() => new SyncClient({ ...base, snapshot: httpSnapshotSource({ baseUrl: 'http://127.0.0.1:1/s' }) })).toThrow(refused);
    expect(() => new SyncClient(base)).not.toThrow();
    expect(() => new SyncClient({ ...base, hydrator: httpHydrator({ baseUrl: 'http://127.0.0.1:1/h' }), verifyPayloadHash: 'off' })).not.toThrow();
  });
});
