import { ErrorCodes } from '../errors/codes.js';
import { isKhalaSyncError } from '../errors/khala-sync-error.js';
import { SnapshotError } from '../errors/snapshot-error.js';
import { failsHash } from '../hash/web-digest.js';
import type { SyncDocument } from '../model/types.js';
import type { Hydrator } from './snapshot-source.js';

/** Attempts per pointer-mode document before hydration gives up until the next restart (SPEC.md A5). */
const HYDRATE_ATTEMPTS = 5;

/** What {@link hydrateDocument} needs besides the hydrator. */
export interface HydrateOptions {
  /** Aborted when the client closes. */
  signal: AbortSignal;
  /** A fresh sync token per request. */
  token: () => Promise<string>;
  /** Check the body against its `payload_hash`; a mismatch is a retryable `payload_hash_mismatch`. */
  verifyHashes: boolean;
  /** The record held now (read after the fetch, so a newer write that landed meanwhile wins). */
  held: () => SyncDocument | undefined;
}

/**
 * Fetch the body of a pointer-mode document (SDK_CONTRACTS §2) and build the record to store, or
 * undefined when the record held by then has a newer `doc_version` than the body. The record keeps
 * the watermark of the update that wrote it: hydration is not a stream update.
 */
export async function hydrateDocument(hydrator: Hydrator, doc: SyncDocument, options: HydrateOptions): Promise<SyncDocument | undefined> {
  const got = await hydrator(doc.topic, doc.docKey, { signal: options.signal, token: options.token });
  // A null body is no body: storing it would write null over the body held (SPEC.md A5).
  if (got.payload === null) throw new SnapshotError(ErrorCodes.HYDRATION_FAILED, `hydration response for ${doc.docKey} has no body (payload null)`, { topic: doc.topic });
  const hash = got.payloadHash ?? doc.payloadHash;
  if (hash && options.verifyHashes && (await failsHash(got.payload, hash))) {
    throw new SnapshotError(ErrorCodes.PAYLOAD_HASH_MISMATCH, `hydrated ${doc.docKey} fails its payload_hash`, { topic: doc.topic, retryable: true });
  }
  const held = options.held();
  if (held !== undefined && got.docVersion < held.docVersion) return undefined;
  return { ...doc, docVersion: got.docVersion, payload: got.payload, payloadHash: hash, watermark: held?.watermark ?? doc.watermark, hydrationPending: false };
}

/**
 * The `hydration_failed` error for attempt `attempt` (0-based) and the delay before the next one,
 * or undefined when this was the last attempt: 500 ms doubling, at most 8 s.
 */
export function hydrationFailure(doc: SyncDocument, err: unknown, attempt: number): { error: SnapshotError; retryInMs: number | undefined } {
  const cause = isKhalaSyncError(err) ? err : new SnapshotError(ErrorCodes.HYDRATION_FAILED, String(err), { topic: doc.topic, cause: err });
  const again = attempt + 1 < HYDRATE_ATTEMPTS;
  // A timeout keeps its own code, so the app can tell a silent server from a failing one.
  const code = cause.code === ErrorCodes.REQUEST_TIMEOUT ? ErrorCodes.REQUEST_TIMEOUT : ErrorCodes.HYDRATION_FAILED;
  return {
    error: new SnapshotError(code, `hydration of ${doc.docKey} failed: ${cause.message}`, { topic: doc.topic, retryable: again }),
    retryInMs: again ? Math.min(500 * 2 ** attempt, 8000) : undefined,
  };
}
