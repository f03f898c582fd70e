import { isDeepStrictEqual } from 'node:util';
import type { SyncDocument } from '../model/types.js';
import type { JournalEntry } from '../server/types.js';
import type { JsonValue } from '../util/json.js';
import type { AppliedHistory } from './probe.js';

/** What a converged client must hold for one topic. */
export interface TopicTruth {
  topic: string;
  /** Watermark a converged client ends at. */
  head: number;
  /** Every event watermark, ascending (the complete history, pruned events included). */
  seqs: number[];
  /** Latest document per key (last-writer-wins by doc_version). */
  docs: Map<string, { docVersion: number; payload: JsonValue }>;
}

/** The journal as the harness saw it being written: every published entry, never pruned. */
export class Ledger {
  private readonly entries = new Map<string, JournalEntry[]>();

  record(entries: JournalEntry[]): void {
    for (const e of entries) {
      const list = this.entries.get(e.topic) ?? [];
      list.push(e);
      this.entries.set(e.topic, list);
    }
  }

  /** Replace a topic's entries (the deployment oracle's view of the journal). */
  replace(topic: string, entries: JournalEntry[]): void {
    this.entries.set(topic, [...entries].sort((a, b) => a.watermark - b.watermark));
  }

  all(topic: string): JournalEntry[] {
    return this.entries.get(topic) ?? [];
  }

  /** The documents a client holds once it has applied everything up to `upTo` (default all). */
  truth(topic: string, upTo = Infinity): TopicTruth {
    const docs = new Map<string, { docVersion: number; payload: JsonValue }>();
    const seqs: number[] = [];
    for (const e of this.all(topic)) {
      if (e.watermark > upTo) break;
      seqs.push(e.watermark);
      const cur = docs.get(e.docKey);
      if (!cur || e.docVersion >= cur.docVersion) docs.set(e.docKey, { docVersion: e.docVersion, payload: e.payload });
    }
    return { topic, head: seqs[seqs.length - 1] ?? 0, seqs, docs };
  }
}

/** A client-side view to check: its watermark and documents per topic. */
export interface Observed {
  watermark(topic: string): number | undefined;
  documents(topic: string): readonly Pick<SyncDocument, 'docKey' | 'docVersion' | 'payload' | 'hydrationPending'>[];
}

/** How strict the comparison is. */
export interface CheckOptions {
  /** `true` (embedded): equal watermark and documents. `false` (deployment): at least the truth (live traffic may add more). */
  exact: boolean;
  /** Cursor the history started from, per topic (applies at or below it are not expected). */
  startCursor?: Record<string, number | undefined>;
  /** Skip the "none skipped" check for these topics (e.g. a deliberately lossy scenario reports it itself). */
  noSkipCheck?: string[];
}

/** Result of {@link checkInvariant}: empty `violations` means it held. */
export interface InvariantReport {
  violations: string[];
  /** Per topic: watermark, documents, applied count, missing seqs (first few). */
  topics: Record<string, { watermark: number | undefined; head: number; documents: number; applied: number; missing: number[]; duplicates: number }>;
}

/**
 * The harness invariant: the client's final documents and watermarks equal the journal, no seq was
 * applied twice (or out of order), and none was skipped — every event above the start cursor and
 * above the last snapshot head was applied.
 */
export function checkInvariant(truths: TopicTruth[], observed: Observed, history: AppliedHistory, options: CheckOptions): InvariantReport {
  const violations: string[] = [];
  const topics: InvariantReport['topics'] = {};
  if (history.duplicates > 0) violations.push(`${history.duplicates} update(s) applied twice: ${history.violations.slice(0, 3).join('; ')}`);
  if (history.outOfOrder > 0) violations.push(`${history.outOfOrder} update(s) applied out of order: ${history.violations.slice(0, 3).join('; ')}`);
  for (const truth of truths) {
    const t = truth.topic;
    const wm = observed.watermark(t);
    const docs = observed.documents(t);
    const applied = new Set(history.applied.get(t) ?? []);
    const floor = Math.max(options.startCursor?.[t] ?? 0, history.bootstrapHeads.get(t) ?? 0);
    const missing = options.noSkipCheck?.includes(t) ? [] : truth.seqs.filter((s) => s > floor && !applied.has(s));
    const known = new Set(truth.seqs);
    const phantom = options.exact ? [...applied].filter((s) => !known.has(s)) : [];
    topics[t] = { watermark: wm, head: truth.head, documents: docs.length, applied: applied.size, missing: missing.slice(0, 10), duplicates: 0 };
    if (options.exact ? wm !== truth.head : (wm ?? 0) < truth.head) violations.push(`${t}: watermark ${String(wm)} but the journal head is ${truth.head}`);
    if (missing.length > 0) violations.push(`${t}: ${missing.length} seq(s) skipped (first ${missing.slice(0, 5).join(', ')})`);
    if (phantom.length > 0) violations.push(`${t}: applied seq(s) not in the journal: ${phantom.slice(0, 5).join(', ')}`);
    const byKey = new Map(docs.map((d) => [d.docKey, d]));
    if (options.exact && byKey.size !== truth.docs.size) violations.push(`${t}: ${byKey.size} documents, the journal has ${truth.docs.size}`);
    let wrong = 0;
    let example = '';
    for (const [key, want] of truth.docs) {
      const have = byKey.get(key);
      const ok =
        have !== undefined &&
        !have.hydrationPending &&
        (options.exact ? have.docVersion === want.docVersion && isDeepStrictEqual(have.payload, want.payload) : have.docVersion > want.docVersion || (have.docVersion === want.docVersion && isDeepStrictEqual(have.payload, want.payload)));
      if (!ok) {
        wrong += 1;
        if (!example) example = `${key}: have v${have?.docVersion ?? 'none'}, journal v${want.docVersion}`;
      }
    }
    if (wrong > 0) violations.push(`${t}: ${wrong} document(s) differ from the journal (${example})`);
  }
  return { violations, topics };
}

/** Documents of two clients are identical (multi-client convergence). */
export function sameDocuments(a: Observed, b: Observed, topics: string[]): string[] {
  const out: string[] = [];
  for (const t of topics) {
    if (a.watermark(t) !== b.watermark(t)) out.push(`${t}: watermarks ${String(a.watermark(t))} vs ${String(b.watermark(t))}`);
    const da = new Map(a.documents(t).map((d) => [d.docKey, d]));
    const db = b.documents(t);
    if (da.size !== db.length) out.push(`${t}: ${da.size} vs ${db.length} documents`);
    for (const d of db) {
      const o = da.get(d.docKey);
      if (!o || o.docVersion !== d.docVersion || !isDeepStrictEqual(o.payload, d.payload)) {
        out.push(`${t}: ${d.docKey} differs`);
        break;
      }
    }
  }
  return out;
}

/** Observed view of a store's contents (as `load()` returns them). */
export function storeObserved(contents: { watermarks: Record<string, number>; documents: SyncDocument[] }): Observed {
  return {
    watermark: (t) => contents.watermarks[t],
    documents: (t) => contents.documents.filter((d) => d.topic === t),
  };
}
