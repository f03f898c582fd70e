import type { SyncDocument, TopicCommit } from '../model/types.js';

/** What a store holds, as loaded at start. */
export interface StoreContents {
  watermarks: Record<string, number>;
  documents: SyncDocument[];
}

/**
 * Durable state of a client: per-topic watermarks and documents. Every write is one atomic
 * commit, so a crash between two writes never leaves a watermark ahead of its documents or behind
 * them. Implementations: `createMemoryStore()`, `createSqliteStore()` (`khala-sync/sqlite`).
 */
export interface SyncStore {
  /** Short name for diagnostics (`memory`, `sqlite`). */
  readonly kind: string;
  /** Load watermarks and documents, for `topics` or for everything when omitted. */
  load(topics?: string[]): Promise<StoreContents>;
  /** Upsert `documents` and set the watermark, atomically. */
  commit(commit: TopicCommit): Promise<void>;
  /** Replace every document of `topic` and set its watermark, atomically (snapshot bootstrap). */
  replaceTopic(topic: string, documents: SyncDocument[], watermark: number): Promise<void>;
  /** Store a hydrated body (clears `hydrationPending`) unless a newer `docVersion` is stored. */
  putHydrated(document: SyncDocument): Promise<void>;
  /** Release the backend. Further calls reject. */
  close(): Promise<void>;
}
