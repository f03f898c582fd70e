/** Handled frames kept at the front of the array before it is compacted. */
const COMPACT_AFTER = 256;

/**
 * The byte budget of an inbound queue: `onPressure(true)` once the queued bytes exceed `highWater`,
 * `onPressure(false)` once handling brings them back to `lowWater` or below. Each is called once per
 * crossing, alternately, starting with `true`.
 */
export interface InboundFlow {
  highWater: number;
  lowWater: number;
  onPressure(over: boolean): void;
}

/**
 * Inbound frames of one socket, handled strictly one after another. Handling a frame may start
 * asynchronous work (a batch's store commit); the next frame is looked at only once that work has
 * finished, so a batch is durable before anything after it is read. One queue per socket: when
 * `live()` turns false (the socket was replaced) the queue stops and drops what is left. With a
 * {@link InboundFlow} the queue reports when its backlog crosses the budget, so the socket can stop
 * being read instead of the backlog growing without bound.
 */
export class InboundQueue {
  // A handled frame's slot is cleared at once: until the array is compacted it would otherwise keep
  // the frame's text reachable, and a flood's handled frames (up to COMPACT_AFTER of them, tens of
  // MB) would survive every young-generation GC and be copied into the old one (bench profile, docs/benchmarks.md).
  private frames: Array<[string, number] | undefined> = [];
  #head = 0;
  #draining = false;
  #pending: Promise<void> | undefined;
  readonly #idle: Array<() => void> = [];
  /** Bytes of the frames queued and not yet handled. */
  bytes = 0;
  /** True between an `onPressure(true)` and the next `onPressure(false)`. */
  over = false;

  readonly #handle: (text: string, bytes: number) => void;
  readonly #live: () => boolean;
  readonly #flow: InboundFlow | undefined;

  constructor(
    handle: (text: string, bytes: number) => void,
    live: () => boolean,
    flow?: InboundFlow,
  ) {
    this.#handle = handle;
    this.#live = live;
    this.#flow = flow;
  }

  /** Frames queued and not yet handled. */
  get depth(): number {
    return this.frames.length - this.#head;
  }

  /** Queue one inbound text frame of `bytes` bytes. */
  push(text: string, bytes: number): void {
    this.frames.push([text, bytes]);
    this.bytes += bytes;
    // One frame alone never counts as a backlog: its size is already bounded by maxFrameBytes.
    if (this.#flow !== undefined && !this.over && this.bytes > this.#flow.highWater && this.depth > 1) {
      this.over = true;
      this.#flow.onPressure(true);
    }
    if (!this.#draining) void this.#drain();
  }

  /**
   * Start `work` after the work already started for the current frame (one inbound message may
   * carry several batches; each starts once the previous one committed).
   */
  chain(work: () => Promise<void>): void {
    const prev = this.#pending;
    this.#pending = prev === undefined ? work() : prev.then(() => (this.#live() ? work() : undefined));
  }

  /**
   * Run `fn` after the work started for the current frame. A lane whose reply carries rows
   * (Spacetime `SubscribeMultiApplied`) reports the batch and the reply in one frame; the reply
   * must see the committed cursor, or caught-up would name a stale watermark.
   */
  after(fn: () => void): void {
    if (!this.#live()) return;
    const prev = this.#pending;
    if (prev === undefined) return fn();
    this.#pending = prev.then(() => {
      if (this.#live()) fn();
    });
  }

  /** Resolves once nothing is queued or being handled (at once when idle). */
  drained(): Promise<void> {
    if (!this.#draining && this.depth === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#head < this.frames.length && this.#live()) {
        const frame = this.frames[this.#head]!;
        const text = frame[0];
        const bytes = frame[1];
        this.frames[this.#head++] = undefined;
        // A queue that never runs empty (a steady flood) must still let go of handled frames.
        if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.frames.length) {
          this.frames = this.frames.slice(this.#head);
          this.#head = 0;
        }
        this.bytes -= bytes;
        if (this.over && this.bytes <= this.#flow!.lowWater) {
          this.over = false;
          this.#flow!.onPressure(false);
        }
        this.#handle(text, bytes);
        if (this.#pending !== undefined) {
          const p = this.#pending;
          this.#pending = undefined;
          await p;
        }
      }
      if (this.#live()) {
        this.frames = [];
        this.#head = 0;
      }
    } finally {
      this.#draining = false;
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }
}
