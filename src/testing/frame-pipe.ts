import type { Direction, DirectionRules, FaultEvent, FrameInfo } from './fault-rules.js';
import { frameInfo, matches } from './fault-rules.js';
import { pointRandom } from './seeded-random.js';

/** Counters of one direction, summed over connections. */
export interface DirectionStats {
  /** Frames received from the sender. */
  frames: number;
  /** Bytes received from the sender. */
  bytes: number;
  /** Frames handed to the receiver (duplicates included). */
  delivered: number;
  /** Frames dropped by `dropRate`. */
  dropped: number;
  /** Frames sent twice by `duplicateRate`. */
  duplicated: number;
  /** Frames held back by a delay rule. */
  delayed: number;
  /** Frames delivered ahead of one received before them. */
  reordered: number;
  /** Frames swallowed while `stall` was on. */
  stalled: number;
}

export function emptyDirectionStats(): DirectionStats {
  return { frames: 0, bytes: 0, delivered: 0, dropped: 0, duplicated: 0, delayed: 0, reordered: 0, stalled: 0 };
}

/** What a pipe needs from its connection. */
export interface PipeHooks {
  readonly seed: number;
  readonly connection: number;
  readonly direction: Direction;
  /** The rules in force now (they can change while frames are queued). */
  rules(): DirectionRules | undefined;
  /** Deliver one message to the receiving side. */
  deliver(data: Buffer, binary: boolean): void;
  /** Propagate a close (after every frame queued before it). */
  finish(code: number, reason: Buffer): void;
  /** `cutAtFrame` reached: returns false when the rule's `cutTimes` budget is spent. */
  tryCut(index: number): boolean;
  log(event: Omit<FaultEvent, 'n' | 'atMs'>): void;
  stats: DirectionStats;
}

type Entry =
  | { kind: 'frame'; data: Buffer; binary: boolean; bytes: number; readyAt: number }
  | { kind: 'close'; code: number; reason: Buffer; readyAt: number };

interface Held {
  info: FrameInfo;
  entry: Entry;
  ordinal: number;
  priority: number;
}

const DIRECTION_CODE: Record<Direction, number> = { to_client: 1, to_server: 2 };

/**
 * One direction of one proxied connection: applies the rules to each frame in arrival order and
 * releases frames through a FIFO, so delay and bandwidth never reorder by themselves; only
 * `reorderWindow` permutes, explicitly and from the seed.
 */
export class FramePipe {
  private index = 0;
  private readonly queue: Entry[] = [];
  private held: Held[] = [];
  private heldOrdinal = 0;
  private readonly keyPriority = new Map<string, number>();
  private heldTimer: ReturnType<typeof setTimeout> | undefined;
  private pumpTimer: ReturnType<typeof setTimeout> | undefined;
  private linkFreeAt = 0;
  private dead = false;

  constructor(private readonly hooks: PipeHooks) {}

  /** A message from the sender. Returns `'cut'` when the rules cut the connection at this frame. */
  push(data: Buffer, binary: boolean): 'ok' | 'cut' {
    if (this.dead) return 'ok';
    const h = this.hooks;
    const index = this.index++;
    h.stats.frames += 1;
    h.stats.bytes += data.length;
    const rules = h.rules() ?? {};
    const info = frameInfo(h.direction, h.connection, index, data.toString('utf8'), data.length, binary);
    if (rules.cutAtFrame === index && h.tryCut(index)) {
      h.log({ kind: 'cut', direction: h.direction, connection: h.connection, frame: index, event: info.event, batch: info.batch });
      return 'cut';
    }
    const now = Date.now();
    const frame = (readyAt: number): Entry => ({ kind: 'frame', data, binary, bytes: data.length, readyAt });
    if (!matches(rules, info)) {
      this.enqueue(frame(now));
      return 'ok';
    }
    const draw = (kind: string): number => pointRandom(h.seed, h.connection, DIRECTION_CODE[h.direction], index, kind);
    const base = { direction: h.direction, connection: h.connection, frame: index, event: info.event, batch: info.batch };
    if (rules.stall) {
      h.stats.stalled += 1;
      h.log({ kind: 'stall', ...base });
      return 'ok';
    }
    if (rules.dropRate && draw('drop') < rules.dropRate) {
      h.stats.dropped += 1;
      h.log({ kind: 'drop', ...base });
      return 'ok';
    }
    let readyAt = now;
    if (rules.delayMs) {
      const [min, max] = rules.delayMs;
      const ms = Math.round(min + draw('delay') * (max - min));
      if (ms > 0) {
        readyAt = now + ms;
        h.stats.delayed += 1;
        h.log({ kind: 'delay', ...base, detail: `${ms}ms` });
      }
    }
    const copies = rules.duplicateRate && draw('duplicate') < rules.duplicateRate ? 2 : 1;
    if (copies === 2) {
      h.stats.duplicated += 1;
      h.log({ kind: 'duplicate', ...base });
    }
    for (let c = 0; c < copies; c++) {
      const entry = frame(readyAt);
      if ((rules.reorderWindow ?? 0) > 1) this.hold(info, entry, rules, c);
      else this.enqueue(entry);
    }
    return 'ok';
  }

  /** The sender closed: forwarded after every frame queued before it. */
  pushClose(code: number, reason: Buffer): void {
    if (this.dead) return;
    this.flushHeld();
    this.enqueue({ kind: 'close', code, reason, readyAt: Date.now() });
  }

  /** Release everything held for reordering now (rules changed, traffic paused, close). */
  flushHeld(): void {
    clearTimeout(this.heldTimer);
    this.heldTimer = undefined;
    while (this.held.length > 0) this.releaseFirst();
  }

  /** Stop: drop everything queued and every timer (connection cut or gone). */
  kill(): void {
    this.dead = true;
    clearTimeout(this.heldTimer);
    clearTimeout(this.pumpTimer);
    this.queue.length = 0;
    this.held = [];
  }

  /**
   * Reordering as a sliding window: each held frame gets a priority `ordinal + jitter` with a seeded
   * jitter in [0, window), raised to the last priority of its key so frames sharing a key keep
   * their order. Once the window is full, the lowest priority leaves. The schedule (priorities) is
   * a pure function of the seed and the frame sequence; only a traffic pause longer than
   * `reorderFlushMs` releases a partial window early.
   */
  private hold(info: FrameInfo, entry: Entry, rules: DirectionRules, copy: number): void {
    const h = this.hooks;
    const window = rules.reorderWindow ?? 0;
    const ordinal = this.heldOrdinal++;
    const key = rules.reorderKey ? rules.reorderKey(info) : `#${info.index}:${copy}`;
    const reverse = rules.reorderMode === 'reverse';
    const jitter = Math.floor(pointRandom(h.seed, h.connection, DIRECTION_CODE[h.direction], info.index, 'reorder', copy) * window);
    const priority = reverse ? -ordinal : Math.max(ordinal + jitter, this.keyPriority.get(key) ?? 0);
    if (!reverse) this.keyPriority.set(key, priority);
    if (priority !== ordinal) {
      h.log({ kind: 'reorder', direction: h.direction, connection: h.connection, frame: info.index, event: info.event, batch: info.batch, detail: `priority ${priority} (arrival ${ordinal})` });
    }
    this.held.push({ info, entry, ordinal, priority });
    if (reverse && this.held.length >= window) this.flushHeld();
    while (this.held.length >= window) this.releaseFirst();
    clearTimeout(this.heldTimer);
    this.heldTimer = this.held.length > 0 ? setTimeout(() => this.flushHeld(), rules.reorderFlushMs ?? 25) : undefined;
  }

  private releaseFirst(): void {
    let best = 0;
    for (let i = 1; i < this.held.length; i++) {
      const a = this.held[i]!;
      const b = this.held[best]!;
      if (a.priority < b.priority || (a.priority === b.priority && a.ordinal < b.ordinal)) best = i;
    }
    const [x] = this.held.splice(best, 1);
    // Counted when the frame overtakes one that arrived before it.
    if (this.held.some((h) => h.ordinal < x!.ordinal)) this.hooks.stats.reordered += 1;
    this.enqueue(x!.entry);
  }

  private enqueue(entry: Entry): void {
    this.queue.push(entry);
    if (this.queue.length === 1) this.pump();
  }

  private pump(): void {
    clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    while (this.queue.length > 0 && !this.dead) {
      const head = this.queue[0]!;
      const now = Date.now();
      const at = Math.max(head.readyAt, head.kind === 'frame' ? this.linkFreeAt : 0);
      if (at > now) {
        this.pumpTimer = setTimeout(() => this.pump(), at - now);
        return;
      }
      this.queue.shift();
      if (head.kind === 'close') {
        this.hooks.finish(head.code, head.reason);
        continue;
      }
      const bps = this.hooks.rules()?.bytesPerSecond;
      if (bps) this.linkFreeAt = Math.max(this.linkFreeAt, now) + (head.bytes * 1000) / bps;
      this.hooks.stats.delivered += 1;
      this.hooks.deliver(head.data, head.binary);
    }
  }
}
