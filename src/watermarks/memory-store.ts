import type { SyncDocument, TopicCommit } from '../model/types.js';
import type { StoreContents, SyncStore } from './store.js';
import { checkDocument, checkWrite, hydratedRecord, wins, runSync } from './store-guards.js';
import { setOwn } from '../util/records.js';

const KIND = 'memory';

// Performance (bench profile, docs/benchmarks.md): `structuredClone` of every committed batch was
// ~20% of the client's replay time, mostly serializer setup for small JSON objects. Documents whose
// values are plain JSON-like data (plain objects, dense arrays, primitives, no shared or cyclic
// references) are copied by hand, which gives the same result; anything else, including values
// structuredClone refuses, still goes through structuredClone, so results and errors are unchanged.
const NOT_PLAIN = Symbol('not plain');

function copyPlain(value: unknown, seen: Set<object>): unknown {
  if (typeof value !== 'object' || value === null) {
    if (typeof value === 'function' || typeof value === 'symbol') throw NOT_PLAIN;
    return value;
  }
  if (seen.has(value)) throw NOT_PLAIN; // shared or cyclic: structuredClone keeps the sharing
  seen.add(value);
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) throw NOT_PLAIN;
    const n = value.length;
    const out = new Array<unknown>(n);
    let keys = 0;
    for (let i = 0; i < n; i++) {
      if (!(i in value)) throw NOT_PLAIN; // holes and extra keys: leave to structuredClone
      out[i] = copyPlain(value[i], seen);
      keys++;
    }
    if (Object.keys(value).length !== keys) throw NOT_PLAIN;
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw NOT_PLAIN;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (key === '__proto__') throw NOT_PLAIN; // an assignment would set the prototype instead
    out[key] = copyPlain((value as Record<string, unknown>)[key], seen);
  }
  return out;
}

function cloneDocuments(docs: readonly SyncDocument[]): SyncDocument[] {
  try {
    const seen = new Set<object>();
    return docs.map((d) => copyPlain(d, seen) as SyncDocument);
  } catch (err) {
    if (err !== NOT_PLAIN) throw err;
    return structuredClone(docs as SyncDocument[]);
  }
}

/**
 * A {@link SyncStore} that keeps everything in process memory (kind `memory`): nothing survives a
 * restart, so a client using it replays from watermark 0 (or bootstraps) on every start. Values are
 * deep-copied with `structuredClone` on the way in and out, so callers can never mutate stored
 * state. A document is only written over one with a lower or equal `docVersion`; a commit's
 * watermark only ever raises the stored one (`replaceTopic` sets it outright).
 *
 * @returns a fresh, empty store.
 */
export function createMemoryStore(): SyncStore {
  const watermarks = new Map<string, number>();
  const documents = new Map<string, Map<string, SyncDocument>>();
  let closed = false;

  function topicDocs(topic: string): Map<string, SyncDocument> {
    let docs = documents.get(topic);
    if (docs === undefined) {
      docs = new Map();
      documents.set(topic, docs);
    }
    return docs;
  }

  // Every method runs as one synchronous step behind an async facade (see runSync).
  function run<T>(operation: string, topic: string | undefined, body: () => T): Promise<T> {
    return runSync(KIND, closed, operation, topic, body);
  }

  function upsert(target: Map<string, SyncDocument>, docs: readonly SyncDocument[]): void {
    for (const doc of docs) {
      if (wins(doc.docVersion, target.get(doc.docKey)?.docVersion)) target.set(doc.docKey, doc);
    }
  }

  return {
    kind: KIND,

    load(topics?: string[]): Promise<StoreContents> {
      return run('load', undefined, () => {
        const wanted = topics ?? [...new Set([...watermarks.keys(), ...documents.keys()])];
        const out: StoreContents = { watermarks: {}, documents: [] };
        for (const topic of new Set(wanted)) {
          const mark = watermarks.get(topic);
          if (mark !== undefined) setOwn(out.watermarks, topic, mark);
          for (const doc of documents.get(topic)?.values() ?? []) out.documents.push(structuredClone(doc));
        }
        return out;
      });
    },

    commit(commit: TopicCommit): Promise<void> {
      return run('commit', commit.topic, () => {
        checkWrite(KIND, commit.topic, commit.watermark, commit.documents);
        // Clone everything before touching state, so a non-cloneable payload aborts the whole commit.
        const docs = cloneDocuments(commit.documents);
        upsert(topicDocs(commit.topic), docs);
        watermarks.set(commit.topic, Math.max(watermarks.get(commit.topic) ?? commit.watermark, commit.watermark));
      });
    },

    replaceTopic(topic: string, docs: SyncDocument[], watermark: number): Promise<void> {
      return run('replaceTopic', topic, () => {
        checkWrite(KIND, topic, watermark, docs);
        const fresh = new Map<string, SyncDocument>();
        upsert(fresh, structuredClone(docs));
        documents.set(topic, fresh);
        watermarks.set(topic, watermark);
      });
    },

    putHydrated(doc: SyncDocument): Promise<void> {
      return run('putHydrated', doc.topic, () => {
        checkDocument(KIND, doc.topic, doc);
        const docs = documents.get(doc.topic);
        const stored = docs?.get(doc.docKey);
        // An absent document was dropped by a snapshot while its body was in flight: do not revive it.
        if (docs === undefined || stored === undefined || !wins(doc.docVersion, stored.docVersion)) return;
        docs.set(doc.docKey, hydratedRecord(stored, structuredClone(doc)));
      });
    },

    close(): Promise<void> {
      closed = true;
      return Promise.resolve();
    },
  };
}
