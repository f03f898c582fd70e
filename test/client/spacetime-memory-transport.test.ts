import { describe, expect, it } from 'vitest';
import { SyncClient } from '../../src/client/sync-client.js';
import { ErrorCodes, type KhalaSyncError } from '../../src/errors/index.js';
import { createSpacetimeLane, SPACETIME_SUBPROTOCOL } from '../../src/spacetime.js';
import { createMemoryNetwork } from '../../src/transport/index.js';
import { until } from '../adapters/spacetime/client-helpers.js';

const IDENTITY = '{"IdentityToken":{"identity":{"__identity__":"0x1"},"token":"t","connection_id":{"__connection_id__":340282366920938463463374607431768211455}}}';

describe('Spacetime lane over the memory transport: the echoed subprotocol is checked at open', () => {
  it('offers exactly v1.json.spacetimedb; a cooperating peer echoes it and the session proceeds', async () => {
    const offered: string[][] = [];
    const net = createMemoryNetwork({ selectProtocol: (o) => (offered.push(o), o[0] ?? '') });
    net.onConnection = (peer) => peer.push(IDENTITY);
    const client = new SyncClient({ url: 'ws://127.0.0.1:1', token: 'tok', lane: createSpacetimeLane({ database: 'db' }), transport: net.factory, topics: ['s'] });
    await client.connect();
    await until(() => net.peers[0]?.sent.length === 1, 'subscribe sent');
    expect(offered).toEqual([[SPACETIME_SUBPROTOCOL]]);
    expect(net.peers[0]!.url).toBe('ws://127.0.0.1:1/v1/database/db/subscribe?token=tok');
    expect(JSON.parse(net.peers[0]!.sent[0]!)).toEqual({ SubscribeMulti: { query_strings: ["SELECT * FROM sync_event WHERE stream_id = 's'"], request_id: 1, query_id: { id: 1 } } });
    await client.close();
  });

  it('another (or no) echoed subprotocol → subprotocol_mismatch, status upgrade_required, nothing sent', async () => {
    for (const echo of ['v1.bsatn.spacetimedb', '']) {
      const net = createMemoryNetwork({ selectProtocol: () => echo });
      net.onConnection = (peer) => peer.push(IDENTITY);
      const errors: KhalaSyncError[] = [];
      const client = new SyncClient({ url: 'ws://127.0.0.1:1', token: 'tok', lane: createSpacetimeLane(), transport: net.factory, topics: ['s'] });
      client.on('error', (e) => errors.push(e));
      await client.connect();
      await until(() => client.status === 'upgrade_required', 'stopped');
      expect(errors.map((e) => e.code)).toEqual([ErrorCodes.SUBPROTOCOL_MISMATCH]);
      expect(net.peers[0]!.sent).toEqual([]);
      expect(net.peers).toHaveLength(1);
      await client.close();
    }
  });
});
