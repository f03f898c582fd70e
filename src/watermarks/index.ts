// Only the dependency-free store lives here: the SQLite and IndexedDB stores have their own entry
// points (`khala-sync/sqlite`, `khala-sync/indexeddb`) so each bundle pulls in only its backend.
export type { StoreContents, SyncStore } from './store.js';
export type { TopicCommit } from '../model/types.js';
export { createMemoryStore } from './memory-store.js';
