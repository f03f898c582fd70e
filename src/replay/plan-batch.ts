import { ErrorCodes } from '../errors/codes.js';
import type { KhalaSyncError } from '../errors/khala-sync-error.js';
import { ProtocolError } from '../errors/protocol-error.js';
import { samePayloadHash } from '../hash/hash-target.js';
import type { TopicCommit } from '../model/types.js';
import type { HashHistory } from './recent-hashes.js';
import type { TopicState } from './state.js';
import type { SyncBatch, SyncDocument, SyncUpdate } from '../model/types.js';

/** Reads the current version of a document (the client's cache). */
export type DocumentLookup = (topic: string, docKey: string) => SyncDocument | undefined;

/** What applying one batch would do. Pure data: nothing is written until the driver commits it. */
export interface BatchPlan {
  /** `apply` when at least one update is new; otherwise why nothing happens. */
  outcome: 'apply' | 'duplicate' | 'unsubscribed' | 'awaiting_snapshot' | 'failed_topic';
  /** Updates past the cursor, in order (the ones the app is told about). */
  applied: SyncUpdate[];
  /** Store write: documents to upsert and the new watermark. Undefined unless `apply`. */
  commit: TopicCommit | undefined;
  /** Documents whose body must be fetched (pointer mode or a failed hash check). */
  hydrate: SyncDocument[];
  /** Updates dropped as already applied. */
  duplicates: number;
  /** Applied updates whose watermark jumped by more than 1 (allowed, A3; counted for telemetry). */
  gaps: number;
  /** Applied updates whose document was kept out: the held doc_version is newer (A4; counted for metrics). */
  conflicts: number;
  /** Duplicates whose `payload_hash` differs from the first copy's (A13), each reported once. */
  payloadConflicts: Array<{ seq: number; first: string; hash: string }>;
  /** Non-fatal findings (hash mismatch, payload conflict, cursor ahead of head, schema refusal). */
  diagnostics: KhalaSyncError[];
  /** True when `diagnostics` reports `cursor_ahead_of_head` (the machine reports it once per connection, A10). */
  cursorAheadReported: boolean;
}

/** Options of {@link planBatch}. */
export interface PlanOptions {
  /**
   * Updates whose body fails its `payload_hash` (A6; `hashMismatches` computes them, as WebCrypto is
   * asynchronous): a written one is reported and handled as pointer mode. Default none: no check.
   */
  mismatched?: ReadonlySet<SyncUpdate> | undefined;
  /**
   * Updates the app's topic schema refused (`schemas` option), each with its `schema_mismatch`: the
   * cursor passes them, but they are neither written nor reported as applied; the error of each one
   * passed joins `diagnostics` (one a plan skips as a duplicate is not reported). Default none.
   */
  refused?: ReadonlyMap<SyncUpdate, KhalaSyncError> | undefined;
  /** Hashes of earlier applied copies, for A13. Default none: only held documents answer. */
  history?: HashHistory;
}

/**
 * Why every batch for a topic in `state` is dropped unread (A9, R7, a failed topic), or undefined
 * when its batches are planned. The driver asks before running app code (schemas) on a batch.
 */
export function droppedWhole(state: TopicState | undefined): 'unsubscribed' | 'failed_topic' | 'awaiting_snapshot' | undefined {
  // Replay from the snapshot head re-delivers anything that arrives meanwhile (SPEC.md R7).
  return !state ? 'unsubscribed' : state.phase === 'failed' ? 'failed_topic' : state.recovery?.step === 'snapshot' ? 'awaiting_snapshot' : undefined;
}

/** The error of a batch for a topic the client does not want (A9). */
export function unsubscribedTopic(topic: string): KhalaSyncError {
  return new ProtocolError(ErrorCodes.UNSUBSCRIBED_TOPIC, `batch for unsubscribed topic ${topic} ignored`, { topic });
}

/**
 * Decide what a batch does to a topic (KHALA_PROTOCOL §7.4): updates at or below the cursor are
 * duplicates; a partly overlapping batch applies only its new tail; a document is written only
 * when its `doc_version` is not lower than the cached one, yet the cursor still advances.
 */
export function planBatch(state: TopicState | undefined, batch: SyncBatch, lookup: DocumentLookup, options: PlanOptions = {}): BatchPlan {
  // A batch dropped whole is planned as one without updates.
  const dropped = droppedWhole(state);
  const diagnostics: KhalaSyncError[] = [];
  const last = state?.lastApplied;
  // A late copy of an older batch carries the head of its own time; once this connection has shown
  // a head at or past the cursor, a lower one is that, not a reset server (SPEC.md A10).
  const headKnownAhead = state?.headSeen !== undefined && last !== undefined && state.headSeen >= last;
  const cursorAheadReported = !dropped && batch.headWatermark !== undefined && last !== undefined && batch.headWatermark < last && !state!.aheadReported && !headKnownAhead;
  if (cursorAheadReported) {
    diagnostics.push(
      new ProtocolError(ErrorCodes.CURSOR_AHEAD_OF_HEAD, `server head ${batch.headWatermark} of ${batch.topic} is below the local cursor ${last}`, {
        topic: batch.topic,
        details: { head: batch.headWatermark, cursor: last },
      }),
    );
  }

  const applied: SyncUpdate[] = [];
  const written = new Map<string, SyncDocument>();
  // Made on the first pointer update (most batches have none).
  let hydrate: Map<string, SyncDocument> | undefined;
  let duplicates = 0;
  let gaps = 0;
  let conflicts = 0;
  const payloadConflicts: BatchPlan['payloadConflicts'] = [];
  // Hashes seen in this batch per seq: a later copy in the same batch compares against them. Built
  // at the batch's first hashed duplicate, so a batch without one (the common case) pays nothing per update.
  let inBatch: Map<number, string[]> | undefined;
  let cursor = last;
  const updates = dropped ? [] : batch.updates;
  for (let i = 0; i < updates.length; i++) {
    const u = updates[i]!;
    if (cursor !== undefined && u.watermark <= cursor) {
      duplicates++;
      // A13: the same (topic, seq) with another hash is a server conflict; the first copy stays.
      const hash = u.payloadHash;
      if (hash) inBatch ??= appliedHashes(updates, i, last);
      const seen = hash ? (inBatch!.get(u.watermark) ?? options.history?.hashes(u.topic, u.watermark) ?? latestHash(written.get(u.docKey) ?? lookup(u.topic, u.docKey), u)) : undefined;
      if (seen && !seen.some((h) => samePayloadHash(h, hash!))) {
        payloadConflicts.push({ seq: u.watermark, first: seen[0]!, hash: hash! });
        inBatch!.set(u.watermark, [...seen, hash!]);
        diagnostics.push(
          new ProtocolError(ErrorCodes.PAYLOAD_CONFLICT, `seq ${u.watermark} of ${u.topic} repeated with another payload_hash`, {
            topic: u.topic,
            details: { watermark: u.watermark, docKey: u.docKey, firstHash: seen[0], hash },
          }),
        );
      }
      continue;
    }
    if (cursor !== undefined && u.watermark > cursor + 1) gaps++;
    cursor = u.watermark;
    if (u.payloadHash && inBatch !== undefined) inBatch.set(u.watermark, [u.payloadHash]);
    const refusal = options.refused?.get(u);
    if (refusal) {
      diagnostics.push(refusal);
      continue;
    }
    applied.push(u);
    const existing = written.get(u.docKey) ?? lookup(u.topic, u.docKey);
    if (existing !== undefined && u.docVersion < existing.docVersion) {
      conflicts++; // last writer wins by version
      continue;
    }
    let pointer = u.hydrationRequired || u.payload === null;
    if (!pointer && options.mismatched?.has(u)) {
      diagnostics.push(
        new ProtocolError(ErrorCodes.PAYLOAD_HASH_MISMATCH, `payload_hash mismatch for ${u.docKey} at watermark ${u.watermark}; body not stored`, {
          topic: u.topic,
          details: { docKey: u.docKey, watermark: u.watermark },
        }),
      );
      pointer = true;
    }
    // A pointer never replaces a body with null (§2.7): it keeps the old body, marked pending.
    const doc: SyncDocument = { topic: u.topic, docKey: u.docKey, docVersion: u.docVersion, payload: pointer ? (existing?.payload ?? null) : u.payload, payloadHash: u.payloadHash, watermark: u.watermark, hydrationPending: pointer };
    written.set(u.docKey, doc);
    if (pointer) (hydrate ??= new Map()).set(u.docKey, doc);
    else hydrate?.delete(u.docKey);
  }
  // Nothing new: no update was applied, written or sent to hydration.
  const moved = cursor !== last;
  return {
    outcome: dropped ?? (moved ? 'apply' : 'duplicate'),
    applied,
    commit: moved ? { topic: batch.topic, watermark: cursor!, documents: [...written.values()] } : undefined,
    hydrate: hydrate === undefined ? [] : [...hydrate.values()],
    duplicates,
    gaps,
    conflicts,
    payloadConflicts,
    diagnostics,
    cursorAheadReported,
  };
}

/**
 * The hash of the copy of `u` the client holds, when its document's latest version is exactly that
 * update (same watermark and doc_version); else unknown (the version was overwritten since, A13).
 */
function latestHash(held: SyncDocument | undefined, u: SyncUpdate): string[] | undefined {
  return held?.payloadHash && held.watermark === u.watermark && held.docVersion === u.docVersion ? [held.payloadHash] : undefined;
}

/** The hashes of the updates before `end` that advanced the cursor from `last` (what `inBatch` would hold). */
function appliedHashes(updates: readonly SyncUpdate[], end: number, last: number | undefined): Map<number, string[]> {
  const hashes = new Map<number, string[]>();
  let cursor = last;
  for (let i = 0; i < end; i++) {
    const u = updates[i]!;
    if (cursor !== undefined && u.watermark <= cursor) continue;
    cursor = u.watermark;
    if (u.payloadHash) hashes.set(u.watermark, [u.payloadHash]);
  }
  return hashes;
}
