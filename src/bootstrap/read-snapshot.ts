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

/**
 * Where {@link readSnapshot} hands each page as it arrives (the driver stages it in the store), so
 * the snapshot is never held whole: the next page is only read once `page` has resolved.
 */
export interface SnapshotSink {
  /** One checked page, as store records whose watermark is the page's head. */
  page(documents: SyncDocument[]): Promise<void>;
  /** Drop every page handed over so far: the source restarted on a newer generation. */
  restart(): Promise<void>;
}

/**
 * Read every page of `topic`'s snapshot into `sink`, one page at a time (KHALA_PROTOCOL §7.5.2).
 * A page naming another head than the pages before it starts a new generation (the source
 * restarted after the generation moved): `sink.restart()` runs before that page is handed over.
 *
 * @returns the head of the generation handed over: the topic's watermark once the snapshot is stored.
 * @throws SnapshotError `bad_snapshot` for a document that fails its hash or a snapshot without a
 *   page, or whatever the source or the sink threw (see {@link snapshotFailure}).
 */
export async function readSnapshot(source: SnapshotSource, topic: string, options: ReadSnapshotOptions, sink: SnapshotSink): Promise<number> {
  let head: number | undefined;
  // A source that holds pages back (onPage) gets each page hash-checked as it arrives, overlapping
  // the network instead of following it; a page's verdict is reused when it is yielded.
  const checked = new WeakMap<SnapshotPage, Promise<number>>();
  const verify = options.verifyHashes;
  const onPage = verify
    ? (page: SnapshotPage) => {
        const verdict = firstHashMismatch(page);
        // A page never yielded (the read failed first) leaves its verdict unawaited.
        verdict.catch(() => undefined);
        checked.set(page, verdict);
      }
    : undefined;
  for await (const page of source(topic, { signal: options.signal, token: options.token, onPage })) {
    const bad = verify ? await (checked.get(page) ?? firstHashMismatch(page)) : -1;
    if (bad >= 0) throw new SnapshotError(ErrorCodes.BAD_SNAPSHOT, `snapshot document ${page.docs[bad]!.docKey} fails its payload_hash`, { topic });
    if (head !== undefined && page.headWatermark !== head) await sink.restart();
    head = page.headWatermark;
    await sink.page(page.docs.map((d) => ({ topic, docKey: d.docKey, docVersion: d.docVersion, payload: d.payload, payloadHash: d.payloadHash, watermark: page.headWatermark, hydrationPending: false })));
  }
  if (head === undefined) throw new SnapshotError(ErrorCodes.BAD_SNAPSHOT, `snapshot of ${topic} had no page`, { topic });
  return head;
}

/** A snapshot failure as a typed error: anything not already typed becomes a retryable `snapshot_failed`. */
export function snapshotFailure(err: unknown, topic: string): KhalaSyncError {
  return isKhalaSyncError(err) ? err : new SnapshotError(ErrorCodes.SNAPSHOT_FAILED, String(err), { topic, retryable: true, cause: err });
}
