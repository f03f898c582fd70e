import { useSyncExternalStore } from 'react';
import type { SyncClient } from '../client/sync-client.js';
import type { PayloadOf, TopicPayloads, TypedDocument } from '../client/topic-schemas.js';

/**
 * One document (or `undefined`), re-rendering only when that document is written: the client keeps
 * the same object for a document until an update, a hydration or a snapshot replaces it.
 */
export function useDocument<T extends TopicPayloads, K extends string>(client: SyncClient<T>, topic: K, docKey: string): TypedDocument<PayloadOf<T, K>> | undefined {
  const read = (): TypedDocument<PayloadOf<T, K>> | undefined => client.getDocument(topic, docKey);
  return useSyncExternalStore(client.onChange, read, read);
}
