// Client → server frames of SpacetimeDB's v1 JSON protocol (SPACETIME_PROTOCOL §1.4). The server
// decodes them strictly: an unknown, missing or duplicate field closes the socket with 1011, so
// each builder emits exactly the fields of its message and nothing else.

/** Largest u32: request and query ids must fit (§5 rule 3). */
export const U32_MAX = 0xffff_ffff;

/** `{"SubscribeMulti":{"query_strings":[…],"request_id":n,"query_id":{"id":q}}}`. */
export function subscribeMulti(queries: string[], requestId: number, queryId: number): string {
  return JSON.stringify({ SubscribeMulti: { query_strings: queries, request_id: requestId, query_id: { id: queryId } } });
}

/** `{"UnsubscribeMulti":{"request_id":n,"query_id":{"id":q}}}`. */
export function unsubscribeMulti(requestId: number, queryId: number): string {
  return JSON.stringify({ UnsubscribeMulti: { request_id: requestId, query_id: { id: queryId } } });
}

/**
 * `{"OneOffQuery":{"message_id":"<hex>","query_string":"…"}}`. `message_id` is a byte array, written
 * as lowercase hex (8 digits of a u32 counter): the OA desktop's `[n]` form broke at n = 256 (§2.4 d).
 */
export function oneOffQuery(messageId: number, query: string): string {
  return JSON.stringify({ OneOffQuery: { message_id: messageId.toString(16).padStart(8, '0'), query_string: query } });
}

/**
 * A u32 counter that skips values still in use. Wraps after {@link U32_MAX} back to 1 (0 is left
 * out: the official SDK uses it, and a server log reading 0 is ambiguous).
 */
export class U32Counter {
  /** @param next the first value to hand out. Default 1. */
  constructor(private next = 1) {}

  /** The next value not in `inUse`. */
  take(inUse?: ReadonlySet<number>): number {
    for (;;) {
      const value = this.next;
      this.next = value >= U32_MAX ? 1 : value + 1;
      if (inUse === undefined || !inUse.has(value)) return value;
    }
  }
}

/**
 * `{"CallReducer":{"reducer":"…","args":"[…]","request_id":n,"flags":0}}`. `args` is a string holding
 * the JSON array of arguments (§1.3 rule 8); flags 0 asks for the full update as the caller.
 */
export function callReducer(reducer: string, args: unknown[], requestId: number): string {
  return JSON.stringify({ CallReducer: { reducer, args: JSON.stringify(args), request_id: requestId, flags: 0 } });
}
