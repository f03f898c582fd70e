import { payloadHashBase64 } from '../hash/index.js';
import type { JsonValue } from '../util/json.js';
import type { TopicCatalog } from './topic-catalog.js';
import type { DocumentState, JournalEntry, PublishInput } from './types.js';

interface StoredDocument extends DocumentState {
  payloadHash: string;
}

/** One topic's event journal plus its document state table. */
export class TopicJournal {
  // Watermarks come from a counter separate from the rows, as upstream allocated them outside the
  // insert transaction: burning values leaves gaps clients must tolerate (§2.6).
  private counter = 0;
  // Highest watermark of a row that prune() dropped. Once every row is gone this is the only evidence
  // of how far retention advanced; without it an emptied topic would call any cursor fresh.
  private prunedThrough = 0;
  private readonly entries: JournalEntry[] = [];
  private readonly docs = new Map<string, StoredDocument>();

  constructor(readonly topic: string) {}

  /** Highest watermark ever allocated (0 if none). */
  get allocatedHead(): number {
    return this.counter;
  }

  /**
   * The head replay and freshness work against: the highest retained watermark (§2.6), or how far
   * pruning went when nothing is retained. Burned values after the last row are not part of it,
   * otherwise `replay_complete` could never become true.
   */
  get replayHead(): number {
    const last = this.entries[this.entries.length - 1];
    return last ? last.watermark : this.prunedThrough;
  }

  /** Lowest retained watermark. */
  get oldest(): number | undefined {
    return this.entries[0]?.watermark;
  }

  /** `max(oldest - 1, 0)` (§5.5); for an emptied topic, the prune point (0 if never pruned). */
  get retentionFloor(): number {
    const oldest = this.oldest;
    return oldest === undefined ? this.prunedThrough : Math.max(oldest - 1, 0);
  }

  /** Retained entries, ascending (a copy). */
  list(): JournalEntry[] {
    return this.entries.slice();
  }

  /** Up to `limit` entries with `watermark > cursor`, ascending. */
  after(cursor: number, limit: number): JournalEntry[] {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.watermark > cursor) hi = mid;
      else lo = mid + 1;
    }
    return this.entries.slice(lo, lo + limit);
  }

  /** Validate every input first so that a bad one appends nothing. */
  append(inputs: PublishInput[]): JournalEntry[] {
    if (!Array.isArray(inputs) || inputs.length === 0) throw new TypeError('publish needs at least one update');
    const versions = new Map<string, number>();
    const prepared = inputs.map((input, i) => {
      if (typeof input?.docKey !== 'string' || input.docKey === '') throw new TypeError(`update ${i}: docKey must be a non-empty string`);
      if (input.payload === undefined) throw new TypeError(`update ${i}: payload is required`);
      const previous = versions.get(input.docKey) ?? this.docs.get(input.docKey)?.docVersion ?? 0;
      const docVersion = input.docVersion ?? previous + 1;
      if (!Number.isSafeInteger(docVersion) || docVersion < 0) throw new TypeError(`update ${i}: docVersion must be a non-negative integer`);
      versions.set(input.docKey, docVersion);
      const payload = structuredClone(input.payload) as JsonValue;
      // Throws on non-finite numbers, which canonical JSON cannot represent (§6).
      const payloadHash = payloadHashBase64(payload);
      return { docKey: input.docKey, docVersion, payload, payloadHash, pointer: input.pointer === true };
    });
    return prepared.map((p) => {
      const entry: JournalEntry = { topic: this.topic, watermark: ++this.counter, ...p };
      this.entries.push(entry);
      const current = this.docs.get(p.docKey);
      // Same rule as a converged client (§7.4): a lower doc_version never replaces the cached body.
      if (!current || p.docVersion >= current.docVersion) {
        this.docs.set(p.docKey, { docVersion: p.docVersion, payload: p.payload, watermark: entry.watermark, payloadHash: p.payloadHash });
      }
      return entry;
    });
  }

  burn(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new TypeError('burnWatermarks needs a non-negative integer');
    this.counter += n;
  }

  prune(keepAfter: number): void {
    if (!Number.isFinite(keepAfter)) throw new TypeError('prune needs a finite watermark');
    let drop = 0;
    while (drop < this.entries.length && this.entries[drop]!.watermark <= keepAfter) drop++;
    if (drop === 0) return;
    this.prunedThrough = Math.max(this.prunedThrough, this.entries[drop - 1]!.watermark);
    this.entries.splice(0, drop);
  }

  document(docKey: string): StoredDocument | undefined {
    return this.docs.get(docKey);
  }

  /** Documents sorted by `doc_key` (UTF-16 order; any stable order serves pagination). */
  sortedDocuments(): Array<[string, StoredDocument]> {
    return [...this.docs.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  documents(): Map<string, DocumentState> {
    const out = new Map<string, DocumentState>();
    for (const [key, d] of this.docs) out.set(key, { docVersion: d.docVersion, payload: d.payload, watermark: d.watermark });
    return out;
  }
}

/** Journals of every catalog topic. */
export class Journal {
  private readonly topics = new Map<string, TopicJournal>();

  constructor(private readonly catalog: TopicCatalog) {}

  /** The topic's journal; throws for a topic outside the catalog. */
  topic(topic: string): TopicJournal {
    let journal = this.topics.get(topic);
    if (!journal) {
      if (!this.catalog.has(topic)) throw new RangeError(`unknown topic ${JSON.stringify(topic)}`);
      journal = new TopicJournal(topic);
      this.topics.set(topic, journal);
    }
    return journal;
  }
}
