import type { KhalaSyncError } from '../errors/khala-sync-error.js';
import type { SocketLink } from './socket-link.js';
import type { TokenGrant } from './token-provider.js';

/**
 * A socket opened next to the current one for a token refresh (make-before-break). It joins,
 * subscribes every wanted topic from the committed watermarks, and is ready to take over once each
 * subscribe was answered. `done` settles once: when it took over, or when it was given up (the
 * current socket is untouched then).
 */
export class StandbyLink {
  /** Unix ms when the standby was dialled (the overlap is measured from here). */
  readonly startedAt = Date.now();
  /** The topics subscribed on it, in order. */
  topics: string[] = [];
  readonly #waiting = new Set<string>();
  #finish: ((error?: KhalaSyncError) => void) | undefined;
  readonly done: Promise<void>;

  constructor(
    readonly link: SocketLink,
    readonly grant: TokenGrant,
    readonly fetchedAt: number,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.#finish = (error) => (error === undefined ? resolve() : reject(error));
    });
  }

  /** Subscribe `topics` on the standby's session, resuming after the given cursors. */
  subscribe(topics: string[], resumeAfter: Record<string, number>): void {
    this.topics = topics;
    for (const t of topics) this.#waiting.add(t);
    if (topics.length > 0) this.link.session?.subscribe(topics, resumeAfter);
  }

  /** `topics` were answered ok; true when nothing is left to wait for. */
  subscribed(topics: readonly string[]): boolean {
    for (const t of topics) this.#waiting.delete(t);
    return this.#waiting.size === 0;
  }

  /** True when the standby subscribed exactly `wanted` (order aside). */
  covers(wanted: readonly string[]): boolean {
    return wanted.length === this.topics.length && wanted.every((t) => this.topics.includes(t));
  }

  /** Settle `done`: took over (no error) or given up. */
  settle(error?: KhalaSyncError): void {
    const f = this.#finish;
    this.#finish = undefined;
    f?.(error);
  }
}
