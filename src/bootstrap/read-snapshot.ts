import { ErrorCodes } from '../errors/codes.js';
import { isKhalaSyncError, type KhalaSyncError } from '../errors/khala-sync-error.js';
import { SnapshotError } from '../errors/snapshot-error.js';
import type { SyncDocument } from '../model/types.js';
import { firstHashMismatch } from './page-hashes.js';
import type { SnapshotPage, SnapshotSource } from './snapshot-source.js';

/** What {@link readSnapshot} needs besides the source. */
export interface ReadSnapshotOptions {
  /** Aborted when the client closes. */
  signal: AbortSignal;
  /** A fresh sync token per request. */
  token: () => Promise<string>;
  /** Check each document's `payload_hash`; a mismatch fails the snapshot (`bad_snapshot`). */
  verifyHashes: boolean;
}

/** A whole snapshot of one topic, ready for `SyncStore.replaceTopic`. */
export interface SnapshotContents {
  documents: SyncDocument[];
  /** The head every page named: the topic's watermark once the snapshot is stored. */
  head: number;
}

/**
 * Read every page of `topic`'s snapshot into store records (KHALA_PROTOCOL §7.5.2). Throws a
 * {@link SnapshotError}: `bad_snapshot` for a document that fails its hash or a snapshot without
 * a page, or whatever the source threw (see {@link snapshotFailure}).
 */
export async function readSnapshot(source: SnapshotSource, topic: string, options: ReadSnapshotOptions): Promise<SnapshotContents> {
  const documents: SyncDocument[] = [];
  let head: number | undefined;
  // Hash checks run as each page arrives when the source says so (onPage), overlapping the
  // network instead of following it; a page's verdict is reused when it is yielded.
  const checked = new WeakMap<SnapshotPage, number>();
  const verify = options.verifyHashes;
  const onPage = verify ? (page: SnapshotPage) => void checked.set(page, firstHashMismatch(page)) : undefined;
  for await (const page of source(topic, { signal: options.signal, token: options.token, onPage })) {
    head = page.headWatermark;
    const bad = verify ? (checked.get(page) ?? firstHashMismatch(page)) : -1;
    if (bad >= 0) throw new SnapshotError(ErrorCodes.BAD_SNAPSHOT, `snapshot document ${page.docs[bad]!.docKey} fails its payload_hash`, { topic });
    for (const d of page.docs) {
      documents.push({ topic, docKey: d.docKey, docVersion: d.docVersion, payload: d.payload, payloadHash: d.payloadHash, watermark: page.headWatermark, hydrationPending: false });
    }
  }
  if (head === undefined) throw new SnapshotError(ErrorCodes.BAD_SNAPSHOT, `snapshot of ${topic} had no page`, { topic });
  return { documents, head };
}

/** A snapshot failure as a typed error: anything not already typed becomes a retryable `snapshot_failed`. */
export function snapshotFailure(err: unknown, topic: string): KhalaSyncError {
  return isKhalaSyncError(err) ? err : new SnapshotError(ErrorCodes.SNAPSHOT_FAILED, String(err), { topic, retryable: true, cause: err });
}
