import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes, StoreError } from '../../src/errors/index.js';
import type { SyncStore } from '../../src/watermarks/store.js';
import { commitCases } from './store-contract-commits.js';
import { doc, RICH, sorted, type StoreHarness } from './store-contract-fixtures.js';
import { snapshotCases } from './store-contract-snapshots.js';

/**
 * Run the SyncStore contract against one backend.
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

    commitCases(() => store, copies);
    snapshotCases(() => store, copies);

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
