import WebSocket from 'isomorphic-ws';
import { clipCloseReason, utf8ByteLength } from './utf8-bytes.js';
import { SUBPROTOCOL_MISMATCH_REASON, type CloseInfo, type Transport, type TransportFactory, type TransportHandlers, type TransportOptions } from './transport.js';

// Fatal: a lenient decoder would turn bytes that are not UTF-8 into U+FFFD and the frame would be
// applied with its text silently changed (a text frame is checked by the WebSocket stack already;
// a binary one is not).
const textDecoder = new TextDecoder('utf-8', { fatal: true });
/** Smallest hard cap handed to `ws`: 64 KiB. */
const WS_MAX_PAYLOAD_FLOOR = 64 * 1024;
/** How long a closing socket may wait for the peer's close frame before it is destroyed. */
const CLOSE_GRACE_MS = 500;
/** `ws`'s error code for a message above `maxPayload` (it then fails the connection). */
const WS_TOO_LARGE = 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';

/** A message as text, or `text: undefined` when its bytes are not UTF-8. */
type Decoded = { text: string | undefined; bytes: number };

function decodeBytes(view: Uint8Array): Decoded {
  try {
    return { text: textDecoder.decode(view), bytes: view.byteLength };
  } catch {
    return { text: undefined, bytes: view.byteLength };
  }
}

function decodeData(data: unknown): Decoded | undefined {
  if (typeof data === 'string') return { text: data, bytes: utf8ByteLength(data) };
  if (data instanceof ArrayBuffer) return decodeBytes(new Uint8Array(data));
  if (ArrayBuffer.isView(data)) return decodeBytes(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (Array.isArray(data)) {
    // Node `ws` may hand fragmented messages as Buffer[].
    const parts = data as Uint8Array[];
    const total = parts.reduce((n, p) => n + p.byteLength, 0);
    const joined = new Uint8Array(total);
    let off = 0;
    for (const p of parts) {
      joined.set(p, off);
      off += p.byteLength;
    }
    return decodeBytes(joined);
  }
  return undefined;
}

/**
 * WebSocket transport on `isomorphic-ws`: Node's `ws` on the server side of a bundler, the
 * browser's native `WebSocket` in a browser build.
 */
export const webSocketTransport: TransportFactory = (url: string, handlers: TransportHandlers, options: TransportOptions): Transport => {
  let closed = false;
  const finish = (info: CloseInfo): void => {
    if (closed) return;
    closed = true;
    handlers.onClose(info);
  };
  // Frames above maxFrameBytes are refused one by one by the lane (reported, skipped), so `ws`
  // only gets a hard memory ceiling (4x) above it; past that ceiling it fails the connection with
  // 1009, reported as `frame_too_large`, and the client reconnects. The browser constructor
  // ignores this third argument.
  const wsOptions = { maxPayload: Math.max(4 * (options.maxFrameBytes ?? 0), WS_MAX_PAYLOAD_FLOOR) };
  const socket = new (WebSocket as unknown as new (u: string, p?: string[], o?: object) => WebSocket)(url, options.protocols, wsOptions);
  socket.binaryType = 'arraybuffer';
  let httpStatus: number | undefined;
  const nodeSocket = socket as unknown as { on?: (ev: string, fn: (...args: unknown[]) => void) => void };
  if (typeof nodeSocket.on === 'function') {
    // Node only: surface the HTTP status of a refused upgrade (403 → re-mint the token).
    nodeSocket.on('unexpected-response', (_req: unknown, res: unknown) => {
      httpStatus = (res as { statusCode?: number }).statusCode;
      (res as { resume?: () => void }).resume?.();
      try {
        socket.close();
      } catch {
        /* already closing */
      }
      finish({ code: 1006, reason: `upgrade refused with HTTP ${httpStatus ?? '?'}`, httpStatus });
    });
  }
  // `protocol` is the echoed Sec-WebSocket-Protocol in Node's `ws` and in browsers alike.
  socket.onopen = () => handlers.onOpen({ protocol: typeof socket.protocol === 'string' ? socket.protocol : undefined });
  const deliver = (data: unknown): void => {
    if (closed) return;
    const decoded = decodeData(data);
    if (decoded === undefined) return;
    if (decoded.text !== undefined) handlers.onMessage(decoded.text, decoded.bytes);
    else handlers.onUndecodable?.(decoded.bytes);
  };
  // Node `ws` hands its 'message' listeners a text message as the bytes received (a Buffer): their
  // count is free there, where the string `onmessage` gets would have to be measured again (bench
  // profile, docs/benchmarks.md).
  if (typeof nodeSocket.on === 'function') nodeSocket.on('message', deliver);
  else socket.onmessage = (ev: { data: unknown }) => deliver(ev.data);
  socket.onerror = () => {
    /* onclose follows every error; the error itself carries nothing safe to report. */
  };
  let subprotocolRefused = false;
  let tooLarge = false;
  if (typeof nodeSocket.on === 'function') {
    // Node `ws` aborts a handshake whose echoed subprotocol was not offered (or is missing when one
    // was): say so in the close, so the connection reports `subprotocol_mismatch`, not a network failure.
    nodeSocket.on('error', (err: unknown) => {
      if (err instanceof Error && /subprotocol/i.test(err.message)) subprotocolRefused = true;
      const code = (err as { code?: unknown }).code;
      if (code === WS_TOO_LARGE) tooLarge = true;
      // A frame that breaks the WebSocket protocol (text not UTF-8, a reserved opcode...): `ws` fails
      // the connection and then reports a plain 1006 drop, so the frame is reported here.
      else if (/^WS_ERR_/.test(code as string)) handlers.onUndecodable?.(0, code as string);
    });
  }
  let released: () => void = () => undefined;
  const gone = new Promise<void>((resolve) => (released = resolve));
  socket.onclose = (ev: { code: number; reason: string }) => {
    released();
    // `ws` reports its own refusal of an oversized message as 1006; say what happened.
    const code = tooLarge ? 1009 : ev.code;
    finish({ code, reason: subprotocolRefused ? SUBPROTOCOL_MISMATCH_REASON : String(ev.reason ?? ''), httpStatus });
  };
  const destroy = (): void => (socket as unknown as { terminate?: () => void }).terminate?.();
  // Node's `ws` can stop reading the TCP socket (the kernel window then holds the server back); the
  // browser's WebSocket has no such call, so its transport offers neither method.
  const flow = socket as unknown as { pause?: () => void; resume?: () => void };
  const pausable = typeof flow.pause === 'function' && typeof flow.resume === 'function';
  return {
    ...(pausable
      ? {
          pause: () => flow.pause!(),
          resume: () => flow.resume!(),
        }
      : {}),
    send(text: string) {
      if (socket.readyState === 1) socket.send(text);
    },
    close(code = 1000, reason = '') {
      const clipped = clipCloseReason(reason);
      try {
        if (socket.readyState === 0 || socket.readyState === 1) socket.close(code, clipped);
      } catch {
        // An invalid code or reason, or a failing socket: the socket must end all the same.
        destroy();
      }
      // The caller is done with this connection: report the close now rather than waiting for a
      // closing handshake that a stalled peer may never answer; the socket itself gets a short
      // grace for the peer's close frame, then is destroyed, so it never outlives the client.
      finish({ code, reason: clipped });
      if (socket.readyState === 3) return Promise.resolve();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          destroy();
          resolve();
        }, CLOSE_GRACE_MS);
      });
      return Promise.race([gone, grace]).then(() => clearTimeout(timer));
    },
  };
};
