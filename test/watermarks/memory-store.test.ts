import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/watermarks/index.js';
import { runStoreContract } from './store-contract.js';

runStoreContract('memory', async () => {
  const store = createMemoryStore();
  return { store, cleanup: () => store.close() };
}, { persistent: false });

describe('memory store', () => {
  it('reports its kind', () => {
    expect(createMemoryStore().kind).toBe('memory');
  });

  it('keeps separate instances separate', async () => {
    const a = createMemoryStore();
    const b = createMemoryStore();
    await a.commit({ topic: 't', watermark: 1, documents: [] });
    expect(await b.load()).toStrictEqual({ watermarks: {}, documents: [] });
  });
});
