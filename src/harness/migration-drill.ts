import { readFileSync } from 'node:fs';
import { createSpacetimeLane } from '../adapters/spacetime/index.js';
import { SyncClient } from '../client/sync-client.js';
import { migrateStore, type MigrateOptions } from '../migrate/migrate.js';
import { inspectStore } from '../migrate/inspect.js';
import { rollbackManifest } from '../migrate/rollback.js';
import { sha256File } from '../migrate/fs-atomic.js';
import { verifyManifest } from '../migrate/verify.js';
import type { ReferenceServer, SpacetimeServer } from '../server/index.js';
import { createSqliteStore } from '../watermarks/sqlite-store.js';
import { waitFor } from './assertions.js';
import { ScenarioFailure, type Evidence, type ScenarioContext, type ScenarioResult } from './scenario.js';
import { httpSnapshotSource, tokenEndpoint } from '../http.js';

/** One invariant of the drill and whether it held (SUMMARY.md shows them as `inv_<name>=pass|fail`). */
export class Invariants {
  private readonly results = new Map<string, boolean>();
  readonly evidence: Evidence = {};

  /** Record `name`; a failure is kept (the drill goes on, so the report shows every invariant). */
  check(name: string, ok: boolean, detail?: unknown): boolean {
    this.results.set(name, (this.results.get(name) ?? true) && ok);
    if (!ok && detail !== undefined) this.evidence[`why_${name}`] = detail;
    return ok;
  }

  /** The scenario's result, or a ScenarioFailure naming every invariant that did not hold. */
  finish(): ScenarioResult {
    const evidence: Evidence = {};
    for (const [name, ok] of this.results) evidence[`inv_${name}`] = ok ? 'pass' : 'fail';
    Object.assign(evidence, this.evidence);
    const failed = [...this.results].filter(([, ok]) => !ok).map(([n]) => n);
    if (failed.length > 0) throw new ScenarioFailure(`invariant(s) failed: ${failed.join(', ')}`, evidence);
    return { evidence };
  }
}

/** The server a live session talks to, with the lane its client must speak. */
export type DrillServer = { lane: 'khala'; server: ReferenceServer } | { lane: 'spacetime'; server: SpacetimeServer };

/** What a live session on a store saw: every applied watermark per topic, in order. */
export interface SessionLog {
  applied: Record<string, number[]>;
  errors: string[];
}

/**
 * Open a client on the SQLite store at `path`, connect, wait until every topic is at `heads`, then
 * let `live()` publish (returning the new heads) and wait for those too. Closes the client.
 */
export async function liveSession(ctx: ScenarioContext, target: DrillServer, path: string, heads: Record<string, number>, live: () => Record<string, number>): Promise<SessionLog> {
  const topics = Object.keys(heads);
  const common = { token: tokenEndpoint({ url: target.server.tokenUrl }), snapshot: httpSnapshotSource({ baseUrl: target.server.snapshotUrl }), store: createSqliteStore({ path }), topics, reconnectDelay: () => 50 };
  const client =
    target.lane === 'khala'
      ? new SyncClient({ url: target.server.url, ...common })
      : new SyncClient({ url: target.server.httpUrl, lane: createSpacetimeLane({ database: target.server.database }), ...common });
  const log: SessionLog = { applied: Object.fromEntries(topics.map((t) => [t, []])), errors: [] };
  client.on('updates', ({ topic, updates }) => log.applied[topic]?.push(...updates.map((u) => u.watermark)));
  client.on('error', (e) => log.errors.push(e.code));
  const at = (want: Record<string, number>) => () => Object.entries(want).every(([t, w]) => client.getWatermark(t) === w);
  try {
    await client.connect();
    await waitFor(ctx, at(heads), 'the migrated client caught up', 30_000, () => ({ applied: log.applied, errors: log.errors }));
    const after = live();
    await waitFor(ctx, at(after), 'the migrated client went live', 30_000, () => ({ applied: log.applied, errors: log.errors }));
  } finally {
    await client.close();
  }
  return log;
}

/** `from+1 … to`. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + 1 + i);
}

/**
 * The common middle of every drill: expand (the new reader on the old shape), migrate, a re-run
 * (unchanged), verify. Returns the manifest path.
 */
export function expandMigrateVerify(inv: Invariants, options: MigrateOptions, expectedCursors: Record<string, number>, readOld: () => Record<string, number>): string {
  const old = inspectStore(options.source);
  inv.check('expand_new_reader_reads_old_shape', JSON.stringify(Object.values(old.watermarks).sort()) === JSON.stringify(Object.values(readOld()).sort()), { inspect: old.watermarks });
  const first = migrateStore(options);
  inv.check('migrate_status_migrated', first.manifest.status === 'migrated', first.manifest.status);
  inv.check('migrated_cursors_unchanged_sequences', JSON.stringify(inspectStore(options.target ?? options.source).watermarks) === JSON.stringify(sortKeys(expectedCursors)), {
    found: inspectStore(options.target ?? options.source).watermarks,
    expected: expectedCursors,
  });
  const again = migrateStore(options);
  inv.check('rerun_is_unchanged', again.manifest.status === 'unchanged', again.manifest.status);
  let verified = true;
  try {
    verifyManifest(first.manifestPath);
    verifyManifest(again.manifestPath);
  } catch (err) {
    verified = false;
    inv.evidence['verify_error'] = err instanceof Error ? err.message : String(err);
  }
  inv.check('verify_passes', verified);
  inv.evidence['manifest'] = first.manifestPath;
  inv.evidence['mapping'] = first.manifest.mapping;
  return first.manifestPath;
}

function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Check the live session: exactly the events after each imported cursor, once each, in order. */
export function checkSession(inv: Invariants, log: SessionLog, floors: Record<string, number>, heads: Record<string, number>): void {
  for (const [topic, floor] of Object.entries(floors)) {
    const seen = log.applied[topic] ?? [];
    inv.check('live_session_no_duplicate', new Set(seen).size === seen.length, { topic, seen });
    inv.check('live_session_no_gap_across_the_move', JSON.stringify(seen) === JSON.stringify(range(floor, heads[topic] ?? 0)), { topic, floor, head: heads[topic], seen });
  }
  inv.check('live_session_no_error', log.errors.length === 0, log.errors);
  inv.evidence['applied'] = Object.fromEntries(Object.entries(log.applied).map(([t, w]) => [t, w.length]));
}

/** Rollback, then the exact bytes and the old reader on the restored file. */
export function rollbackAndReadOld(inv: Invariants, manifestPath: string, paths: Record<string, string | null>, readOld: () => unknown, expectedOld: unknown): void {
  const before = Object.fromEntries(Object.entries(paths).map(([p, sha]) => [p, sha]));
  rollbackManifest(manifestPath);
  for (const [path, sha] of Object.entries(before)) inv.check('rollback_exact_bytes', sha256File(path) === sha, { path, expected: sha, found: sha256File(path) });
  let old: unknown;
  try {
    old = readOld();
  } catch (err) {
    old = `old reader failed: ${err instanceof Error ? err.message : String(err)}`;
  }
  inv.check('old_reader_after_rollback', JSON.stringify(old) === JSON.stringify(expectedOld), { old });
}

/** The text of a file (the old readers parse it themselves). */
export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}
