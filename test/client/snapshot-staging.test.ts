// Snapshot bootstrap is staged in the store page by page and swapped in by one commit (#9 item 4,
// docs/architecture.md): the driver holds one page at a time, never the snapshot, and the app sees
// the old documents until the swap. Real reference server (WS + HTTP snapshot pages), real SQLite.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { httpSnapshotSource } from '../../src/bootstrap/http-snapshot-source.js';
import type { ReferenceServer } from '../../src/server/index.js';
import { createSqliteStore } from '../../src/sqlite.js';
import type { SnapshotSource } from '../../src/bootstrap/snapshot-source.js';
import { SnapshotError } from '../../src/errors/index.js';
import type { SyncStore } from '../../src/watermarks/store.js';
import { converged, publishRange, record, RUNS, server, until, type Recorded } from './harness.js';

const PAGE = 25;
const DOCS = 500;

let srv: ReferenceServer | undefined;
let dir: string | undefined;
const open: Recorded[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.client.close();
  await srv?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  srv = dir = undefined;
});

interface Staged {
  size: number;
  /** Snapshot pages requested over HTTP when this page was staged. */
  requested: number;
  /** What the app could read at that moment. */
  appKeys: string[];
}

describe('staged snapshot bootstrap', () => {
  it('stages each page as it arrives (never more than one page ahead of the store) and swaps them in at the end', async () => {
    srv = await server({ snapshotPageSize: PAGE });
    dir = mkdtempSync(join(tmpdir(), 'khala-staging-'));
    const path = join(dir, 'store.sqlite');
    const inner = createSqliteStore({ path });
    // A stored cursor below the retention floor with one old document: stale_cursor → snapshot.
    const old = { topic: RUNS, docKey: 'old', docVersion: 1, payload: 'old', payloadHash: null, watermark: 1, hydrationPending: false };
    await inner.commit({ topic: RUNS, watermark: 1, documents: [old] });
    publishRange(srv, RUNS, DOCS + 100, DOCS);
    srv.prune(RUNS, DOCS + 90);

    let requested = 0;
    const counting: typeof fetch = (input, init) => {
      requested++;
      return fetch(input, init);
    };
    const staged: Staged[] = [];
    const calls: string[] = [];
    // What the app can read, wired once the client exists.
    const app = { keys: (): string[] => [] };
    const store: SyncStore = {
      ...inner,
      replaceTopic: (...args) => (calls.push('replaceTopic'), inner.replaceTopic(...args)),
      discardSnapshot: (topic) => (calls.push('discard'), inner.discardSnapshot(topic)),
      stageSnapshot: (topic, docs) => {
        staged.push({ size: docs.length, requested, appKeys: app.keys() });
        return inner.stageSnapshot(topic, docs);
      },
      commitSnapshot: (topic, watermark) => (calls.push(`commit ${watermark}`), inner.commitSnapshot(topic, watermark)),
    };
    const r = record(srv, { topics: [RUNS], store, snapshot: httpSnapshotSource({ baseUrl: srv.snapshotUrl, pageSize: PAGE, fetch: counting }) });
    app.keys = () => r.client.listDocuments(RUNS).map((d) => d.docKey);
    open.push(r);
    await r.client.connect();
    await until(() => r.client.status === 'live' && r.events.some((e) => e.type === 'bootstrap'), 'bootstrap', 20_000);

    expect(staged).toHaveLength(DOCS / PAGE);
    expect(staged.every((s) => s.size === PAGE)).toBe(true);
    // Page i (0-based) is staged before page i + 2 is asked for: the reader keeps one page in hand
    // and one request ahead, never the snapshot.
    staged.forEach((s, i) => expect(s.requested, `page ${i}`).toBeLessThanOrEqual(i + 2));
    // Until the swap the app reads the old state, unchanged.
    expect(staged.every((s) => s.appKeys.join() === 'old')).toBe(true);
    expect(calls).toStrictEqual(['discard', `commit ${DOCS + 100}`]);

    expect(r.events.filter((e) => e.type === 'bootstrap')).toHaveLength(1);
    expect(r.client.getWatermark(RUNS)).toBe(DOCS + 100);
    expect(r.client.listDocuments(RUNS)).toHaveLength(DOCS);
    expect(converged(srv, r.client, RUNS)).toBe(true);
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare('SELECT count(*) AS n FROM staged_documents').get()).toStrictEqual({ n: 0 });
    expect(raw.prepare('SELECT count(*) AS n FROM documents').get()).toStrictEqual({ n: DOCS });
    raw.close();
  }, 30_000);

  it('drops staged pages when a read fails or the generation moves; the old state stays readable until a full snapshot lands', async () => {
    srv = await server({ snapshotPageSize: PAGE });
    dir = mkdtempSync(join(tmpdir(), 'khala-staging-'));
    const path = join(dir, 'store.sqlite');
    const store = createSqliteStore({ path });
    const old = { topic: RUNS, docKey: 'old', docVersion: 1, payload: 'old', payloadHash: null, watermark: 1, hydrationPending: false };
    await store.commit({ topic: RUNS, watermark: 1, documents: [old] });
    publishRange(srv, RUNS, 300, 200);
    srv.prune(RUNS, 290);
    const http = httpSnapshotSource({ baseUrl: srv.snapshotUrl, pageSize: PAGE });
    let attempt = 0;
    const stagedRows = (): number => {
      const raw = new Database(path, { readonly: true });
      try {
        return (raw.prepare('SELECT count(*) AS n FROM staged_documents').get() as { n: number }).n;
      } finally {
        raw.close();
      }
    };
    let afterFailure: { rows: number; keys: string[] } | undefined;
    // Attempt 1 fails after three pages. Attempt 2 first yields a page of an older generation
    // (another head), then the real one: that ghost page must not survive the restart.
    const source: SnapshotSource = async function* (topic, request) {
      attempt++;
      if (attempt === 2) {
        afterFailure = { rows: stagedRows(), keys: r.client.listDocuments(RUNS).map((d) => d.docKey) };
        yield { topic, headWatermark: 299, docs: [{ docKey: 'ghost', docVersion: 1, payload: 'ghost', payloadHash: null }] };
      }
      let n = 0;
      for await (const page of http(topic, request)) {
        if (attempt === 1 && ++n > 3) throw new SnapshotError('snapshot_failed', 'connection reset mid-snapshot', { topic, retryable: true });
        yield page;
      }
    };
    const r = record(srv, { topics: [RUNS], store, snapshot: source });
    open.push(r);
    await r.client.connect();
    await until(() => r.client.status === 'live' && r.events.some((e) => e.type === 'bootstrap'), 'bootstrap', 20_000);

    expect(r.errors.map((e) => e.code)).toContain('snapshot_failed');
    // The failed read's staged pages were dropped; the app and the store kept the old state.
    expect(afterFailure).toStrictEqual({ rows: 0, keys: ['old'] });
    expect(r.client.getWatermark(RUNS)).toBe(300);
    const keys = r.client.listDocuments(RUNS).map((d) => d.docKey);
    expect(keys).toHaveLength(200);
    expect(keys).not.toContain('ghost');
    expect(keys).not.toContain('old');
    expect(converged(srv, r.client, RUNS)).toBe(true);
    expect(stagedRows()).toBe(0);
  }, 30_000);
});
