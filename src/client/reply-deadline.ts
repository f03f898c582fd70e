import { ErrorCodes } from '../errors/codes.js';
import type { SocketLink } from './socket-link.js';

/**
 * The subscribe requests of one socket still waiting for their reply, and the bound on that wait
 * (SPEC.md S8). A server that answers heartbeats but never a subscribe keeps the socket "alive",
 * so the silence watchdog cannot see it; this can. The wait counts from the last sign of progress:
 * the request, a reply to another pending one, or a batch of one of their topics (Khala pushes the
 * whole replay before the reply, which may take minutes). Frames received and not yet handled
 * stop the clock: the reply may be among them, late only because the client is busy.
 */
export class ReplyDeadline {
  /** Topics of each pending request, by request id; emptied when the link is dropped. */
  readonly #waiting = new Map<number, readonly string[]>();
  #since = 0;
  /** The latest reply to an id not waited for: a transport delivering synchronously answers a request before its id is known. */
  #early: number | undefined;

  readonly #link: SocketLink;
  readonly #ms: number;

  /** No reply within `ms` of the last progress: `reply_timeout` and a reconnect (SPEC.md S8). */
  constructor(link: SocketLink, ms: number) {
    this.#link = link;
    this.#ms = ms;
  }

  /** Send a subscribe with `send` (it returns the request id) and wait for its reply. */
  send(topics: readonly string[], send: () => number): number {
    this.#early = undefined;
    const id = send();
    if (this.#early === id) return id;
    if (this.#waiting.size === 0) {
      this.#since = Date.now();
      this.#arm(this.#ms);
    }
    this.#waiting.set(id, topics);
    return id;
  }

  /**
   * A reply (ok or refused) to `requestId` arrived. Returns true when nothing is waiting any more:
   * the link may then drop this deadline, so an idle live client holds none (heap per idle client).
   */
  answered(requestId: number): boolean {
    if (!this.#waiting.delete(requestId)) this.#early = requestId;
    else if (this.#waiting.size > 0) this.#since = Date.now();
    else this.#link.clear('reply');
    return this.#waiting.size === 0;
  }

  /** A batch of `topic` arrived: a pending request naming it is making progress. */
  progress(topic: string): void {
    if (this.#waiting.size === 0) return;
    for (const topics of this.#waiting.values()) {
      if (topics.includes(topic)) {
        this.#since = Date.now();
        return;
      }
    }
  }

  #arm(ms: number): void {
    this.#link.timer('reply', ms, () => this.#check());
  }

  #check(): void {
    if (this.#link.inbound.depth > 0 || this.#link.inbound.over) this.#since = Date.now();
    const left = this.#since + this.#ms - Date.now();
    if (left > 0) return this.#arm(left);
    this.#waiting.clear();
    this.#link.missed(ErrorCodes.REPLY_TIMEOUT, 'subscribe reply', this.#ms, 'subscribe_timeout');
  }
}
