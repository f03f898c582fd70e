/**
 * `khala-sync/react`: hooks over a `SyncClient` built on `useSyncExternalStore`. React (18 or
 * later) is an optional peer dependency, needed only by this entry.
 *
 * @packageDocumentation
 */
export { useDocuments } from './react/use-documents.js';
export { useDocument } from './react/use-document.js';
export { useSyncStatus, type SyncStatusView } from './react/use-sync-status.js';
