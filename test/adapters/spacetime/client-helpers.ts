import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { SyncClient } from '../../../src/client/sync-client.js';
import type { SyncClientOptions } from '../../../src/client/options.js';
import { recordClient, type Recorded } from '../../client/harness.js';
import { createSpacetimeLane, type SpacetimeLaneOptions } from '../../../src/spacetime.js';
import { startSpacetimeServer, type SpacetimeServer, type SpacetimeServerOptions } from '../../../src/server/index.js';
import { httpSnapshotSource, tokenEndpoint } from '../../../src/http.js';

export const STREAM_A = 'runtime.codex.worker.worker_1';
export const STREAM_B = 'runtime.run.run_7';

/** A Spacetime-lane client wired to record everything it reports. */
export type StRecorded = Recorded;

export function stServer(options: SpacetimeServerOptions = {}): Promise<SpacetimeServer> {
  return startSpacetimeServer({ port: 0, ...options });
}

export function stClient(srv: SpacetimeServer, options: Partial<SyncClientOptions> = {}, lane: SpacetimeLaneOptions = {}): StRecorded {
  const client = new SyncClient({
    url: srv.httpUrl,
    token: tokenEndpoint({ url: srv.tokenUrl }),
    lane: createSpacetimeLane({ database: srv.database, ...lane }),
    snapshot: httpSnapshotSource({ baseUrl: srv.snapshotUrl }),
    reconnectDelay: () => 20,
    ...options,
  });
  return recordClient(client);
}

export function publishN(srv: SpacetimeServer, stream: string, n: number, tag = 'e'): void {
  for (let i = 0; i < n; i++) srv.publish(stream, [{ payload: { tag, i, text: 'é日本🙂' } }]);
}

export function seqsOf(r: StRecorded, topic: string): number[] {
  return r.applied.filter((a) => a.topic === topic).map((a) => a.seq);
}

export { until } from '../../client/harness.js';

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/**
 * A test file's servers and clients: `start` a reference server, `track` clients; after each test
 * the tracked clients are closed, then the server. `forget` drops clients the test closed itself.
 */
export function stTestBed(): { start(options?: SpacetimeServerOptions): Promise<SpacetimeServer>; track<T extends StRecorded>(r: T): T; forget(): void } {
  const recs: StRecorded[] = [];
  let server: SpacetimeServer | undefined;
  afterEach(async () => {
    for (const r of recs.splice(0)) await r.client.close();
    await server?.close();
    server = undefined;
  });
  return {
    start: async (options) => (server = await stServer(options)),
    track: (r) => {
      recs.push(r);
      return r;
    },
    forget: () => void recs.splice(0),
  };
}

/** A fresh SQLite file path in a new temporary directory. */
export function sqlitePath(prefix = 'ks-st-'): string {
  return join(mkdtempSync(join(tmpdir(), prefix)), 'sync.sqlite');
}
