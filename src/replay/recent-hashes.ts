import type { SyncDocument, SyncUpdate } from '../model/types.js';

/** Applied seqs whose hashes are kept per topic for the A13 comparison. */
export const RECENT_HASHES_PER_TOPIC = 1024;

/** Hashes kept for one seq: its first copy's and up to 7 conflicting ones already reported. */
export const HASHES_PER_SEQ = 8;

/** Longest hash kept, in characters (the two wire forms have 44 and 71); a longer one is not remembered. */
export const MAX_KEPT_HASH_CHARS = 128;

/** What {@link planBatch} may ask about earlier copies of an update (SPEC.md A13). */
export interface HashHistory {
  /**
   * The hashes seen for `(topic, seq)` while it is still remembered: the first applied copy's
   * first, then the conflicting ones already reported.
   */
  hashes(topic: string, seq: number): readonly string[] | undefined;
}

/**
 * A small bounded memory of the hashes of recently applied updates, per topic (SPEC.md A13). The
 * store keeps only the hash of a document's latest version; this window lets a duplicate of an
 * older, since-overwritten seq still be compared. Oldest seqs leave first; it is not persisted
 * (after a restart only the stored documents answer).
 */
export class RecentHashes implements HashHistory {
  /** Per topic that has carried a hash (only its duplicates are worth decoding); made on first use. */
  #topics: Map<string, HashWindow> | undefined;

  readonly #perTopic: number;

  constructor(perTopic = RECENT_HASHES_PER_TOPIC) {
    this.#perTopic = perTopic;
  }

  hashes(topic: string, seq: number): readonly string[] | undefined {
    const seen = this.#topics?.get(topic)?.seqs.get(seq);
    return typeof seen === 'string' ? [seen] : seen;
  }

  /** True when a duplicate of `topic` can be compared at all (some hash was seen for it). */
  carriesHashes(topic: string): boolean {
    return this.#topics?.has(topic) === true;
  }

  /** Remember the hashes of freshly applied updates (the first copies): one window lookup per batch. */
  record(topic: string, updates: readonly SyncUpdate[]): void {
    let w: HashWindow | undefined;
    for (let i = 0; i < updates.length; i++) {
      const u = updates[i]!;
      if (u.payloadHash) this.#add((w ??= this.#window(topic)), u.watermark, u.payloadHash);
    }
  }

  /** Remember reported conflicts, so another copy of the same one is not reported again. */
  noteReported(topic: string, conflicts: ReadonlyArray<{ seq: number; first: string; hash: string }>): void {
    for (const c of conflicts) {
      const w = this.#window(topic);
      this.#add(w, c.seq, c.first);
      this.#add(w, c.seq, c.hash);
    }
  }

  /** Documents loaded or bootstrapped for `topic`: their hashes make its duplicates comparable. */
  documents(topic: string, docs: readonly SyncDocument[]): void {
    if (docs.some((d) => d.payloadHash)) this.#window(topic);
  }

  /** Forget a topic (unsubscribed). */
  drop(topic: string): void {
    this.#topics?.delete(topic);
  }

  #window(topic: string): HashWindow {
    const topics = (this.#topics ??= new Map());
    let w = topics.get(topic);
    if (w === undefined) topics.set(topic, (w = { seqs: new Map(), order: new Array<number>(this.#perTopic), next: 0 }));
    return w;
  }

  // Per update on the apply path: a single hash is kept as the string itself (no array per update)
  // and the oldest seq is found in a ring rather than through a fresh Map iterator (bench profile,
  // docs/benchmarks.md). A second hash for a seq (a reported conflict) makes it a list.
  // The server chooses both the hash and how often it repeats a seq: an overlong hash is not kept
  // (the window would hold 1024 of them, each up to a frame), and a seq keeps HASHES_PER_SEQ at most.
  #add(w: HashWindow, seq: number, hash: string): void {
    if (hash.length > MAX_KEPT_HASH_CHARS) return;
    const seen = w.seqs.get(seq);
    if (seen === undefined) {
      w.seqs.set(seq, hash);
      // The ring holds the remembered seqs in insertion order; the slot taken is the oldest one.
      const slot = w.next;
      if (w.seqs.size > this.#perTopic) w.seqs.delete(w.order[slot]!);
      w.order[slot] = seq;
      w.next = slot + 1 === this.#perTopic ? 0 : slot + 1;
    } else if (typeof seen === 'string') {
      if (seen !== hash) w.seqs.set(seq, [seen, hash]);
    } else if (seen.length < HASHES_PER_SEQ && !seen.includes(hash)) seen.push(hash);
  }
}

/** The remembered seqs of one topic: seq → its first hash, or its hashes once a conflict was seen. */
interface HashWindow {
  readonly seqs: Map<number, string | string[]>;
  readonly order: number[];
  next: number;
}
