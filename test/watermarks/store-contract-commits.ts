import { expect, it } from 'vitest';
import { ErrorCodes, StoreError } from '../../src/errors/index.js';
import type { SyncDocument } from '../../src/model/types.js';
import type { SyncStore } from '../../src/watermarks/store.js';
import { doc, sorted, poisoned, RICH } from './store-contract-fixtures.js';

/**
 * The SyncStore contract's cases for loading and committing batches, registered inside the
 * contract's describe; `current()` is the store of the running test. `copies`: the store
 * serializes what it is given (see runStoreContract).
 */
export function commitCases(current: () => SyncStore, copies: boolean): void {
  it('loads empty at first', async () => {
    const store = current();
    expect(await store.load()).toStrictEqual({ watermarks: {}, documents: [] });
    expect(await store.load(['t'])).toStrictEqual({ watermarks: {}, documents: [] });
  });

  it('commits documents and watermark together', async () => {
    const store = current();
    const docs = [doc('t', 'a', 1, { v: 1 }, { payloadHash: 'sha256:ab' }), doc('t', 'b', 2, 'two')];
    await store.commit({ topic: 't', watermark: 2, documents: docs });
    const got = await store.load();
    expect(got.watermarks).toStrictEqual({ t: 2 });
    expect(sorted(got.documents)).toStrictEqual(docs);
  });

  it('filters load by topics', async () => {
    const store = current();
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
    const store = current();
    await store.commit({ topic: 't', watermark: 5, documents: [doc('t', 'k', 5, 'v5')] });
    await store.commit({ topic: 't', watermark: 6, documents: [doc('t', 'k', 3, 'v3', { watermark: 6 })] });
    expect((await store.load()).documents).toStrictEqual([doc('t', 'k', 5, 'v5')]);
    await store.commit({ topic: 't', watermark: 7, documents: [doc('t', 'k', 5, 'v5-again', { watermark: 7 })] });
    expect((await store.load()).documents).toStrictEqual([doc('t', 'k', 5, 'v5-again', { watermark: 7 })]);
  });

  it('applies duplicates inside one batch as if in order', async () => {
    const store = current();
    const batch = [doc('t', 'k', 2, 'two'), doc('t', 'k', 1, 'one'), doc('t', 'j', 3, 'first'), doc('t', 'j', 3, 'second')];
    await store.commit({ topic: 't', watermark: 3, documents: batch });
    expect(sorted((await store.load()).documents)).toStrictEqual([doc('t', 'j', 3, 'second'), doc('t', 'k', 2, 'two')]);
  });

  it('applies large batches with repeated keys as if in order', async () => {
    const store = current();
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
    const store = current();
    await store.commit({ topic: 't', watermark: 10, documents: [] });
    await store.commit({ topic: 't', watermark: 4, documents: [doc('t', 'late', 4, 'x')] });
    const got = await store.load();
    expect(got.watermarks).toStrictEqual({ t: 10 });
    expect(got.documents).toHaveLength(1);
  });

  it('applies concurrent commits without losing any', async () => {
    const store = current();
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => store.commit({ topic: 't', watermark: i + 1, documents: [doc('t', `d${i}`, 1, i)] })),
    );
    const got = await store.load();
    expect(got.watermarks).toStrictEqual({ t: 30 });
    expect(got.documents).toHaveLength(30);
  });

  it('round-trips non-ASCII, astral and nested payloads exactly', async () => {
    const store = current();
    const docs = [doc('tôpic/😀', 'clé/𝄞', 1, RICH), doc('tôpic/😀', 'n', 1, null), doc('tôpic/😀', 's', 1, '')];
    await store.commit({ topic: 'tôpic/😀', watermark: 1, documents: docs });
    expect(sorted((await store.load(['tôpic/😀'])).documents)).toStrictEqual(sorted(docs));
  });

  // Registered only for stores that copy on the way in, so no test is ever skipped.
  (copies ? it : () => undefined)('is isolated from caller mutation on the way in and out', async () => {
    const store = current();
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
    const store = current();
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
}
