import { expect, it } from 'vitest';
import { ErrorCodes, StoreError } from '../../src/errors/index.js';
import type { SyncStore } from '../../src/watermarks/store.js';
import { doc, sorted, poisoned } from './store-contract-fixtures.js';

/**
 * The SyncStore contract's cases for whole-topic replacement and staged snapshots, registered inside
 * the contract's describe; `current()` is the store of the running test. `copies`: the store
 * serializes what it is given (see runStoreContract).
 */
export function snapshotCases(current: () => SyncStore, copies: boolean): void {
  it('replaceTopic replaces every document of that topic only and sets the watermark', async () => {
    const store = current();
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
    const store = current();
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
    const store = current();
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
    const store = current();
    const pages = [[doc('t', 'k', 2, 'two'), doc('t', 'j', 3, 'first')], [doc('t', 'k', 1, 'one'), doc('t', 'j', 3, 'second')]];
    for (const page of pages) await store.stageSnapshot('t', page);
    expect(sorted(await store.commitSnapshot('t', 3))).toStrictEqual([doc('t', 'j', 3, 'second'), doc('t', 'k', 2, 'two')]);
  });

  it('refuses a bad staging write whole', async () => {
    const store = current();
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
}
