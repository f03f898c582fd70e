/**
 * `khala-sync/sqlite`: the durable SQLite store for Node and Electron. Kept out of the main entry
 * so that browser bundles never reach `better-sqlite3` (a native, optional dependency).
 *
 * @packageDocumentation
 */
export { createSqliteStore, type SqliteStoreOptions } from './watermarks/sqlite-store.js';
