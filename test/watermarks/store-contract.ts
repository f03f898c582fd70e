import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes, StoreError } from '../../src/errors/index.js';
import type { SyncDocument } from '../../src/model/types.js';
import type { JsonValue } from '../../src/util/json.js';
import type { SyncStore } from '../../src/watermarks/store.js';

/** What a backend's test file hands the contract for each test. */
export interface StoreHarness {
  store: SyncStore;
  /** Open the same backing data again; the caller closes `store` first and the result afterwards. */
  reopen?: () => Promise<SyncStore>;
  /** Release everything (stores may already be closed). */
  cleanup: () => Promise<void>;
}

/** A document with sensible defaults, overridable field by field. */
export function doc(topic: string, docKey: string, docVersion: number, payload: JsonValue | null, extra: Partial<SyncDocument> = {}): SyncDocument {
  return { topic, docKey, docVersion, payload, payloadHash: null, watermark: docVersion, hydrationPending: false, ...extra };
}

/** Documents in a stable order: stores do not promise one. */
export function sorted(docs: SyncDocument[]): SyncDocument[] {
  const key = (d: SyncDocument) => `${d.topic}\u0000${d.docKey}`;
  return [...docs].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Payload whose serialization throws in every backend (JSON.stringify and structuredClone both read the getter). */
function poisoned(): JsonValue {
  return Object.defineProperty({}, 'boom', {
    enumerable: true,
    get() {
      throw new Error('unserializable payload');
    },
  }) as JsonValue;
}

const RICH: JsonValue = {
  ascii: 'plain',
  latin: 'héllo wörld ñ',
  cjk: '日本語のテキスト',
  astral: '😀 𝄞 👩‍👩‍👧 \u{10FFFF}',
  loneSurrogate: '\ud800x',
  control: 'tab\tnul\u0000line\nquote"back\\',
  nested: { a: [1, -2.5, 1e-7, 9007199254740991, { deep: [[], {}, null, true, false] }], empty: '' },
  list: ['x', 0, null, { k: 'v' }],
};

/** Run the SyncStore contract against one backend. */
/**
 * `persistent`: the store survives a reopen (registers the reopen case; memory stores do not).
 * `owns`: the store keeps the documents it is given as they are (the memory store); otherwise it
 * serializes them, so it is isolated from later caller mutation and refuses an unserializable body.
 */
export function runStoreContract(name: string, makeStore: () => Promise<StoreHarness>, options: { persistent: boolean; owns?: boolean } = { persistent: true }): void {
  const copies = options.owns !== true;
  describe(`${name} store contract`, () => {
    let h: StoreHarness;
    let store: SyncStore;
    beforeEach(async () => {
      h = await makeStore();
      store = h.store;
    });
    afterEach(async () => {
      await h.cleanup();
    });

    it('loads empty at first', async () => {
      expect(await store.load()).toStrictEqual({ watermarks: {}, documents: [] });
      expect(await store.load(['t'])).toStrictEqual({ watermarks: {}, documents: [] });
    });

    it('commits documents and watermark together', async () => {
      const docs = [doc('t', 'a', 1, { v: 1 }, { payloadHash: 'sha256:ab' }), doc('t', 'b', 2, 'two')];
      await store.commit({ topic: 't', watermark: 2, documents: docs });
      const got = await store.load();
      expect(got.watermarks).toStrictEqual({ t: 2 });
      expect(sorted(got.documents)).toStrictEqual(docs);
    });

    it('filters load by topics', async () => {
      await store.commit({ topic: 'a', watermark: 1, documents: [doc('a', 'x', 1, 1)] });
      await store.commit({ topic: 'b', watermark: 5, documents: [doc('b', 'y', 5, 2)] });
      await store.commit({ topic: 'c', watermark: 7, documents: [] });
      const onlyA = await store.load(['a', 'a', 'missing']);
      expect(onlyA.watermarks).toStrictEqual({ a: 1 });
      expect(onlyA.documents).toStrictEqual([doc('a', 'x', 1, 1)]);
      expect(await store.load([])).toStrictEqual({ watermarks: {}, documents: [] });
      const all = await store.load();
      expect(all.watermarks).toStrictEqual({ a: 1, b: 5, c: 7 });
      expect(sorted(all.documents).map((d) => d.docKey)).toStrictEqual(['x', 'y']);
    });

    it('never lets a lower docVersion overwrite; an equal one does', async () => {
      await store.commit({ topic: 't', watermark: 5, documents: [doc('t', 'k', 5, 'v5')] });
      await store.commit({ topic: 't', watermark: 6, documents: [doc('t', 'k', 3, 'v3', { watermark: 6 })] });
      expect((await store.load()).documents).toStrictEqual([doc('t', 'k', 5, 'v5')]);
      await store.commit({ topic: 't', watermark: 7, documents: [doc('t', 'k', 5, 'v5-again', { watermark: 7 })] });
      expect((await store.load()).documents).toStrictEqual([doc('t', 'k', 5, 'v5-again', { watermark: 7 })]);
    });

    it('applies duplicates inside one batch as if in order', async () => {
      const batch = [doc('t', 'k', 2, 'two'), doc('t', 'k', 1, 'one'), doc('t', 'j', 3, 'first'), doc('t', 'j', 3, 'second')];
      await store.commit({ topic: 't', watermark: 3, documents: batch });
      expect(sorted((await store.load()).documents)).toStrictEqual([doc('t', 'j', 3, 'second'), doc('t', 'k', 2, 'two')]);
    });

    it('applies large batches with repeated keys as if in order', async () => {
      // Long enough to cross any internal chunking of a backend, with repeats inside and across chunks.
      const batch = Array.from({ length: 130 }, (_, i) => doc('t', `k${i % 37}`, (i * 7) % 11, i));
      const expected = new Map<string, SyncDocument>();
      for (const d of batch) {
        const held = expected.get(d.docKey);
        if (held === undefined || d.docVersion >= held.docVersion) expected.set(d.docKey, d);
      }
      await store.commit({ topic: 't', watermark: 130, documents: batch });
      expect(sorted((await store.load()).documents)).toStrictEqual(sorted([...expected.values()]));
      await store.replaceTopic('t', batch.slice().reverse(), 131);
      const reversed = new Map<string, SyncDocument>();
      for (const d of batch.slice().reverse()) {
        const held = reversed.get(d.docKey);
        if (held === undefined || d.docVersion >= held.docVersion) reversed.set(d.docKey, d);
      }
      expect(sorted((await store.load()).documents)).toStrictEqual(sorted([...reversed.values()]));
    });

    it('keeps the highest watermark on commit', async () => {
      await store.commit({ topic: 't', watermark: 10, documents: [] });
      await store.commit({ topic: 't', watermark: 4, documents: [doc('t', 'late', 4, 'x')] });
      const got = await store.load();
      expect(got.watermarks).toStrictEqual({ t: 10 });
      expect(got.documents).toHaveLength(1);
    });

    it('applies concurrent commits without losing any', async () => {
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => store.commit({ topic: 't', watermark: i + 1, documents: [doc('t', `d${i}`, 1, i)] })),
      );
      const got = await store.load();
      expect(got.watermarks).toStrictEqual({ t: 30 });
      expect(got.documents).toHaveLength(30);
    });

    it('replaceTopic replaces every document of that topic only and sets the watermark', async () => {
      await store.commit({ topic: 'a', watermark: 10, documents: [doc('a', 'x', 9, 'old-x'), doc('a', 'y', 9, 'old-y')] });
      await store.commit({ topic: 'b', watermark: 4, documents: [doc('b', 'z', 4, 'z')] });
      // Lower watermark and lower docVersion than what is stored: a snapshot wins outright.
      const snapshot = [doc('a', 'x', 2, 'snap-x', { watermark: 3 }), doc('a', 'w', 3, 'snap-w')];
      await store.replaceTopic('a', snapshot, 3);
      const got = await store.load();
      expect(got.watermarks).toStrictEqual({ a: 3, b: 4 });
      expect(sorted(got.documents)).toStrictEqual([...snapshot.slice().reverse(), doc('b', 'z', 4, 'z')]);
      await store.replaceTopic('a', [], 8);
      expect(await store.load(['a'])).toStrictEqual({ watermarks: { a: 8 }, documents: [] });
    });

    it('stages snapshot pages invisibly and swaps them in with one commit', async () => {
      await store.commit({ topic: 'a', watermark: 10, documents: [doc('a', 'x', 9, 'old-x'), doc('a', 'y', 9, 'old-y')] });
      await store.commit({ topic: 'b', watermark: 4, documents: [doc('b', 'z', 4, 'z')] });
      const before = await store.load();
      await store.discardSnapshot('a');
      // Lower watermark and lower docVersion than what is stored: a snapshot wins outright.
      const page1 = [doc('a', 'x', 2, 'snap-x', { watermark: 3 }), doc('a', 'w', 3, 'snap-w')];
      const page2 = [doc('a', 'v', 1, { deep: ['é😀'] }, { watermark: 3, payloadHash: 'sha256:aa' })];
      await store.stageSnapshot('a', page1);
      await store.stageSnapshot('a', []);
      await store.stageSnapshot('a', page2);
      expect(await store.load()).toStrictEqual(before);
      const committed = await store.commitSnapshot('a', 3);
      expect(sorted(committed)).toStrictEqual(sorted([...page1, ...page2]));
      const got = await store.load();
      expect(got.watermarks).toStrictEqual({ a: 3, b: 4 });
      expect(sorted(got.documents)).toStrictEqual(sorted([...page1, ...page2, doc('b', 'z', 4, 'z')]));
      // The staging area was emptied by the swap: a commit with nothing staged empties the topic.
      expect(await store.commitSnapshot('a', 8)).toStrictEqual([]);
      expect(await store.load(['a'])).toStrictEqual({ watermarks: { a: 8 }, documents: [] });
    });

    it('discardSnapshot drops only the staged pages of that topic', async () => {
      await store.commit({ topic: 'a', watermark: 5, documents: [doc('a', 'kept', 5, 'kept')] });
      await store.stageSnapshot('a', [doc('a', 'stale', 1, 'from a crashed snapshot')]);
      await store.stageSnapshot('b', [doc('b', 'other', 2, 'b staged')]);
      await store.discardSnapshot('a');
      expect(await store.load()).toStrictEqual({ watermarks: { a: 5 }, documents: [doc('a', 'kept', 5, 'kept')] });
      await store.stageSnapshot('a', [doc('a', 'fresh', 7, 'fresh')]);
      expect(await store.commitSnapshot('a', 7)).toStrictEqual([doc('a', 'fresh', 7, 'fresh')]);
      expect(await store.commitSnapshot('b', 2)).toStrictEqual([doc('b', 'other', 2, 'b staged')]);
      await store.discardSnapshot('never-staged');
      expect(sorted((await store.load()).documents).map((d) => d.docKey)).toStrictEqual(['fresh', 'other']);
    });

    it('applies the last-writer rule to a key staged twice', async () => {
      const pages = [[doc('t', 'k', 2, 'two'), doc('t', 'j', 3, 'first')], [doc('t', 'k', 1, 'one'), doc('t', 'j', 3, 'second')]];
      for (const page of pages) await store.stageSnapshot('t', page);
      expect(sorted(await store.commitSnapshot('t', 3))).toStrictEqual([doc('t', 'j', 3, 'second'), doc('t', 'k', 2, 'two')]);
    });

    it('refuses a bad staging write whole', async () => {
      await store.stageSnapshot('t', [doc('t', 'a', 1, 'a')]);
      const attempts: Array<() => Promise<unknown>> = [
        () => store.stageSnapshot('t', [doc('t', 'b', 1, 'b'), doc('other', 'c', 1, 'c')]),
        () => store.stageSnapshot('t', [doc('t', 'b', -1, 'b')]),
        ...(copies ? [() => store.stageSnapshot('t', [doc('t', 'b', 1, 'b'), doc('t', 'p', 1, poisoned())])] : []),
        () => store.commitSnapshot('t', Number.NaN),
        () => store.commitSnapshot('', 1),
      ];
      for (const attempt of attempts) {
        const err = await attempt().then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(StoreError);
        expect((err as StoreError).code).toBe(ErrorCodes.STORE_FAILED);
      }
      expect(await store.commitSnapshot('t', 1)).toStrictEqual([doc('t', 'a', 1, 'a')]);
    });

    it('stores pointer-mode documents pending and hydrates them under the version guard', async () => {
      const pending = doc('t', 'p', 4, null, { payloadHash: 'sha256:00', watermark: 6, hydrationPending: true });
      await store.commit({ topic: 't', watermark: 6, documents: [pending] });
      expect((await store.load()).documents).toStrictEqual([pending]);

      await store.putHydrated(doc('t', 'p', 3, 'too old', { watermark: 99 }));
      expect((await store.load()).documents).toStrictEqual([pending]);

      await store.putHydrated(doc('t', 'p', 4, { body: 'é😀' }, { payloadHash: 'sha256:11', watermark: 99 }));
      const hydrated = doc('t', 'p', 4, { body: 'é😀' }, { payloadHash: 'sha256:11', watermark: 6 });
      expect((await store.load()).documents).toStrictEqual([hydrated]);

      await store.putHydrated(doc('t', 'p', 5, 'newer'));
      expect((await store.load()).documents).toStrictEqual([doc('t', 'p', 5, 'newer', { watermark: 6 })]);
    });

    it('does not revive a document through putHydrated once it is gone', async () => {
      await store.putHydrated(doc('t', 'ghost', 1, 'boo'));
      expect(await store.load()).toStrictEqual({ watermarks: {}, documents: [] });
    });

    it('round-trips non-ASCII, astral and nested payloads exactly', async () => {
      const docs = [doc('tôpic/😀', 'clé/𝄞', 1, RICH), doc('tôpic/😀', 'n', 1, null), doc('tôpic/😀', 's', 1, '')];
      await store.commit({ topic: 'tôpic/😀', watermark: 1, documents: docs });
      expect(sorted((await store.load(['tôpic/😀'])).documents)).toStrictEqual(sorted(docs));
    });

    // Registered only for stores that copy on the way in, so no test is ever skipped.
    (copies ? it : () => undefined)('is isolated from caller mutation on the way in and out', async () => {
      const payload = { list: [1, 2], inner: { x: 'a' } };
      const input = doc('t', 'k', 1, payload);
      const docs = [input];
      await store.commit({ topic: 't', watermark: 1, documents: docs });
      payload.list.push(3);
      payload.inner.x = 'mutated';
      input.docVersion = 42;
      docs.push(doc('t', 'extra', 1, 1));
      const first = await store.load();
      expect(first.documents).toStrictEqual([doc('t', 'k', 1, { list: [1, 2], inner: { x: 'a' } })]);
      (first.documents[0]?.payload as { list: number[] }).list.push(9);
      first.watermarks.t = 100;
      expect(await store.load()).toStrictEqual({ watermarks: { t: 1 }, documents: [doc('t', 'k', 1, { list: [1, 2], inner: { x: 'a' } })] });
    });

    it('refuses a bad write whole, leaving the previous state', async () => {
      await store.commit({ topic: 't', watermark: 1, documents: [doc('t', 'a', 1, 'a1')] });
      const before = await store.load();
      const attempts: Array<() => Promise<void>> = [
        ...(copies ? [() => store.commit({ topic: 't', watermark: 2, documents: [doc('t', 'a', 2, 'a2'), doc('t', 'b', 2, poisoned())] })] : []),
        () => store.commit({ topic: 't', watermark: 3, documents: [doc('t', 'a', 3, 'a3'), doc('other', 'b', 3, 'b')] }),
        () => store.commit({ topic: 't', watermark: -1, documents: [] }),
        () => store.commit({ topic: 't', watermark: 1.5, documents: [] }),
        ...(copies ? [() => store.replaceTopic('t', [doc('t', 'c', 1, poisoned())], 9)] : []),
        () => store.replaceTopic('t', [doc('t', 'c', Number.NaN, 'c')], 9),
      ];
      for (const attempt of attempts) {
        const err = await attempt().then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(StoreError);
        expect((err as StoreError).code).toBe(ErrorCodes.STORE_FAILED);
      }
      expect(await store.load()).toStrictEqual(before);
    });

    // Registered only for persistent stores, so no test is ever skipped.
    (options.persistent ? it : () => undefined)('persists across reopen', async () => {
      if (h.reopen === undefined) throw new Error('a persistent store harness must provide reopen()');
      await store.commit({ topic: 't', watermark: 3, documents: [doc('t', 'k', 3, RICH), doc('t', 'p', 2, null, { hydrationPending: true })] });
      await store.commit({ topic: 'u', watermark: 1, documents: [] });
      // A snapshot staged but not committed when the process ended: invisible after reopen too.
      await store.stageSnapshot('t', [doc('t', 'staged', 9, 'not yet')]);
      const expected = await store.load();
      await store.close();
      const again = await h.reopen();
      try {
        const got = await again.load();
        expect(got.watermarks).toStrictEqual({ t: 3, u: 1 });
        expect(sorted(got.documents)).toStrictEqual(sorted(expected.documents));
        expect(got.documents.map((d) => d.docKey)).not.toContain('staged');
      } finally {
        await again.close();
      }
    });

    it('rejects every call once closed', async () => {
      await store.close();
      const calls: Array<() => Promise<unknown>> = [
        () => store.load(),
        () => store.commit({ topic: 't', watermark: 1, documents: [] }),
        () => store.replaceTopic('t', [], 1),
        () => store.discardSnapshot('t'),
        () => store.stageSnapshot('t', []),
        () => store.commitSnapshot('t', 1),
        () => store.putHydrated(doc('t', 'k', 1, 1)),
      ];
      for (const call of calls) {
        const err = await call().then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(StoreError);
        expect((err as StoreError).code).toBe(ErrorCodes.STORE_FAILED);
      }
      await expect(store.close()).resolves.toBeUndefined();
    });
  });
}
