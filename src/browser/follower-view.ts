import { emptyRecord } from '../util/records.js';
import type { SyncDocument } from '../model/types.js';
import type { AppliedBatch } from '../replay/events.js';
import type { SyncStore } from '../watermarks/store.js';

/**
 * A follower tab's read-only copy of the leader's documents: loaded from the shared store
 * (IndexedDB), then kept current by the batches the leader relays after committing them. A batch
 * at or below what was loaded is already in the store and is skipped, so a batch relayed while the
 * load ran is neither lost nor applied twice.
 */
export class FollowerView {
  private readonly docs = new Map<string, Map<string, SyncDocument>>();
  private readonly lists = new Map<string, readonly SyncDocument[]>();
  private readonly watermarks: Record<string, number> = emptyRecord();
  private pending: AppliedBatch[] | undefined = [];

  constructor(
    private readonly topics: readonly string[],
    /** Called with the part of each batch that was new to this tab. */
    private readonly onApplied: (batch: AppliedBatch) => void,
  ) {}

  /** Read the store, then apply what was relayed meanwhile. The store is the caller's to close. */
  async load(store: SyncStore): Promise<void> {
    const contents = await store.load([...this.topics]);
    Object.assign(this.watermarks, contents.watermarks);
    for (const doc of contents.documents) this.put(doc);
    const queued = this.pending ?? [];
    this.pending = undefined;
    for (const batch of queued) this.apply(batch);
  }

  /** A batch the leader committed. */
  apply(batch: AppliedBatch): void {
    if (this.pending !== undefined) {
      this.pending.push(batch);
      return;
    }
    const after = this.watermarks[batch.topic];
    const fresh = batch.updates.filter((u) => after === undefined || u.watermark > after);
    if (fresh.length === 0) return;
    for (const u of fresh) {
      this.put({ topic: u.topic, docKey: u.docKey, docVersion: u.docVersion, payload: u.payload, payloadHash: u.payloadHash, watermark: u.watermark, hydrationPending: u.hydrationRequired });
    }
    this.watermarks[batch.topic] = fresh[fresh.length - 1]!.watermark;
    this.onApplied({ ...batch, updates: fresh });
  }

  /** Highest watermark this tab has seen for `topic`. */
  watermark(topic: string): number | undefined {
    return this.watermarks[topic];
  }

  /** Documents of `topic`; the same array until the topic changes. */
  list(topic: string): readonly SyncDocument[] {
    let list = this.lists.get(topic);
    if (list === undefined) {
      list = [...(this.docs.get(topic)?.values() ?? [])];
      this.lists.set(topic, list);
    }
    return list;
  }

  /** One document, or undefined. */
  get(topic: string, docKey: string): SyncDocument | undefined {
    return this.docs.get(topic)?.get(docKey);
  }

  private put(doc: SyncDocument): void {
    let byKey = this.docs.get(doc.topic);
    if (byKey === undefined) this.docs.set(doc.topic, (byKey = new Map()));
    const held = byKey.get(doc.docKey);
    if (held !== undefined && held.docVersion > doc.docVersion) return;
    byKey.set(doc.docKey, doc);
    this.lists.delete(doc.topic);
  }
}
