import { U32Counter } from './client-messages.js';

/**
 * Unsubscribes awaiting their reply, at most. A server that never answers them (while it keeps the
 * client dropping and resubscribing streams) would otherwise grow this bookkeeping for as long as the
 * socket lives; past the cap the oldest is forgotten and its query id freed (ids are taken in
 * order, so it comes round again only after 2^32 more).
 */
export const MAX_UNANSWERED_UNSUBSCRIBES = 1024;

/**
 * The u32 ids of one connection (§5 rule 3): request ids, and query ids that are never reused while
 * live — a query id stays taken from its `SubscribeMulti` until the reply to its `UnsubscribeMulti`
 * (or a refusal of the query) arrived.
 */
export class WireIds {
  private readonly requests = new U32Counter();
  private readonly queries = new U32Counter();
  private readonly live = new Set<number>();
  private readonly unsubscribing = new Map<number, number>();

  /** A fresh request id. */
  request(): number {
    return this.requests.take();
  }

  /** A query id not live on this connection; it is live from now on. */
  query(): number {
    const id = this.queries.take(this.live);
    this.live.add(id);
    return id;
  }

  /** Allocate the request id of an `UnsubscribeMulti` for `queryId`. */
  unsubscribe(queryId: number): number {
    const requestId = this.requests.take();
    this.unsubscribing.set(requestId, queryId);
    if (this.unsubscribing.size > MAX_UNANSWERED_UNSUBSCRIBES) this.unsubscribed(this.unsubscribing.keys().next().value!);
    return requestId;
  }

  /** The reply to unsubscribe request `requestId` arrived: its query id is free. False if it was not ours. */
  unsubscribed(requestId: number): boolean {
    const queryId = this.unsubscribing.get(requestId);
    if (queryId === undefined) return false;
    this.unsubscribing.delete(requestId);
    this.live.delete(queryId);
    return true;
  }

  /** A query that never became live (refused by the server). */
  free(queryId: number): void {
    this.live.delete(queryId);
  }
}
