import type { SyncDocument, TopicCommit } from '../model/types.js';

/** What a store holds, as loaded at start. */
export interface StoreContents {
  /** Each topic's committed watermark (its cursor). */
  watermarks: Record<string, number>;
  /** Every stored document of the loaded topics. */
  documents: SyncDocument[];
}

/**
 * Durable state of a client: per-topic watermarks and documents. Every write is one atomic
 * commit, so a crash between two writes never leaves a watermark ahead of its documents or behind
 * them. A snapshot arrives page by page through a staging area and is swapped in by one commit
 * (`discardSnapshot`, `stageSnapshot`, `commitSnapshot`). Implementations: `createMemoryStore()`,
 * `createSqliteStore()` (`khala-sync/sqlite`), `createIndexedDbStore()` (`khala-sync/indexeddb`).
 */
export interface SyncStore {
  /** Short name for diagnostics (`memory`, `sqlite`). */
  readonly kind: string;
  /** Load watermarks and documents, for `topics` or for everything when omitted. */
  load(topics?: string[]): Promise<StoreContents>;
  /** Upsert `documents` and set the watermark, atomically. */
  commit(commit: TopicCommit): Promise<void>;
  /**
   * Replace every document of `topic` and set its watermark, atomically, from one array (seeding,
   * small imports). The client bootstraps through the staging calls below instead, so a snapshot
   * is never held in memory whole.
   */
  replaceTopic(topic: string, documents: SyncDocument[], watermark: number): Promise<void>;
  /**
   * Snapshot staging, step 1 of 3: drop whatever is staged for `topic` (a failed snapshot, or one a
   * crash cut short). The topic's stored documents and watermark are untouched. The client calls it
   * before the first page of every snapshot, so stale staging never leaks into a new one.
   */
  discardSnapshot(topic: string): Promise<void>;
  /**
   * Snapshot staging, step 2 of 3: add one page of `topic`'s snapshot to its staging area, durably
   * where the store is durable. Nothing readable changes: `load` still returns the old documents
   * and watermark. A key staged twice keeps the higher (or equal, later) `docVersion`.
   */
  stageSnapshot(topic: string, documents: SyncDocument[]): Promise<void>;
  /**
   * Snapshot staging, step 3 of 3: atomically replace every document of `topic` with the staged
   * ones, set its watermark to `watermark` outright, and empty the staging area. With nothing
   * staged the topic ends up empty. A crash before this resolves leaves the old state.
   *
   * @returns the topic's documents as now stored, so the caller can refresh its read copy without
   *   having held the snapshot itself (the memory store returns the very objects it holds; the
   *   SQLite store the very objects it was given since the topic's `discardSnapshot`).
   */
  commitSnapshot(topic: string, watermark: number): Promise<SyncDocument[]>;
  /** Store a hydrated body (clears `hydrationPending`) unless a newer `docVersion` is stored. */
  putHydrated(document: SyncDocument): Promise<void>;
  /** Release the backend. Further calls reject. */
  close(): Promise<void>;
}
