export { ErrorCodes, type ErrorCode, type ErrorCodeTable } from './codes.js';
export { KhalaSyncError, isKhalaSyncError, type ErrorSource, type KhalaSyncErrorOptions } from './khala-sync-error.js';
export { ProtocolError, isProtocolError } from './protocol-error.js';
export { ServerError, isServerError } from './server-error.js';
export { TransportError, isTransportError } from './transport-error.js';
export { StoreError, isStoreError } from './store-error.js';
export { SnapshotError, isSnapshotError } from './snapshot-error.js';
export { redact } from './redact.js';
