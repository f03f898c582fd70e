// Test tools (`khala-sync/testing`): an in-memory transport network for unit tests. The reference
// server lives at `khala-sync/server`.
export { createMemoryNetwork, type MemoryPeer, type MemoryNetworkOptions } from './transport/memory-transport.js';
