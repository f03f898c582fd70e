import type { SyncDocument, SyncUpdate } from '../model/types.js';

/** Applied seqs whose hashes are kept per topic for the A13 comparison. */
export const RECENT_HASHES_PER_TOPIC = 1024;

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
  /** Per topic that has carried a hash (only its duplicates are worth decoding): seq → hashes. */
  private readonly topics = new Map<string, Map<number, string[]>>();

  constructor(private readonly perTopic = RECENT_HASHES_PER_TOPIC) {}

  hashes(topic: string, seq: number): readonly string[] | undefined {
    return this.topics.get(topic)?.get(seq);
  }

  /** True when a duplicate of `topic` can be compared at all (some hash was seen for it). */
  carriesHashes(topic: string): boolean {
    return this.topics.has(topic);
  }

  /** Remember the hashes of freshly applied updates (the first copies). */
  record(topic: string, updates: readonly SyncUpdate[]): void {
    for (const u of updates) if (u.payloadHash) this.add(topic, u.watermark, [u.payloadHash]);
  }

  /** Remember reported conflicts, so another copy of the same one is not reported again. */
  noteReported(topic: string, conflicts: ReadonlyArray<{ seq: number; first: string; hash: string }>): void {
    for (const c of conflicts) this.add(topic, c.seq, [c.first, c.hash]);
  }

  /** Documents loaded or bootstrapped for `topic`: their hashes make its duplicates comparable. */
  documents(topic: string, docs: readonly SyncDocument[]): void {
    if (docs.some((d) => d.payloadHash)) this.window(topic);
  }

  /** Forget a topic (unsubscribed). */
  drop(topic: string): void {
    this.topics.delete(topic);
  }

  private window(topic: string): Map<number, string[]> {
    let t = this.topics.get(topic);
    if (t === undefined) this.topics.set(topic, (t = new Map()));
    return t;
  }

  private add(topic: string, seq: number, hashes: string[]): void {
    const t = this.window(topic);
    const seen = t.get(seq);
    if (seen === undefined) t.set(seq, hashes);
    else seen.push(hashes[hashes.length - 1]!);
    if (t.size > this.perTopic) t.delete(t.keys().next().value!);
  }
}
