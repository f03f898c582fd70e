import { readSnapshot, snapshotFailure } from '../bootstrap/read-snapshot.js';
import type { SyncDocument } from '../model/types.js';
import type { ReplayInput } from '../replay/events.js';
import type { DriverOptions } from './driver-ports.js';
import type { WriteQueue } from './write-queue.js';

/** What a snapshot run reports to the driver. */
export interface SnapshotReports {
  /** Feed the replay machine (`snapshot_read`, `snapshot_failed`, `snapshot_applied`). */
  input(input: ReplayInput): void;
  /** The commit stored `documents` as the topic's whole content at `head` (read copy refresh). */
  replaced(topic: string, head: number, documents: SyncDocument[]): void;
}

/** A snapshot run that a newer one of the same topic replaced: it stops without a word. */
class Superseded extends Error {}

/**
 * Stale-cursor bootstraps (§7.5.2, SPEC.md R4–R6, R12): each run stages the snapshot in the store
 * page by page as it arrives — one page in memory, never the snapshot — and the machine decides
 * whether it is swapped in (`store_snapshot`). Until then the stored documents and cursor stay the
 * old ones, even across a crash.
 */
export class SnapshotBootstrap {
  /** The run each topic is staging, until its commit is queued. */
  readonly #runs = new Map<string, symbol>();

  readonly #o: DriverOptions;
  readonly #queue: WriteQueue;
  readonly #to: SnapshotReports;

  /** `options.snapshot` is the source. */
  constructor(options: DriverOptions, queue: WriteQueue, reports: SnapshotReports) {
    this.#o = options;
    this.#queue = queue;
    this.#to = reports;
  }

  /** Read the topic's snapshot into the staging area, then report `snapshot_read` (or the failure). */
  async start(topic: string): Promise<void> {
    const { store, snapshot, check, token, verifyPayloadHash } = this.#o;
    const queue = this.#queue;
    if (queue.signal.aborted) return;
    const run = Symbol(topic);
    this.#runs.set(topic, run);
    // Every staging write goes through the write queue and only while this is the topic's newest
    // snapshot: a newer one (unsubscribe + subscribe mid-read) owns the staging area from then on.
    const staged = (op: () => Promise<void>): Promise<void> => queue.write(() => (this.#runs.get(topic) === run ? op() : Promise.reject(new Superseded())));
    let head: number;
    try {
      await staged(() => store.discardSnapshot(topic));
      head = await readSnapshot(snapshot!, topic, { signal: queue.signal, token, verifyHashes: verifyPayloadHash !== 'off' }, {
        page: async (docs) => {
          const kept = check === undefined ? docs : await check(topic, docs);
          return staged(() => store.stageSnapshot(topic, kept));
        },
        restart: () => staged(() => store.discardSnapshot(topic)),
      });
    } catch (err) {
      if (err instanceof Superseded) return;
      this.#drop(topic, run);
      if (!queue.signal.aborted) this.#to.input({ type: 'snapshot_failed', topic, error: snapshotFailure(err, topic) });
      return;
    }
    if (queue.signal.aborted || this.#runs.get(topic) !== run) return;
    // `store_snapshot` takes the run over (commit); a refusal, or a topic no longer waiting for this
    // snapshot, leaves it here and its pages are dropped.
    this.#to.input({ type: 'snapshot_read', topic, head });
    this.#drop(topic, run);
  }

  /**
   * The machine accepted the topic's snapshot (`store_snapshot`): swap the staged pages in as the
   * documents and cursor, in one transaction. Only the current run's `snapshot_read` leads here, so
   * the commit is queued ahead of any newer run's first write.
   */
  async commit(topic: string, head: number): Promise<void> {
    if (!this.#runs.delete(topic)) return;
    try {
      // Refreshing the read copy is inside the try: a custom store resolving with something other
      // than the documents must end in snapshot_failed, not in a rejection nobody handles.
      this.#to.replaced(topic, head, await this.#queue.write(() => this.#o.store.commitSnapshot(topic, head)));
    } catch (err) {
      // The swap is atomic: the old state stands, and the retry's start drops the staged pages.
      if (!this.#queue.signal.aborted) this.#to.input({ type: 'snapshot_failed', topic, error: snapshotFailure(err, topic) });
    }
  }

  /** Forget `run` and free its staged pages now rather than at the next start (best effort). */
  #drop(topic: string, run: symbol): void {
    if (this.#runs.get(topic) !== run) return;
    this.#runs.delete(topic);
    // Queued ahead of any newer run's own first discard, so it never touches that run's pages.
    this.#queue.write(() => this.#o.store.discardSnapshot(topic)).catch(() => undefined);
  }
}
