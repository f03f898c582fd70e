import { useSyncExternalStore } from 'react';
import type { SyncClient } from '../client/sync-client.js';
import type { PayloadOf, TopicPayloads, TypedDocument } from '../client/topic-schemas.js';

/**
 * Every held document of `topic`, re-rendering only when that topic's documents change (the
 * client hands out the same array until then). Empty until the topic's documents are loaded.
 */
export function useDocuments<T extends TopicPayloads, K extends string>(client: SyncClient<T>, topic: K): readonly TypedDocument<PayloadOf<T, K>>[] {
  const read = (): readonly TypedDocument<PayloadOf<T, K>>[] => client.listDocuments(topic);
  return useSyncExternalStore(client.onChange, read, read);
}
