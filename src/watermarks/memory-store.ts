import type { SyncDocument, TopicCommit } from '../model/types.js';
import type { StoreContents, SyncStore } from './store.js';
import { checkDocument, checkWrite, hydratedRecord, wins, runSync } from './store-guards.js';
import { setOwn } from '../util/records.js';

const KIND = 'memory';

/**
 * A {@link SyncStore} that keeps everything in process memory (kind `memory`): nothing survives a
 * restart, so a client using it replays from watermark 0 (or bootstraps) on every start. It takes
 * ownership of the documents it is given (`commit`, `replaceTopic`, `stageSnapshot`, `putHydrated`):
 * they are stored as they are, not copied (and `commitSnapshot` returns those same objects), so the caller must not change them afterwards (the client never does:
 * it keeps the very same objects as its own read copy, so each document exists once). `load`
 * returns deep copies (`structuredClone`), so what the caller gets back never aliases stored state.
 * A document is only written over one with a lower or equal `docVersion`; a commit's
 * watermark only ever raises the stored one (`replaceTopic` sets it outright).
 *
 * @returns a fresh, empty store.
 */
export function createMemoryStore(): SyncStore {
  // Made on first write: a client whose topics never carried a row holds no maps.
  let watermarks: Map<string, number> | undefined;
  let documents: Map<string, Map<string, SyncDocument>> | undefined;
  // Snapshot pages staged per topic; swapped in whole by commitSnapshot.
  let staged: Map<string, Map<string, SyncDocument>> | undefined;
  let closed = false;

  /** The topic's map in `maps` (documents or staged pages), made on first use. */
  function topicMap(maps: Map<string, Map<string, SyncDocument>>, topic: string): Map<string, SyncDocument> {
    let docs = maps.get(topic);
    if (docs === undefined) maps.set(topic, (docs = new Map()));
    return docs;
  }

  // Every method runs as one synchronous step behind an async facade (see runSync).
  function run<T>(operation: string, topic: string | undefined, body: () => T): Promise<T> {
    return runSync(KIND, closed, operation, topic, body);
  }

  function upsert(target: Map<string, SyncDocument>, docs: readonly SyncDocument[]): Map<string, SyncDocument> {
    for (const doc of docs) {
      if (wins(doc.docVersion, target.get(doc.docKey)?.docVersion)) target.set(doc.docKey, doc);
    }
    return target;
  }

  /** The topic's documents become `docs` and its watermark `watermark` outright (replaceTopic, commitSnapshot). */
  function swap(topic: string, docs: Map<string, SyncDocument>, watermark: number): void {
    (documents ??= new Map()).set(topic, docs);
    (watermarks ??= new Map()).set(topic, watermark);
  }

  return {
    kind: KIND,

    load(topics?: string[]): Promise<StoreContents> {
      return run('load', undefined, () => {
        const wanted = topics ?? [...new Set([...(watermarks?.keys() ?? []), ...(documents?.keys() ?? [])])];
        const out: StoreContents = { watermarks: {}, documents: [] };
        for (const topic of new Set(wanted)) {
          const mark = watermarks?.get(topic);
          if (mark !== undefined) setOwn(out.watermarks, topic, mark);
          for (const doc of documents?.get(topic)?.values() ?? []) out.documents.push(structuredClone(doc));
        }
        return out;
      });
    },

    commit(commit: TopicCommit): Promise<void> {
      return run('commit', commit.topic, () => {
        checkWrite(KIND, commit.topic, commit.watermark, commit.documents);
        // Owned, not copied (bench profile, docs/benchmarks.md: a deep copy per commit was ~10% of
        // the client's apply path plus its garbage).
        upsert(topicMap((documents ??= new Map()), commit.topic), commit.documents);
        watermarks ??= new Map();
        watermarks.set(commit.topic, Math.max(watermarks.get(commit.topic) ?? commit.watermark, commit.watermark));
      });
    },

    replaceTopic(topic: string, docs: SyncDocument[], watermark: number): Promise<void> {
      return run('replaceTopic', topic, () => {
        checkWrite(KIND, topic, watermark, docs);
        swap(topic, upsert(new Map(), docs), watermark);
      });
    },

    discardSnapshot(topic: string): Promise<void> {
      return run('discardSnapshot', topic, () => void staged?.delete(topic));
    },

    stageSnapshot(topic: string, docs: SyncDocument[]): Promise<void> {
      return run('stageSnapshot', topic, () => {
        checkWrite(KIND, topic, 0, docs);
        upsert(topicMap((staged ??= new Map()), topic), docs);
      });
    },

    commitSnapshot(topic: string, watermark: number): Promise<SyncDocument[]> {
      return run('commitSnapshot', topic, () => {
        checkWrite(KIND, topic, watermark, []);
        const fresh = staged?.get(topic) ?? new Map<string, SyncDocument>();
        staged?.delete(topic);
        swap(topic, fresh, watermark);
        return [...fresh.values()];
      });
    },

    putHydrated(doc: SyncDocument): Promise<void> {
      return run('putHydrated', doc.topic, () => {
        checkDocument(KIND, doc.topic, doc);
        const docs = documents?.get(doc.topic);
        const stored = docs?.get(doc.docKey);
        // An absent document was dropped by a snapshot while its body was in flight: do not revive it.
        if (docs === undefined || stored === undefined || !wins(doc.docVersion, stored.docVersion)) return;
        docs.set(doc.docKey, hydratedRecord(stored, doc));
      });
    },

    close(): Promise<void> {
      closed = true;
      return Promise.resolve();
    },
  };
}
