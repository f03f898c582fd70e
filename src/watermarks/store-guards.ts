import { ErrorCodes, StoreError } from '../errors/index.js';
import type { SyncDocument } from '../model/types.js';

// Checks and helpers shared by every SyncStore implementation, so that the three backends refuse
// the same inputs with the same error and apply the same last-writer rule.

/**
 * The error every store raises for a call made after its `close()` (`details.reason: 'closed'`). Not
 * retryable: the client stops on it. The durable stores raise `backendClosedError` (backend-error.ts),
 * which can also say what closed them.
 */
export function closedStoreError(kind: string, topic?: string): StoreError {
  return new StoreError(ErrorCodes.STORE_FAILED, `${kind} store is closed`, { topic, details: { kind, reason: 'closed' } });
}

/** Wrap a backend failure (already a StoreError is passed through) as `STORE_FAILED`. */
export function toStoreError(kind: string, operation: string, err: unknown, topic?: string): StoreError {
  if (err instanceof StoreError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return new StoreError(ErrorCodes.STORE_FAILED, `${kind} store ${operation} failed: ${reason}`, {
    topic,
    details: { kind, operation },
    // A failed write left nothing behind (every write is one transaction), so replaying it is safe.
    retryable: true,
    cause: err,
  });
}

/** True for a non-negative safe integer: the only valid watermark or document version. */
export function isSequence(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function invalid(kind: string, topic: string, message: string): StoreError {
  return new StoreError(ErrorCodes.STORE_FAILED, `${kind} store refused a write: ${message}`, { topic, details: { kind } });
}

/**
 * Refuse a write that would break the store's invariants: a watermark or docVersion that is not a
 * non-negative safe integer (SQLite would silently store it as REAL/NULL, and the max rule would
 * misbehave), or a document of another topic slipped into a topic's commit.
 */
export function checkWrite(kind: string, topic: string, watermark: number, documents: readonly SyncDocument[]): void {
  if (typeof topic !== 'string' || topic === '') throw invalid(kind, String(topic), 'topic must be a non-empty string');
  if (!isSequence(watermark)) throw invalid(kind, topic, `bad watermark ${String(watermark)}`);
  for (const doc of documents) checkDocument(kind, topic, doc);
}

/** Per-document part of {@link checkWrite}; also used by `putHydrated`. */
export function checkDocument(kind: string, topic: string, doc: SyncDocument): void {
  if (doc.topic !== topic || typeof doc.docKey !== 'string' || !isSequence(doc.docVersion) || !isSequence(doc.watermark)) {
    throw invalid(kind, topic, `document ${String(doc.docKey)}: bad topic, docKey, docVersion or watermark`);
  }
}

/** The last-writer rule: an incoming version replaces a stored one unless the stored one is newer. */
export function wins(incomingVersion: number, storedVersion: number | undefined): boolean {
  return storedVersion === undefined || incomingVersion >= storedVersion;
}

/**
 * Collapse duplicates of one docKey inside a batch to the document that sequential application
 * would leave (highest version; the later one on ties). Backends that cannot apply a batch
 * strictly in order (IndexedDB queues its reads before the dependent writes) need this.
 */
export function collapseByKey(documents: readonly SyncDocument[]): SyncDocument[] {
  const byKey = new Map<string, SyncDocument>();
  for (const doc of documents) {
    const held = byKey.get(doc.docKey);
    if (held === undefined || wins(doc.docVersion, held.docVersion)) byKey.set(doc.docKey, doc);
  }
  return [...byKey.values()];
}

/**
 * What `putHydrated` writes over `stored`: the new body and version, no longer pending. The stored
 * watermark is kept because hydration fetches a body; it is not an update of the topic stream,
 * and keeping it preserves "no document watermark above its topic's watermark".
 */
export function hydratedRecord(stored: SyncDocument, incoming: SyncDocument): SyncDocument {
  return {
    topic: stored.topic,
    docKey: stored.docKey,
    docVersion: incoming.docVersion,
    payload: incoming.payload,
    payloadHash: incoming.payloadHash,
    watermark: stored.watermark,
    hydrationPending: false,
  };
}

/**
 * Run one synchronous store step behind the async interface: rejects after close, and turns a
 * throw into `STORE_FAILED`. Nothing can interleave inside `body`, which is what makes a
 * synchronous backend's write atomic with respect to the client.
 */
export function runSync<T>(kind: string, closed: boolean, operation: string, topic: string | undefined, body: () => T): Promise<T> {
  if (closed) return Promise.reject(closedStoreError(kind, topic));
  try {
    return Promise.resolve(body());
  } catch (err) {
    return Promise.reject(toStoreError(kind, operation, err, topic));
  }
}
