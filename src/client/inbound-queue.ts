/**
 * Inbound frames of one socket, handled strictly one after another. Handling a frame may start
 * asynchronous work (a batch's store commit); the next frame is looked at only once that work has
 * finished, so a batch is durable before anything after it is read. One queue per socket: when
 * `live()` turns false (the socket was replaced) the queue stops and drops what is left.
 */
export class InboundQueue {
  private frames: Array<[string, number]> = [];
  private head = 0;
  private draining = false;
  private pending: Promise<void> | undefined;
  /** Bytes of the frames queued and not yet handled. */
  bytes = 0;

  constructor(
    private readonly handle: (text: string, bytes: number) => void,
    private readonly live: () => boolean,
  ) {}

  /** Frames queued and not yet handled. */
  get depth(): number {
    return this.frames.length - this.head;
  }

  /** Queue one inbound text frame of `bytes` bytes. */
  push(text: string, bytes: number): void {
    this.frames.push([text, bytes]);
    this.bytes += bytes;
    if (!this.draining) void this.drain();
  }

  /**
   * Start `work` after the work already started for the current frame (one inbound message may
   * carry several batches; each starts once the previous one committed).
   */
  chain(work: () => Promise<void>): void {
    const prev = this.pending;
    this.pending = prev === undefined ? work() : prev.then(() => (this.live() ? work() : undefined));
  }

  /**
   * Run `fn` after the work started for the current frame. A lane whose reply carries rows
   * (Spacetime `SubscribeMultiApplied`) reports the batch and the reply in one frame; the reply
   * must see the committed cursor, or caught-up would name a stale watermark.
   */
  after(fn: () => void): void {
    if (!this.live()) return;
    const prev = this.pending;
    if (prev === undefined) return fn();
    this.pending = prev.then(() => {
      if (this.live()) fn();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.head < this.frames.length && this.live()) {
        const [text, bytes] = this.frames[this.head++]!;
        this.bytes -= bytes;
        this.handle(text, bytes);
        if (this.pending !== undefined) {
          const p = this.pending;
          this.pending = undefined;
          await p;
        }
      }
      if (this.live()) {
        this.frames = [];
        this.head = 0;
      }
    } finally {
      this.draining = false;
    }
  }
}
