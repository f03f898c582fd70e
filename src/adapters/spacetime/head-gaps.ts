/**
 * Streams whose `stream_head` was seen ahead of the local watermark (SPACETIME_PROTOCOL §5 rule 7).
 * A head ahead is normal for a moment — the delta may still be on its way, since a one-off query can
 * read a commit before its update reaches this socket — so each gap gets `waitMs` to close. When the
 * time is up, `onExpired` decides (it re-reads the watermark): a delta that never came means the
 * subscription missed rows, which is recovered like a gap seen in rows.
 */
export class HeadGaps {
  private readonly open = new Map<string, { readonly head: number; readonly timer: ReturnType<typeof setTimeout> }>();

  constructor(
    private readonly waitMs: number,
    private readonly onExpired: (stream: string, head: number) => void,
  ) {}

  /**
   * Watch `stream` until its watermark reaches `head`. True when this started a new watch. A stream
   * already watched keeps its first head and deadline: a later, higher head may still be in flight,
   * and a stream that keeps moving must not postpone the verdict forever.
   */
  watch(stream: string, head: number): boolean {
    if (this.open.has(stream)) return false;
    const entry = {
      head,
      timer: setTimeout(() => {
        if (this.open.get(stream) !== entry) return;
        this.open.delete(stream);
        this.onExpired(stream, entry.head);
      }, this.waitMs),
    };
    this.open.set(stream, entry);
    return true;
  }

  /** The head being waited for, if `stream` is watched. */
  head(stream: string): number | undefined {
    return this.open.get(stream)?.head;
  }

  /** Stop watching `stream` (caught up, dropped, or found stale). */
  forget(stream: string): void {
    const entry = this.open.get(stream);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.open.delete(stream);
  }

  dispose(): void {
    for (const e of this.open.values()) clearTimeout(e.timer);
    this.open.clear();
  }
}
