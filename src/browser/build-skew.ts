import { readBodyText } from '../transport/read-body.js';
import { requestDeadline } from '../transport/request-deadline.js';
import { isJsonObject, safeJsonParse } from '../util/json.js';

/**
 * Why the running bundle and the deployed one disagree (docs/browser.md, "Build skew"). The first
 * five are the web-shell runbook's; the two `unsupported_*` reasons are this SDK's addition for the
 * protocol and sync-schema fields of the same compatibility window.
 */
export type SkewReason =
  | 'none'
  | 'missing_current_build'
  | 'below_min_client'
  | 'above_max_client'
  | 'unsupported_protocol'
  | 'unsupported_schema'
  | 'build_id_mismatch';

/** The parts of `manifest.json` (v2) the skew check reads; anything else is ignored. */
export interface BuildManifest {
  /** The deployed build's id; missing or null: unknown, never a skew. */
  buildId?: string | null;
  /** The deployed server's compatibility window, in the manifest's own names. */
  compatibility?: {
    protocolVersion?: string | null;
    minClientBuildId?: string | null;
    maxClientBuildId?: string | null;
    syncSchemaMin?: number | null;
    syncSchemaMax?: number | null;
    /** Builds the deployer allows to keep running outside `min`/`max` (rollback targets). */
    rollbackBuildIds?: readonly string[] | null;
  } | null;
}

/** What the running bundle is. */
export interface RunningBuild {
  /** The bundle's own build id (`YYYYMMDDTHHMMSSZ`), compiled in. */
  currentBuildId: string | null | undefined;
  /** Wire protocol the bundle speaks. Default: not checked. */
  protocolVersion?: string;
  /** Sync schema version the bundle stores. Default: not checked. */
  schemaVersion?: number;
}

/** Outcome of {@link evaluateSkew}. */
export interface SkewVerdict {
  /** Why the builds disagree, or `none`. */
  reason: SkewReason;
  /** `reason !== 'none'`. */
  skewed: boolean;
  /** The running build is one of the manifest's rollback builds (the window's bounds were waived). */
  rollbackAllowed: boolean;
  /** The deployed build id, trimmed, or null. */
  deployedBuildId: string | null;
}

const text = (v: string | null | undefined): string => (typeof v === 'string' ? v.trim() : '');

/** Ordinal (code-unit) order of two build ids: `-1`, `0` or `1`. Never locale-aware. */
export function compareBuildIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Compare the running build with the deployed manifest. Ids are trimmed and compared ordinally;
 * the first rule that matches wins: no current id → `missing_current_build`; below
 * `minClientBuildId` → `below_min_client`; above `maxClientBuildId` → `above_max_client` (both
 * waived when the current id is listed in `rollbackBuildIds`); another protocol →
 * `unsupported_protocol`; schema outside `syncSchemaMin..Max` → `unsupported_schema`; a deployed
 * `buildId` other than the current one → `build_id_mismatch`; otherwise `none`. Empty or absent
 * fields are not checked.
 */
export function evaluateSkew(manifest: BuildManifest, running: RunningBuild): SkewVerdict {
  const current = text(running.currentBuildId);
  const deployed = text(manifest.buildId) || null;
  const c = manifest.compatibility ?? {};
  const rollbackAllowed = current !== '' && (c.rollbackBuildIds ?? []).some((id) => text(id) === current);
  const verdict = (reason: SkewReason): SkewVerdict => ({ reason, skewed: reason !== 'none', rollbackAllowed, deployedBuildId: deployed });
  if (current === '') return verdict('missing_current_build');
  const min = text(c.minClientBuildId);
  const max = text(c.maxClientBuildId);
  if (!rollbackAllowed && min !== '' && compareBuildIds(current, min) < 0) return verdict('below_min_client');
  if (!rollbackAllowed && max !== '' && compareBuildIds(current, max) > 0) return verdict('above_max_client');
  const protocol = text(c.protocolVersion);
  if (protocol !== '' && running.protocolVersion !== undefined && protocol !== running.protocolVersion.trim()) return verdict('unsupported_protocol');
  const schema = running.schemaVersion;
  if (schema !== undefined && ((typeof c.syncSchemaMin === 'number' && schema < c.syncSchemaMin) || (typeof c.syncSchemaMax === 'number' && schema > c.syncSchemaMax))) {
    return verdict('unsupported_schema');
  }
  if (deployed !== null && deployed !== current) return verdict('build_id_mismatch');
  return verdict('none');
}

/** Time limit of the manifest request, headers and body, ms. */
export const MANIFEST_TIMEOUT_MS = 10_000;

/** Largest manifest read, bytes; a larger one counts as unreadable. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

/**
 * `GET manifestUrl` with `cache: 'no-store'` (never a cached copy). Resolves undefined when the
 * fetch fails, the status is not 2xx, the body is not a JSON object, is larger than
 * {@link MAX_MANIFEST_BYTES} or has not arrived within `timeoutMs` (default {@link MANIFEST_TIMEOUT_MS}):
 * a missing manifest means "no skew known", and sync starts — a host that never answers or streams
 * without end cannot hold the page's start or its memory.
 */
export async function fetchBuildManifest(manifestUrl: string, fetchImpl: typeof fetch = globalThis.fetch, timeoutMs = MANIFEST_TIMEOUT_MS): Promise<BuildManifest | undefined> {
  const deadline = requestDeadline(undefined, timeoutMs);
  try {
    const res = await fetchImpl(manifestUrl, { cache: 'no-store', headers: { accept: 'application/json' }, signal: deadline.signal });
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      return undefined;
    }
    const read = await readBodyText(res, MAX_MANIFEST_BYTES);
    const parsed = read.ok ? safeJsonParse(read.text) : undefined;
    return parsed?.ok && isJsonObject(parsed.value) ? (parsed.value as BuildManifest) : undefined;
  } catch {
    return undefined;
  } finally {
    deadline.clear();
  }
}
