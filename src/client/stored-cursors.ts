import { ErrorCodes } from '../errors/codes.js';
import { StoreError } from '../errors/store-error.js';
import type { SyncDocument } from '../model/types.js';
import { emptyRecord } from '../util/records.js';
import { isSequence, toStoreError } from '../watermarks/store-guards.js';
import type { StoreContents, SyncStore } from '../watermarks/store.js';

/** What a load left usable, and what it refused. */
export interface CheckedContents {
  /** Cursors that are non-negative safe integers, by topic (null prototype). */
  cursors: Record<string, number>;
  /** Documents of the wanted topics with sane versions and watermarks. */
  documents: SyncDocument[];
  /** One `store_corrupt` error per refused cursor or document. */
  errors: StoreError[];
}

function describe(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : String(value);
  return `${typeof value} ${text}`;
}

/**
 * Check what a store returned before the client trusts it. A tampered or damaged file can hold any
 * value where a watermark belongs (`'abc'`, −5, 2.5, 2^53+1); such a cursor would otherwise be sent
 * to the server or compared against sequence numbers. Recovery (docs/errors.md `store_corrupt`):
 * the topic is treated as never cursored — with a snapshot source it bootstraps, without one it
 * replays from the start — and the stores never let such a value win the max of a later commit, so
 * the first commit (or the snapshot) overwrites it. A document with a bad version or watermark
 * is left out of the cache (the next update or snapshot of its key replaces it).
 */
export function checkStoredContents(topics: readonly string[], loaded: StoreContents): CheckedContents {
  const out: CheckedContents = { cursors: emptyRecord(), documents: [], errors: [] };
  for (const topic of topics) {
    // A topic present with no value (an IndexedDB record that lost its watermark) is damage too,
    // reported like any other bad cursor rather than silently taken for "never cursored".
    if (!Object.hasOwn(loaded.watermarks, topic)) continue;
    const value: unknown = loaded.watermarks[topic];
    if (isSequence(value)) {
      out.cursors[topic] = value;
      continue;
    }
    const found = describe(value);
    out.errors.push(new StoreError(ErrorCodes.STORE_CORRUPT, `bad stored cursor of ${topic} (${found}): restarting uncursored`, { topic, retryable: true, details: { found } }));
  }
  const wanted = new Set(topics);
  for (const doc of loaded.documents) {
    if (!wanted.has(doc.topic)) continue;
    if (typeof doc.docKey === 'string' && isSequence(doc.docVersion) && isSequence(doc.watermark)) {
      out.documents.push(doc);
      continue;
    }
    out.errors.push(
      new StoreError(ErrorCodes.STORE_CORRUPT, `bad stored document of ${doc.topic} (key, version or watermark) ignored`, {
        topic: doc.topic,
        retryable: true,
        details: { docKey: typeof doc.docKey === 'string' ? doc.docKey.slice(0, 200) : null },
      }),
    );
  }
  return out;
}

/**
 * Load `topics` from `store` and check what it returned (checkStoredContents). A custom store that
 * throws, or resolves with something that is not StoreContents, rejects with a typed store error.
 */
export async function loadStoredContents(store: SyncStore, topics: string[]): Promise<CheckedContents> {
  try {
    return checkStoredContents(topics, await store.load(topics));
  } catch (err) {
    throw toStoreError(store.kind, 'load', err);
  }
}
