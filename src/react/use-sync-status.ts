import { useSyncExternalStore } from 'react';
import type { ClientStatus } from '../client/options.js';
import type { SyncClient } from '../client/sync-client.js';
import type { TopicPayloads } from '../client/topic-schemas.js';
import type { TopicPhase } from '../replay/state.js';

/** What {@link useSyncStatus} returns: the connection status and each topic's phase and watermark. */
export interface SyncStatusView {
  /** The client's connection status. */
  readonly status: ClientStatus;
  /** Each subscribed topic's phase and watermark. */
  readonly topics: Readonly<Record<string, { readonly phase: TopicPhase; readonly watermark: number | undefined }>>;
}

// One view per client, shared by every component that reads it, replaced only when it differs.
const views = new WeakMap<object, SyncStatusView>();

function same(a: SyncStatusView, b: SyncStatusView): boolean {
  if (a.status !== b.status) return false;
  const keys = Object.keys(a.topics);
  if (keys.length !== Object.keys(b.topics).length) return false;
  return keys.every((k) => {
    const x = a.topics[k]!;
    const y = b.topics[k];
    return y !== undefined && x.phase === y.phase && x.watermark === y.watermark;
  });
}

/**
 * The client's status and per-topic phase/watermark. The returned object stays the same (no
 * re-render) across changes that touch neither, such as a document hydrated in place.
 */
export function useSyncStatus<T extends TopicPayloads>(client: SyncClient<T>): SyncStatusView {
  const read = (): SyncStatusView => {
    const { status, topics } = client.getSnapshot();
    const next: SyncStatusView = { status, topics };
    const prev = views.get(client);
    if (prev !== undefined && same(prev, next)) return prev;
    views.set(client, next);
    return next;
  };
  return useSyncExternalStore(client.onChange, read, read);
}
