export type { CloseInfo, OpenInfo, Transport, TransportFactory, TransportHandlers, TransportOptions } from './transport.js';
export { webSocketTransport } from './websocket-transport.js';
export { createMemoryNetwork, type MemoryPeer, type MemoryNetworkOptions } from './memory-transport.js';
