import { oneOffQuery } from './client-messages.js';

/** What a pending one-off query was asked for. */
export type OneOffPurpose =
  /** `stream_head` rows of these streams (the keep-alive's head probe). */
  | { kind: 'heads'; streams: string[] }
  /** Whether `sync_event` still holds row `seq` of `stream` (is the cursor past the retention floor?). */
  | { kind: 'floor'; stream: string; seq: number; head: number };

/**
 * The `OneOffQuery` requests of one socket, correlated by their hex `message_id` (SPACETIME_PROTOCOL
 * §1.4, §5 rule 3). A reply is taken as the answer to a request only when its `message_id` names a
 * pending one; anything else (a foreign or late reply) is the caller's to ignore and count. A request
 * that gets no answer within `timeoutMs` is forgotten and reported through `onTimeout`.
 */
export class OneOffQueries {
  private readonly pending = new Map<string, { purpose: OneOffPurpose; timer: ReturnType<typeof setTimeout> }>();
  private next = 1;

  constructor(
    private readonly transmit: (text: string) => void,
    private readonly timeoutMs: number,
    private readonly onTimeout: (messageId: string, purpose: OneOffPurpose) => void,
  ) {}

  /** Send `query` and remember why. */
  send(query: string, purpose: OneOffPurpose): void {
    const id = this.next;
    // A u32 counter, 8 hex digits; wraps to 1. An id still pending after a wrap would be ambiguous,
    // so it is skipped (there are never 2^32 pending queries).
    do this.next = this.next >= 0xffff_ffff ? 1 : this.next + 1;
    while (this.pending.has(hex(this.next)));
    const text = oneOffQuery(id, query);
    const key = hex(id);
    const timer = setTimeout(() => {
      if (this.pending.delete(key)) this.onTimeout(key, purpose);
    }, this.timeoutMs);
    this.pending.set(key, { purpose, timer });
    this.transmit(text);
  }

  /** The purpose of the pending query `messageId` answers (and forget it), or undefined if none. */
  take(messageId: string): OneOffPurpose | undefined {
    const key = messageId.toLowerCase();
    const p = this.pending.get(key);
    if (p === undefined) return undefined;
    clearTimeout(p.timer);
    this.pending.delete(key);
    return p.purpose;
  }

  /** Pending queries (tests, diagnostics). */
  get size(): number {
    return this.pending.size;
  }

  dispose(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }
}

function hex(id: number): string {
  return id.toString(16).padStart(8, '0');
}
