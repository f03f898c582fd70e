import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runMigrations, SQLITE_MIGRATIONS } from '../watermarks/sqlite-schema.js';
import { loadDriver } from '../watermarks/sqlite-open.js';
import { decodeDesktopCheckpoints, desktopCursors } from '../migrate/desktop-checkpoints.js';
import { sha256File } from '../migrate/fs-atomic.js';
import { decodeWebSyncState } from '../migrate/web-sync-state.js';
import { startReferenceServer, startSpacetimeServer, type ReferenceServer, type SpacetimeServer } from '../server/index.js';
import { checkSession, expandMigrateVerify, Invariants, liveSession, readText, rollbackAndReadOld } from './migration-drill.js';
import type { Scenario, ScenarioContext } from './scenario.js';

// The mixed-version safety drill (`khala-sync harness --suite migration`, docs/migrations.md):
// every old shape → expand → migrate → verify → a live session on the migrated store → rollback →
// the old reader again. One scenario per old shape; each reports its invariants.

const KHALA_TOPIC = 'runtime.run_summaries';
const ST_STREAM = 'runtime.run.run_7';

async function khalaServer(ctx: ScenarioContext, events: number): Promise<ReferenceServer> {
  const server = await startReferenceServer({ port: 0 });
  ctx.defer(() => server.close());
  publishKhala(server, events);
  return server;
}

function publishKhala(server: ReferenceServer, n: number): number {
  for (let i = 0; i < n; i++) server.publish(KHALA_TOPIC, [{ docKey: `runtime/run_summary:run_${i % 7}`, payload: { i, status: 'running' } }]);
  return server.head(KHALA_TOPIC);
}

async function spacetimeServer(ctx: ScenarioContext, stream: string, events: number): Promise<SpacetimeServer> {
  const server = await startSpacetimeServer({ port: 0 });
  ctx.defer(() => server.close());
  publishSt(server, stream, events);
  return server;
}

function publishSt(server: SpacetimeServer, stream: string, n: number): number {
  for (let i = 0; i < n; i++) server.publish(stream, [{ payload: { i, text: 'é日本🙂' } }]);
  return server.head(stream);
}

/** An old file of another app's shape imported into our SQLite store, then a live session on it. */
interface FileImport {
  name: string;
  lane: 'khala' | 'spacetime';
  asserts: string;
  fileName: string;
  /** The cursor id (topic or stream), the old file's cursor, and the events published before/after. */
  id: string;
  floor: number;
  events: [before: number, after: number];
  oldFile: (id: string, floor: number) => unknown;
  readOld: (text: string) => Record<string, number>;
}

function fileImportScenario(spec: FileImport): Scenario {
  const { id, floor, events } = spec;
  return {
    name: spec.name,
    family: 'migration',
    ...(spec.lane === 'spacetime' ? { lane: 'spacetime' as const } : {}),
    asserts: spec.asserts,
    control: true,
    quick: true,
    injects: [],
    async run(ctx) {
      const inv = new Invariants();
      const source = join(ctx.tmpDir, spec.fileName);
      writeFileSync(source, JSON.stringify(spec.oldFile(id, floor)));
      const target = join(ctx.tmpDir, 'sync.sqlite');
      const sourceSha = sha256File(source);
      const readOld = () => spec.readOld(readText(source));
      const manifest = expandMigrateVerify(inv, { source, target }, { [id]: floor }, readOld);
      const total = events[0] + events[1];
      let log;
      if (spec.lane === 'khala') {
        const server = await khalaServer(ctx, events[0]);
        log = await liveSession(ctx, { lane: 'khala', server }, target, { [id]: events[0] }, () => ({ [id]: publishKhala(server, events[1]) }));
      } else {
        const server = await spacetimeServer(ctx, id, events[0]);
        log = await liveSession(ctx, { lane: 'spacetime', server }, target, { [id]: events[0] }, () => ({ [id]: publishSt(server, id, events[1]) }));
      }
      checkSession(inv, log, { [id]: floor }, { [id]: total });
      rollbackAndReadOld(inv, manifest, { [source]: sourceSha, [target]: null }, readOld, { [id]: floor });
      return inv.finish();
    },
  };
}

const webStateKhala = fileImportScenario({
  name: 'migration-web-state-khala',
  lane: 'khala',
  asserts: 'web-shell sync state (K1 topics) → our SQLite store: expand reads it, migrate/verify/re-run unchanged, a Khala session resumes after the imported cursor with no gap and no duplicate, rollback restores the exact bytes and the old reader reads them',
  fileName: 'web-sync-state.json',
  id: KHALA_TOPIC,
  floor: 25,
  events: [40, 5],
  oldFile: (topic, floor) => ({ schema_version: 1, topic_watermarks: { [topic]: floor }, subscribed_topics: [topic], updated_at_unix_ms: 1767225600000 }),
  readOld: (text) => decodeWebSyncState(JSON.parse(text)).topicWatermarks,
});

const desktopSpacetime = fileImportScenario({
  name: 'migration-desktop-checkpoints-spacetime',
  lane: 'spacetime',
  asserts: 'desktop checkpoint file (stream ids) → our SQLite store: expand, migrate/verify/re-run unchanged, a Spacetime session resumes after the imported checkpoint with no gap and no duplicate, rollback exact, the old reader reads the restored file',
  fileName: 'runtime-sync-checkpoints.v1.json',
  id: ST_STREAM,
  floor: 12,
  events: [30, 4],
  oldFile: (stream, floor) => ({ version: 1, entries: [{ worker_id: 'desktopw:desktop:shared', stream_id: stream, watermark: floor, updated_at: '2026-03-01T10:00:00Z' }] }),
  readOld: (text) => desktopCursors(decodeDesktopCheckpoints(JSON.parse(text))),
});

const sqliteToStreams: Scenario = {
  name: 'migration-sqlite-topics-to-streams',
  family: 'migration',
  lane: 'spacetime',
  asserts: 'our SQLite store written by a Khala session (K1 topic) → in place, topic → stream id (§5.6, sequence unchanged): expand, migrate/verify/re-run unchanged, a Spacetime session on the moved cursor with no gap and no duplicate across the move (both lanes), rollback exact, a Khala session (old reader) reads it again',
  control: true,
  quick: true,
  injects: [],
  async run(ctx) {
    const inv = new Invariants();
    // The same 30 events on both lanes: before the move on the K1 topic, after it on its stream.
    const khala = await khalaServer(ctx, 20);
    const stream = 'runtime.topic.runtime.run_summaries';
    const st = await spacetimeServer(ctx, stream, 30);
    const path = join(ctx.tmpDir, 'sync.sqlite');
    const before = await liveSession(ctx, { lane: 'khala', server: khala }, path, { [KHALA_TOPIC]: 20 }, () => ({ [KHALA_TOPIC]: publishKhala(khala, 5) }));
    checkSession(inv, before, { [KHALA_TOPIC]: 0 }, { [KHALA_TOPIC]: 25 });
    const pathSha = sha256File(path);
    const readOld = () => ({ [KHALA_TOPIC]: 25 });
    const manifest = expandMigrateVerify(inv, { source: path, toStreams: true }, { [stream]: 25 }, readOld);
    const after = await liveSession(ctx, { lane: 'spacetime', server: st }, path, { [stream]: 30 }, () => ({ [stream]: publishSt(st, stream, 3) }));
    checkSession(inv, after, { [stream]: 25 }, { [stream]: 33 });
    rollbackAndReadOld(inv, manifest, { [path]: pathSha }, () => null, null);
    // The old reader: the Khala client on the restored file resumes from its K1 cursor.
    const again = await liveSession(ctx, { lane: 'khala', server: khala }, path, { [KHALA_TOPIC]: 25 }, () => ({ [KHALA_TOPIC]: publishKhala(khala, 2) }));
    checkSession(inv, again, { [KHALA_TOPIC]: 25 }, { [KHALA_TOPIC]: 27 });
    return inv.finish();
  },
};

function headerVersion(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(4);
    readSync(fd, buf, 0, 4, 60);
    return buf.readUInt32BE(0);
  } finally {
    closeSync(fd);
  }
}

const sqliteSchemaUpgrade: Scenario = {
  name: 'migration-sqlite-schema-upgrade',
  family: 'migration',
  asserts: 'our SQLite store at every older schema version (v0 … current − 1) → upgraded in place: expand, migrate/verify/re-run unchanged, a Khala session from zero with no gap and no duplicate, rollback exact, the old version is back',
  control: true,
  quick: true,
  injects: [],
  async run(ctx) {
    const inv = new Invariants();
    for (let version = 0; version < SQLITE_MIGRATIONS.length; version++) {
      const server = await khalaServer(ctx, 10);
      const path = join(ctx.tmpDir, `v${version}.sqlite`);
      const db = new (loadDriver())(path);
      // Schema v0 is a SQLite file before any step ran: a header, user_version 0, no tables. A later
      // version is what that many shipped steps made (v1: before snapshot staging).
      if (version === 0) db.exec('CREATE TABLE scratch (a); DROP TABLE scratch;');
      else runMigrations(db, SQLITE_MIGRATIONS.slice(0, version));
      db.close();
      const sha = sha256File(path);
      const manifest = expandMigrateVerify(inv, { source: path }, {}, () => ({}));
      const log = await liveSession(ctx, { lane: 'khala', server }, path, { [KHALA_TOPIC]: 10 }, () => ({ [KHALA_TOPIC]: publishKhala(server, 3) }));
      checkSession(inv, log, { [KHALA_TOPIC]: 0 }, { [KHALA_TOPIC]: 13 });
      rollbackAndReadOld(inv, manifest, { [path]: sha }, () => headerVersion(path), version);
    }
    inv.evidence['schema_versions_upgraded'] = SQLITE_MIGRATIONS.map((_, v) => v);
    return inv.finish();
  },
};

/** The `--suite migration` drill, in run order. */
export const migrationScenarios: Scenario[] = [webStateKhala, desktopSpacetime, sqliteToStreams, sqliteSchemaUpgrade];
