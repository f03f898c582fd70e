import { existsSync } from 'node:fs';
import { ErrorCodes, StoreError } from '../errors/index.js';
import { SQLITE_MIGRATIONS, type SqliteMigration } from '../watermarks/sqlite-schema.js';
import { sha256File } from './fs-atomic.js';
import type { Manifest, ManifestStore } from './manifest.js';
import { readManifest } from './manifest-file.js';
import { readStoreFile, storeCounts } from './read-store.js';

/** One difference between a manifest and the disk. */
export interface VerifyProblem {
  /** Which store of the manifest differs. */
  store: ManifestStore['store'];
  /** Its path on disk. */
  path: string;
  /** What differs: the hash, the row counts, a file missing or present against the manifest, a backup, or a file that cannot be read. */
  what: 'sha256' | 'counts' | 'missing' | 'present' | 'backup' | 'unreadable';
  /** What the manifest says. */
  expected: unknown;
  /** What is on disk. */
  found: unknown;
}

/** What {@link verifyManifest} found when everything matched. */
export interface VerifyResult {
  /** The manifest checked. */
  manifest: Manifest;
  /** Per store: the path, the state it was checked against, and the recomputed hash and counts. */
  stores: Array<{ store: ManifestStore['store']; path: string; expected: 'after' | 'before' | 'removed'; sha256: string | null; counts: Record<string, number> }>;
}

function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}

/** The state a store should be in now, by the manifest's last recorded step. */
function expectation(manifest: Manifest, entry: ManifestStore): { state: 'after' | 'before' | 'removed'; sha: string | null; counts: Record<string, number> } {
  if (manifest.rollback !== null) return { state: 'before', sha: entry.before_sha256, counts: entry.counts_before };
  if (manifest.contract?.removed?.includes(entry.path)) return { state: 'removed', sha: null, counts: {} };
  return { state: 'after', sha: entry.after_sha256, counts: entry.counts };
}

/**
 * Check every store of a manifest against the disk: the SHA-256 of its bytes, its row counts
 * (recomputed by reading it), and the SHA-256 of its backup. Read-only.
 *
 * @param migrations the SQLite schema to read stores with; default the shipped one.
 * @throws StoreError `INVALID_MANIFEST` (unreadable, altered), `VERIFY_FAILED` with every
 *   difference in `details.problems`.
 */
export function verifyManifest(manifestPath: string, migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS): VerifyResult {
  const manifest = readManifest(manifestPath);
  const problems: VerifyProblem[] = [];
  const stores: VerifyResult['stores'] = [];
  for (const entry of manifest.stores) {
    const { state, sha, counts } = expectation(manifest, entry);
    const found = sha256File(entry.path);
    const at = { store: entry.store, path: entry.path };
    if (sha === null && found !== null) problems.push({ ...at, what: 'present', expected: null, found });
    else if (sha !== null && found === null) problems.push({ ...at, what: 'missing', expected: sha, found: null });
    else if (sha !== found) problems.push({ ...at, what: 'sha256', expected: sha, found });
    let foundCounts: Record<string, number> = {};
    if (found !== null) {
      try {
        foundCounts = storeCounts(readStoreFile(entry.path, migrations));
      } catch (err) {
        problems.push({ ...at, what: 'unreadable', expected: counts, found: err instanceof StoreError ? err.code : String(err) });
      }
      if (!sameCounts(foundCounts, counts)) problems.push({ ...at, what: 'counts', expected: counts, found: foundCounts });
    }
    if (entry.backup !== null) {
      const backupSha = existsSync(entry.backup.path) ? sha256File(entry.backup.path) : null;
      if (backupSha !== entry.backup.sha256 || backupSha !== entry.before_sha256) problems.push({ ...at, what: 'backup', expected: entry.backup.sha256, found: backupSha });
    }
    stores.push({ ...at, expected: state, sha256: found, counts: foundCounts });
  }
  if (problems.length > 0) {
    const target = manifest.stores.find((s) => s.store === 'target');
    const interrupted = manifest.status === 'migrated' && manifest.rollback === null && target !== undefined && sha256File(target.path) === target.before_sha256;
    const hint = interrupted ? ' — the target is still in its pre-migration state: the run was interrupted before the switch; run migrate again' : '';
    const list = problems.map((p) => `${p.store} ${p.path}: ${p.what}`).join('; ');
    throw new StoreError(ErrorCodes.VERIFY_FAILED, `verify failed for ${manifestPath}: ${list}${hint}`, { details: { manifest: manifestPath, problems, interrupted } });
  }
  return { manifest, stores };
}
