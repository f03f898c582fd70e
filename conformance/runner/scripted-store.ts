import { StoreError } from '../../src/errors/store-error.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import type { SyncDocument } from '../../src/model/types.js';
import { createMemoryStore } from '../../src/watermarks/memory-store.js';
import type { StoreContents, SyncStore } from '../../src/watermarks/store.js';
import type { VectorDocument } from './vector.js';

export type FailingOperation = 'commit' | 'replace_topic';

/**
 * A memory store whose next write of a given kind can be made to fail (`store_failure` step), and
 * whose contents stay readable by the runner after the client closed it. Each client gets its own
 * handle (`app restart` opens the same database again); a closed handle refuses every call.
 */
export class ScriptedStore {
  private readonly inner: SyncStore = createMemoryStore();
  private readonly failNext = new Map<FailingOperation, Array<'closed' | 'quota' | undefined>>();
  /** Topics seeded with documents but no watermark: the store holds one until a write sets it. */
  private readonly unmarked = new Set<string>();

  /** Arm one failure of `op`: transient (retryable), or one that cannot go on (`reason`, SPEC C5). */
  fail(op: FailingOperation, reason?: 'closed' | 'quota'): void {
    this.failNext.set(op, [...(this.failNext.get(op) ?? []), reason]);
  }

  async seed(watermarks: Record<string, number>, documents: VectorDocument[]): Promise<void> {
    const topics = new Set([...Object.keys(watermarks), ...documents.map((d) => d.topic)]);
    for (const topic of topics) {
      const docs = documents.filter((d) => d.topic === topic).map(toSyncDocument);
      const mark = watermarks[topic];
      await this.inner.replaceTopic(topic, docs, mark ?? 0);
      if (mark === undefined) this.unmarked.add(topic);
    }
  }

  /** What the store holds (readable after every client closed its handle). */
  async load(topics?: string[]): Promise<StoreContents> {
    const got = await this.inner.load(topics);
    for (const t of this.unmarked) delete got.watermarks[t];
    return got;
  }

  /** A new handle for one client. */
  handle(): SyncStore {
    const h = { closed: false };
    return {
      kind: 'memory',
      load: (topics) => this.guard(h, undefined, undefined, () => this.load(topics)),
      commit: (c) => this.guard(h, 'commit', c.topic, () => this.inner.commit(c).then(() => void this.unmarked.delete(c.topic))),
      replaceTopic: (t, d, w) => this.guard(h, 'replace_topic', t, () => this.inner.replaceTopic(t, d, w).then(() => void this.unmarked.delete(t))),
      discardSnapshot: (t) => this.guard(h, undefined, t, () => this.inner.discardSnapshot(t)),
      stageSnapshot: (t, d) => this.guard(h, undefined, t, () => this.inner.stageSnapshot(t, d)),
      // The vectors' `replace_topic` failure is the snapshot's atomic swap: nothing staged lands.
      commitSnapshot: (t, w) => this.guard(h, 'replace_topic', t, () => this.inner.commitSnapshot(t, w).then((docs) => (this.unmarked.delete(t), docs))),
      putHydrated: (d) => this.guard(h, undefined, d.topic, () => this.inner.putHydrated(d)),
      close: async () => {
        h.closed = true;
      },
    };
  }

  private guard<T>(h: { closed: boolean }, op: FailingOperation | undefined, topic: string | undefined, body: () => Promise<T>): Promise<T> {
    if (h.closed) return Promise.reject(new StoreError(ErrorCodes.STORE_FAILED, 'store handle is closed', { topic }));
    const armed = op === undefined ? undefined : this.failNext.get(op);
    if (armed !== undefined && armed.length > 0) {
      const reason = armed.shift();
      // Real backends wrap a transient failure as a retryable StoreError, and a closed or full one
      // as a non-retryable one with its reason (store-guards.ts toStoreError, closedStoreError).
      const details = reason === undefined ? {} : { reason };
      return Promise.reject(new StoreError(ErrorCodes.STORE_FAILED, `memory store ${op} failed: scripted failure`, { topic, retryable: reason === undefined, details }));
    }
    return body();
  }
}

export function toSyncDocument(d: VectorDocument): SyncDocument {
  return {
    topic: d.topic,
    docKey: d.doc_key,
    docVersion: d.doc_version,
    payload: d.payload,
    payloadHash: d.payload_hash ?? null,
    watermark: d.watermark,
    hydrationPending: d.hydration_pending ?? false,
  };
}
