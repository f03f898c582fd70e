// Test tools (`khala-sync/testing`): an in-memory transport network for unit tests, and (Node only)
// the fault-injecting WebSocket/HTTP proxy used by the parity harness. The reference server lives
// at `khala-sync/server`.
export { createMemoryNetwork, type MemoryPeer, type MemoryNetworkOptions } from './transport/memory-transport.js';
export { startFaultProxy, type FaultProxy, type FaultProxyOptions, type FaultProxyStats } from './testing/fault-proxy.js';
export type { Direction, DirectionRules, FaultEvent, FaultRules, FrameInfo, HttpFaultRule, HttpRequestInfo } from './testing/fault-rules.js';
export type { DirectionStats } from './testing/frame-pipe.js';
export type { HttpStats } from './testing/http-faults.js';
export { deriveSeed, pointRandom, seededRandom, type SeededRandom } from './testing/seeded-random.js';
