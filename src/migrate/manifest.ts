import * as z from 'zod/mini';
import { ErrorCodes, StoreError } from '../errors/index.js';
import { payloadHashText } from '../hash/index.js';
import type { JsonValue } from '../util/json.js';

/** Version of the manifest JSON schema (docs/migrations.md, "Manifest"). Readers refuse other versions. */
export const MANIFEST_VERSION = 1;

const hex = z.string().check(z.regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits'));
const uint = z.int().check(z.nonnegative());
const counts = z.record(z.string(), uint);

const BackupSchema = z.object({ path: z.string(), sha256: hex, bytes: uint });

const StoreEntrySchema = z.object({
  /** Role of the store in this run. */
  store: z.enum(['source', 'target']),
  path: z.string(),
  kind: z.enum(['khala-sqlite', 'desktop-checkpoints', 'web-sync-state', 'khala-indexeddb', 'web-shell-indexeddb']),
  schema_before: z.nullable(uint),
  schema_after: z.nullable(uint),
  /** `null`: the store did not exist before (a new target) or after (a contracted source). */
  before_sha256: z.nullable(hex),
  after_sha256: z.nullable(hex),
  counts_before: counts,
  counts: counts,
  backup: z.nullable(BackupSchema),
});

const MappingEntrySchema = z.object({
  from: z.string(),
  to: z.string(),
  rule: z.enum(['run_events', 'worker_lifecycle', 'fleet_user', 'fleet_guest', 'codex_worker_events', 'fallback', 'user']),
  reverse: z.nullable(z.string()),
});

const EventSchema = z.object({ at: z.string(), removed: z.optional(z.array(z.string())), moved_aside: z.optional(z.array(z.string())) });

/** The manifest, as validated on read. */
export const ManifestSchema = z.object({
  manifest_version: z.literal(MANIFEST_VERSION),
  run_id: z.string(),
  created_at: z.string(),
  tool: z.object({ name: z.literal('khala-sync'), version: z.string() }),
  operation: z.enum(['import-desktop-checkpoints', 'import-web-sync-state', 'upgrade-sqlite', 'import-web-shell-indexeddb']),
  status: z.enum(['migrated', 'unchanged']),
  options: z.object({ to_streams: z.boolean(), worker: z.nullable(z.string()), mapping_file: z.nullable(z.string()) }),
  stores: z.array(StoreEntrySchema),
  mapping: z.array(MappingEntrySchema),
  /** What was written to the target: key (topic or stream id) → watermark. */
  cursors: z.record(z.string(), uint),
  /** Keys whose cursor was imported without documents (bootstrapped from a snapshot later). */
  imported_without_documents: z.array(z.string()),
  /** Keys the target already had; its own value was kept. */
  kept_target: z.array(z.object({ key: z.string(), target: uint, imported: uint })),
  contract: z.nullable(EventSchema),
  rollback: z.nullable(EventSchema),
  /** `sha256:<hex>` of the canonical JSON of every other field. */
  digest: z.string(),
});

/** A migration manifest (docs/migrations.md). */
export type Manifest = z.infer<typeof ManifestSchema>;
/** One store of a {@link Manifest}. */
export type ManifestStore = Manifest['stores'][number];
/** A manifest before its digest is computed. */
export type ManifestBody = Omit<Manifest, 'digest'>;

/** The digest of a manifest body: canonical JSON (sorted keys, no whitespace), SHA-256, text form. */
export function manifestDigest(body: ManifestBody): string {
  return payloadHashText(body as unknown as JsonValue);
}

/** Seal a body: add its digest. */
export function sealManifest(body: ManifestBody): Manifest {
  return { ...body, digest: manifestDigest(body) };
}

/** Render a manifest for disk: sorted as written, two-space indented, newline-terminated. */
export function renderManifest(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * Validate a parsed manifest: its schema version, its shape, and its digest (an edit by hand, or a
 * truncated copy, is refused before any file is looked at).
 *
 * @throws StoreError `INVALID_MANIFEST`.
 */
export function checkManifest(value: unknown, where: string): Manifest {
  const version = (value as { manifest_version?: unknown } | null)?.manifest_version;
  if (typeof version === 'number' && version !== MANIFEST_VERSION) {
    throw new StoreError(ErrorCodes.INVALID_MANIFEST, `${where} has manifest_version ${version}; this khala-sync reads ${MANIFEST_VERSION}`, { details: { found: version } });
  }
  const parsed = ManifestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StoreError(ErrorCodes.INVALID_MANIFEST, `${where} is not a migration manifest (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'bad shape'})`);
  }
  const { digest, ...body } = parsed.data;
  if (manifestDigest(body) !== digest) {
    throw new StoreError(ErrorCodes.INVALID_MANIFEST, `${where} was altered after it was written (digest mismatch); refusing to act on it`, { details: { digest } });
  }
  return parsed.data;
}
