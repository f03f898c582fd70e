import { ErrorCodes } from '../errors/codes.js';
import { TransportError } from '../errors/transport-error.js';

/**
 * Close codes that mean "the server turned this session away" when they end an open socket before
 * the subscription ever went live (since `connect()`): going away (1001, e.g. the module exited), protocol error (1002),
 * unacceptable data (1003), invalid payload (1007), policy violation (1008), internal error (1011).
 * A plain drop (1006), a normal close (1000) and "try again later" (1013) are not refusals.
 */
export const REFUSAL_CLOSE_CODES: ReadonlySet<number> = new Set([1001, 1002, 1003, 1007, 1008, 1011]);

/** Longest close reason kept (a WebSocket close reason is at most 123 bytes anyway). */
const MAX_REASON = 200;

/** What a refusal leads to: `error` is reported; with `stop` the client also stops for good. */
export interface RefusalOutcome {
  error: TransportError;
  stop: TransportError | undefined;
}

/**
 * Counts consecutive identical refusals (same close code and reason). Identical refusals in a row
 * mean the server will keep answering the same way (an incompatible module, a schema it cannot
 * serve), so after `max` of them the client stops instead of reconnecting forever. A refusal that
 * differs starts the count over. Once the subscription has gone live, closes stop being refusals
 * until the next `connect()`: a server that served us once is restarting or redeploying, and a
 * desktop session must ride that out (reconnect + resubscribe) rather than stop for good. The
 * reason is kept verbatim here; the client's SecretScrubber removes any token from it when the
 * error is emitted.
 */
export class RefusalCounter {
  #key: string | undefined;
  #count = 0;
  #everLive = false;

  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  /** `connect()` was called: a fresh session, nothing counted and never live. */
  restart(): void {
    this.#key = undefined;
    this.#count = 0;
    this.#everLive = false;
  }

  /** The subscription went live: closes are ordinary drops from now until `restart()`. */
  wentLive(): void {
    this.#everLive = true;
  }

  /** Whether a refusal close now counts as one (the subscription never went live since `connect()`). */
  counts(): boolean {
    return !this.#everLive;
  }

  /** The server closed an open, not-yet-live socket with `code` and `reason`. */
  refused(code: number, rawReason: string): RefusalOutcome {
    const reason = rawReason.slice(0, MAX_REASON);
    const key = `${code}\u0000${reason}`;
    this.#count = key === this.#key ? this.#count + 1 : 1;
    this.#key = key;
    const details = { code, reason, consecutive: this.#count, maxRefusals: this.#max };
    const error = new TransportError(ErrorCodes.SERVER_REFUSED, `server refused the session before it went live (close ${code}${reason === '' ? '' : `: ${reason}`})`, {
      retryable: this.#count < this.#max,
      details,
    });
    if (this.#count < this.#max) return { error, stop: undefined };
    return { error, stop: new TransportError(ErrorCodes.INCOMPATIBLE_SERVER, `server refused the session ${this.#count} times in a row with close ${code}${reason === '' ? '' : ` (${reason})`}; not reconnecting`, { details }) };
  }
}
