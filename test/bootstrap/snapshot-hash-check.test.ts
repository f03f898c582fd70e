// The client checks every snapshot document's payload_hash (SPEC.md R8: bad_snapshot fails the
// topic), whether the source offers pages early through onPage (the check then runs as they
// arrive, src/client/replay-driver.ts) or only yields them.
import { afterEach, describe, expect, it } from 'vitest';
import { httpSnapshotSource } from '../../src/bootstrap/http-snapshot-source.js';
import type { SnapshotPage, SnapshotSource } from '../../src/bootstrap/snapshot-source.js';
import type { ReferenceServer } from '../../src/server/index.js';
import { createMemoryStore } from '../../src/watermarks/memory-store.js';
import { publishRange, record, RUNS, server, until, type Recorded } from '../client/harness.js';

let srv: ReferenceServer;
const open: Recorded[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.client.close();
  await srv?.close();
});

/** The HTTP source, with one document's hash replaced (when `tamper`), offering pages early or not. */
function source(base: string, opts: { tamper: string | undefined; early: boolean; offered: SnapshotPage[] }): SnapshotSource {
  const http = httpSnapshotSource({ baseUrl: base, pageSize: 4 });
  return (topic, request) =>
    http(topic, {
      signal: request.signal,
      token: request.token,
      onPage: (page) => {
        for (const d of page.docs) if (d.docKey === opts.tamper) d.payloadHash = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
        opts.offered.push(page);
        if (opts.early) request.onPage?.(page);
      },
    });
}

async function recover(tamper: string | undefined, early: boolean): Promise<{ r: Recorded; offered: SnapshotPage[] }> {
  srv = await server({ snapshotPageSize: 4 });
  const store = createMemoryStore();
  // A stored cursor below the retention floor: the subscribe is refused with stale_cursor.
  await store.commit({ topic: RUNS, watermark: 1, documents: [] });
  publishRange(srv, RUNS, 30, 12);
  srv.prune(RUNS, 25);
  const offered: SnapshotPage[] = [];
  const r = record(srv, { topics: [RUNS], store, snapshot: source(srv.snapshotUrl, { tamper, early, offered }) });
  open.push(r);
  await r.client.connect();
  return { r, offered };
}

describe('snapshot payload_hash checks', () => {
  for (const early of [true, false]) {
    const how = early ? 'offered early (onPage)' : 'only yielded';
    it(`fails the topic with bad_snapshot naming the document, pages ${how}`, async () => {
      const { r, offered } = await recover('doc:6', early);
      await until(() => r.errors.some((e) => e.code === 'bad_snapshot'), 'bad_snapshot');
      expect(offered.length).toBeGreaterThan(1); // several pages, the bad one not first
      expect(r.errors.find((e) => e.code === 'bad_snapshot')!.message).toContain('doc:6');
      expect(r.events.some((e) => e.type === 'bootstrap')).toBe(false);
      expect(r.client.getSnapshot().topics[RUNS]?.phase).toBe('failed');
    });

    it(`bootstraps when every hash matches, pages ${how}`, async () => {
      const { r } = await recover(undefined, early);
      await until(() => r.events.some((e) => e.type === 'bootstrap') && r.client.status === 'live', 'bootstrap');
      expect(r.client.listDocuments(RUNS)).toHaveLength(12);
      expect(r.errors.filter((e) => e.code !== 'stale_cursor')).toEqual([]);
    });
  }
});
