import { U32Counter } from './client-messages.js';

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
