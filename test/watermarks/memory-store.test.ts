import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/watermarks/index.js';
import { runStoreContract } from './store-contract.js';

runStoreContract('memory', async () => {
  const store = createMemoryStore();
  return { store, cleanup: () => store.close() };
}, { persistent: false, owns: true });

describe('memory store', () => {
  it('reports its kind', () => {
    expect(createMemoryStore().kind).toBe('memory');
  });

  it('owns what it is given (no copy per commit) and hands out copies on load', async () => {
    const store = createMemoryStore();
    const payload = { list: [1, 2] };
    const d = { topic: 't', docKey: 'k', docVersion: 1, payload, payloadHash: null, watermark: 1, hydrationPending: false };
    await store.commit({ topic: 't', watermark: 1, documents: [d] });
    const first = await store.load();
    expect(first.documents).toStrictEqual([d]);
    expect(first.documents[0]).not.toBe(d);
    (first.documents[0]!.payload as { list: number[] }).list.push(9);
    expect((await store.load()).documents[0]?.payload).toStrictEqual({ list: [1, 2] });
  });

  it('keeps separate instances separate', async () => {
    const a = createMemoryStore();
    const b = createMemoryStore();
    await a.commit({ topic: 't', watermark: 1, documents: [] });
    expect(await b.load()).toStrictEqual({ watermarks: {}, documents: [] });
  });
});
