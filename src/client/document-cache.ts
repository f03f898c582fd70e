import type { SyncDocument } from '../model/types.js';

/**
 * In-memory mirror of the store's documents: synchronous reads for the app and the document
 * lookups the replay planner needs. Per-topic lists are cached and replaced on change, so a UI can
 * compare them by reference (`useSyncExternalStore`).
 */
export class DocumentCache {
  private readonly topics = new Map<string, Map<string, SyncDocument>>();
  private readonly lists = new Map<string, readonly SyncDocument[]>();

  get(topic: string, docKey: string): SyncDocument | undefined {
    return this.topics.get(topic)?.get(docKey);
  }

  list(topic: string): readonly SyncDocument[] {
    let l = this.lists.get(topic);
    if (l === undefined) {
      l = Object.freeze([...(this.topics.get(topic)?.values() ?? [])]);
      this.lists.set(topic, l);
    }
    return l;
  }

  put(doc: SyncDocument): void {
    let m = this.topics.get(doc.topic);
    if (m === undefined) {
      m = new Map();
      this.topics.set(doc.topic, m);
    }
    m.set(doc.docKey, doc);
    this.lists.delete(doc.topic);
  }

  /** Store one committed batch's documents (all of `topic`): one topic lookup per batch. */
  putAll(topic: string, docs: readonly SyncDocument[]): void {
    let m = this.topics.get(topic);
    if (m === undefined) {
      m = new Map();
      this.topics.set(topic, m);
    }
    for (let i = 0; i < docs.length; i++) m.set(docs[i]!.docKey, docs[i]!);
    this.lists.delete(topic);
  }

  replace(topic: string, docs: SyncDocument[]): void {
    this.topics.set(topic, new Map(docs.map((d) => [d.docKey, d])));
    this.lists.delete(topic);
  }

  drop(topic: string): void {
    this.topics.delete(topic);
    this.lists.delete(topic);
  }
}
