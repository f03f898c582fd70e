import type { SyncDocument } from '../model/types.js';

/**
 * In-memory mirror of the store's documents: synchronous reads for the app and the document
 * lookups the replay planner needs. Per-topic lists are cached and replaced on change, so a UI can
 * compare them by reference (`useSyncExternalStore`).
 */
export class DocumentCache {
  // Made on first write: an idle client with empty topics holds no maps (docs/benchmarks.md, figure 4).
  #topics: Map<string, Map<string, SyncDocument>> | undefined;
  #lists: Map<string, readonly SyncDocument[]> | undefined;

  get(topic: string, docKey: string): SyncDocument | undefined {
    return this.#topics?.get(topic)?.get(docKey);
  }

  list(topic: string): readonly SyncDocument[] {
    let l = this.#lists?.get(topic);
    if (l === undefined) {
      l = Object.freeze([...(this.#topics?.get(topic)?.values() ?? [])]);
      (this.#lists ??= new Map()).set(topic, l);
    }
    return l;
  }

  /** Store documents of `topic` (a committed batch's, or one hydrated): one topic lookup per batch. */
  putAll(topic: string, docs: readonly SyncDocument[]): void {
    const topics = (this.#topics ??= new Map());
    let m = topics.get(topic);
    if (m === undefined) topics.set(topic, (m = new Map()));
    for (let i = 0; i < docs.length; i++) m.set(docs[i]!.docKey, docs[i]!);
    this.#lists?.delete(topic);
  }

  replace(topic: string, docs: SyncDocument[]): void {
    // A topic without documents reads the same with no entry at all.
    if (docs.length === 0) this.#topics?.delete(topic);
    else (this.#topics ??= new Map()).set(topic, new Map(docs.map((d) => [d.docKey, d])));
    this.#lists?.delete(topic);
  }

  drop(topic: string): void {
    this.#topics?.delete(topic);
    this.#lists?.delete(topic);
  }
}
