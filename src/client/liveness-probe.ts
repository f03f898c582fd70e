/**
 * What a wake-up probe found: `alive` (a frame arrived in time), `dead` (none did: a zombie socket,
 * which the client then replaces), `not_connected` (no joined socket to probe; the connection is
 * already dialling, backing off or stopped).
 */
export type ProbeResult = 'alive' | 'dead' | 'not_connected';

/**
 * Pending probes of one connection. A probe asks the server for a heartbeat; any inbound frame
 * answers it, since a socket that delivers anything is not a zombie. Probes that overlap share one
 * outcome, so two wake events in a row never lead to two reconnects.
 */
export class LivenessProbes {
  #pending: { promise: Promise<ProbeResult>; settle: (r: ProbeResult) => void } | undefined;

  /** The outcome of the probe in flight, or of a new one whose heartbeat `send` sends. */
  probe(timeoutMs: number, send: () => void): { result: Promise<ProbeResult>; started: boolean } {
    if (this.#pending !== undefined) return { result: this.#pending.promise, started: false };
    let settle!: (r: ProbeResult) => void;
    const promise = new Promise<ProbeResult>((resolve) => (settle = resolve));
    const timer = setTimeout(() => this.settle('dead'), timeoutMs);
    this.#pending = {
      promise,
      settle: (r) => {
        clearTimeout(timer);
        settle(r);
      },
    };
    send();
    return { result: promise, started: true };
  }

  /** A frame arrived, or the socket went away (`not_connected`). */
  settle(result: ProbeResult = 'alive'): void {
    const p = this.#pending;
    this.#pending = undefined;
    p?.settle(result);
  }
}
