/** Why a transport closed. `code` is the WebSocket close code (1006 when the connection dropped). */
export interface CloseInfo {
  /** The WebSocket close code (1006 when the socket dropped without a close frame). */
  code: number;
  /** The close reason the peer sent (possibly empty). */
  reason: string;
  /** HTTP status when the upgrade itself was refused (e.g. 403), when the runtime exposes it. */
  httpStatus?: number | undefined;
}

/** `CloseInfo.reason` of a handshake the WebSocket stack aborted over the echoed subprotocol. */
export const SUBPROTOCOL_MISMATCH_REASON = 'subprotocol_mismatch';

/** What is known once a transport is open. */
export interface OpenInfo {
  /**
   * The WebSocket subprotocol the server echoed (`''` when it chose none), or `undefined` when the
   * transport cannot tell. A lane that offers subprotocols must check it (SPACETIME_PROTOCOL §1.2).
   */
  protocol: string | undefined;
}

/** Callbacks a transport drives. Exactly one `onClose` ends every transport, opened or not. */
export interface TransportHandlers {
  /** The transport is open. `info` is optional so that older transports keep compiling. */
  onOpen(info?: OpenInfo): void;
  /** One inbound text frame (binary frames are decoded as UTF-8 first). */
  onMessage(text: string, byteLength: number): void;
  /**
   * One inbound frame that cannot be read: a binary frame whose bytes are not valid UTF-8, or, with
   * `reason` (the WebSocket stack's error code, such as `WS_ERR_INVALID_UTF8`; default undefined), a
   * frame that broke the WebSocket protocol, after which the stack fails the connection. The client
   * reports it as `malformed_frame`. Optional so that existing transport users keep compiling;
   * default: dropped.
   */
  onUndecodable?(byteLength: number, reason?: string): void;
  /** The transport closed, once, whoever closed it. */
  onClose(info: CloseInfo): void;
}

/**
 * A bidirectional text-frame pipe. It knows nothing about Phoenix, Khala or Spacetime, so the same
 * client core runs over a real WebSocket, an in-memory pair in tests, or a fault-injecting proxy.
 */
export interface Transport {
  /** Send one text frame; a transport that is not open (yet or any more) drops it. */
  send(text: string): void;
  /**
   * Close with a WebSocket close code (default 1000) and a reason (cut to 123 UTF-8 bytes).
   * Triggers `onClose` once. May return a promise that settles once the underlying socket is
   * released (never later than a short grace period); `SyncClient.close()` waits for it.
   */
  close(code?: number, reason?: string): void | Promise<void>;
  /**
   * Stop reading from the network (optional): no `onMessage` until `resume()`, and the peer is held
   * back by the transport's own flow control (TCP). A transport that cannot (the browser's native
   * WebSocket) omits both methods; the client then enforces its inbound budget by dropping the
   * socket and resuming from its watermark (docs/architecture.md, "Backpressure").
   */
  pause?(): void;
  /** Read from the network again after `pause()`. */
  resume?(): void;
}

/** Options handed to a {@link TransportFactory}. */
export interface TransportOptions {
  /** `Sec-WebSocket-Protocol` values to offer. Default none. */
  protocols?: string[] | undefined;
  /**
   * Largest inbound frame in bytes the lane accepts; the WebSocket transport sets its hard cap at 4×
   * it (at least 64 KiB) and leaves refusing single frames to the lane. Default none: the 64 KiB floor.
   */
  maxFrameBytes?: number | undefined;
}

/** Opens a transport to `url`; it reports through `handlers`. */
export type TransportFactory = (url: string, handlers: TransportHandlers, options: TransportOptions) => Transport;
