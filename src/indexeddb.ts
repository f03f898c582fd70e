/**
 * `khala-sync/indexeddb`: the durable browser store on IndexedDB. Its own entry so that Node-only
 * bundles and the main entry stay free of it; it imports nothing Node-specific.
 *
 * @packageDocumentation
 */
export { createIndexedDbStore, type IndexedDbStoreOptions } from './watermarks/indexeddb-store.js';
