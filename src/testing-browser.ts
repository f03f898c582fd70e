// The browser build of `khala-sync/testing` (package.json `exports` condition `browser`): the
// in-memory transport network and the seeded random source. The fault-injecting proxy needs
// `node:net`, so it exists only in the Node build (src/testing.ts).
export { createMemoryNetwork, type MemoryPeer, type MemoryNetworkOptions } from './transport/memory-transport.js';
export { deriveSeed, pointRandom, seededRandom, type SeededRandom } from './testing/seeded-random.js';
