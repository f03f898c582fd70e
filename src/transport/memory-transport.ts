import type { CloseInfo, Transport, TransportFactory, TransportHandlers, TransportOptions } from './transport.js';
import { utf8ByteLength } from './utf8-bytes.js';

/** The far end of an in-memory connection, as a test or an in-process server sees it. */
export interface MemoryPeer {
  /** The URL the client dialled. */
  readonly url: string;
  /** Frames the client sent, in order. */
  readonly sent: string[];
  /** Deliver a text frame to the client. */
  push(text: string): void;
  /** Close the connection from the server side. */
  close(code?: number, reason?: string): void;
  /** Called for each frame the client sends. */
  onClientMessage: ((text: string) => void) | undefined;
  /** Called when the client closes. */
  onClientClose: ((info: CloseInfo) => void) | undefined;
  /** The connection has closed (from either side). */
  readonly closed: boolean;
  /** The client paused reading (frames pushed meanwhile wait, in order, for its `resume()`). */
  readonly paused: boolean;
}

/** Options of {@link createMemoryNetwork}. */
export interface MemoryNetworkOptions {
  /**
   * Decide how a dial ends: `'accept'`, or a refusal with an HTTP status, as a real server refusing
   * the upgrade would. Default: every dial is accepted.
   */
  accept?: (url: string) => 'accept' | { refuse: number };
  /**
   * The subprotocol the far end "selects" from what the client offered. Default: the first offered
   * one, or `''` when none was offered (what a cooperating server does).
   */
  selectProtocol?: (offered: string[]) => string;
}

/**
 * An in-memory "network" for tests: `factory` is a {@link TransportFactory}; every dial creates a
 * {@link MemoryPeer} handed to `onConnection`. Delivery is asynchronous (a microtask), like a socket.
 */
export function createMemoryNetwork(options: MemoryNetworkOptions = {}): {
  factory: TransportFactory;
  peers: MemoryPeer[];
  onConnection: ((peer: MemoryPeer) => void) | undefined;
} {
  const net = {
    peers: [] as MemoryPeer[],
    onConnection: undefined as ((peer: MemoryPeer) => void) | undefined,
    factory: undefined as unknown as TransportFactory,
  };
  net.factory = (url: string, handlers: TransportHandlers, transportOptions: TransportOptions = {}): Transport => {
    let closed = false;
    const end = (info: CloseInfo, byClient: boolean): void => {
      if (closed) return;
      closed = true;
      queueMicrotask(() => {
        handlers.onClose(info);
        if (byClient) peer.onClientClose?.(info);
      });
    };
    const decision = options.accept?.(url) ?? 'accept';
    // Like a paused TCP socket: frames pushed while the client is not reading wait here, in order.
    let paused = false;
    const held: string[] = [];
    const deliver = (text: string): void => {
      if (closed) return;
      if (paused || held.length > 0) held.push(text);
      else handlers.onMessage(text, utf8ByteLength(text));
    };
    const peer: MemoryPeer = {
      url,
      sent: [],
      onClientMessage: undefined,
      onClientClose: undefined,
      get closed() {
        return closed;
      },
      get paused() {
        return paused;
      },
      push(text: string) {
        if (closed) return;
        queueMicrotask(() => deliver(text));
      },
      close(code = 1000, reason = '') {
        end({ code, reason }, false);
      },
    };
    if (decision !== 'accept') {
      end({ code: 1006, reason: `upgrade refused with HTTP ${decision.refuse}`, httpStatus: decision.refuse }, false);
    } else {
      net.peers.push(peer);
      queueMicrotask(() => {
        if (closed) return;
        const offered = transportOptions.protocols ?? [];
        handlers.onOpen({ protocol: options.selectProtocol ? options.selectProtocol(offered) : (offered[0] ?? '') });
        net.onConnection?.(peer);
      });
    }
    return {
      send(text: string) {
        if (closed) return;
        peer.sent.push(text);
        queueMicrotask(() => peer.onClientMessage?.(text));
      },
      close(code = 1000, reason = '') {
        end({ code, reason }, true);
      },
      pause() {
        paused = true;
      },
      resume() {
        paused = false;
        queueMicrotask(() => {
          while (!paused && !closed && held.length > 0) {
            const text = held.shift()!;
            handlers.onMessage(text, utf8ByteLength(text));
          }
        });
      },
    };
  };
  return net;
}
