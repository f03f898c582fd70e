import WebSocket from 'isomorphic-ws';
import { clipCloseReason, utf8ByteLength } from './utf8-bytes.js';
import { SUBPROTOCOL_MISMATCH_REASON, type CloseInfo, type Transport, type TransportFactory, type TransportHandlers, type TransportOptions } from './transport.js';

// Fatal: a lenient decoder would turn bytes that are not UTF-8 into U+FFFD and the frame would be
// applied with its text silently changed (a text frame is checked by the WebSocket stack already;
// a binary one is not).
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** Node's `ws` socket beside the browser API: its events, flow control and hard stop (all absent in a browser). */
interface NodeSocket {
  on?(event: string, fn: (...args: never[]) => void): void;
  pause?(): void;
  resume?(): void;
  terminate?(): void;
}

/**
 * WebSocket transport on `isomorphic-ws`: Node's `ws` on the server side of a bundler, the
 * browser's native `WebSocket` in a browser build.
 */
export const webSocketTransport: TransportFactory = (url: string, handlers: TransportHandlers, options: TransportOptions): Transport => {
  let closed = false;
  let httpStatus: number | undefined;
  let reason: string | undefined;
  let tooLarge = false;
  const finish = (info: CloseInfo): void => {
    if (closed) return;
    closed = true;
    handlers.onClose(info);
  };
  // Frames above maxFrameBytes are refused one by one by the lane (reported, skipped), so `ws`
  // only gets a hard memory ceiling (4x, at least 64 KiB) above it; past that ceiling it fails the
  // connection with 1009, reported as `frame_too_large`, and the client reconnects. The browser
  // constructor ignores this third argument.
  const socket = new (WebSocket as unknown as new (u: string, p?: string[], o?: object) => WebSocket)(url, options.protocols, { maxPayload: Math.max(4 * (options.maxFrameBytes ?? 0), 65536) });
  const node = socket as unknown as NodeSocket;
  // Binary frames arrive as one ArrayBuffer (never a Blob, nor `ws`'s Buffer fragments).
  socket.binaryType = 'arraybuffer';
  const deliver = (data: string | ArrayBuffer): void => {
    if (closed) return;
    if (typeof data === 'string') return handlers.onMessage(data, utf8ByteLength(data));
    let text: string;
    try {
      text = textDecoder.decode(data);
    } catch {
      return handlers.onUndecodable?.(data.byteLength);
    }
    handlers.onMessage(text, data.byteLength);
  };
  if (node.on) {
    // Node only: surface the HTTP status of a refused upgrade (403 → re-mint the token).
    node.on('unexpected-response', (_req: unknown, res: { statusCode?: number; resume(): void }) => {
      httpStatus = res.statusCode;
      res.resume();
      try {
        socket.close();
      } catch {
        /* already closing */
      }
      finish({ code: 1006, reason: `upgrade refused with HTTP ${httpStatus ?? '?'}`, httpStatus });
    });
    // Node `ws` hands its 'message' listeners a text message as the bytes received: their count is
    // free there, where the string `onmessage` gets would have to be measured again (bench profile,
    // docs/benchmarks.md).
    node.on('message', deliver);
    node.on('error', (err: Error & { code?: string }) => {
      // `ws` aborts a handshake whose echoed subprotocol was not offered (or is missing when one
      // was): say so in the close, so the connection reports `subprotocol_mismatch`, not a network failure.
      if (/subprotocol/i.test(err.message)) reason = SUBPROTOCOL_MISMATCH_REASON;
      // `ws` reports its own refusal of an oversized message as 1006; say what happened.
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') tooLarge = true;
      // A frame that breaks the WebSocket protocol (text not UTF-8, a reserved opcode...): `ws` fails
      // the connection and then reports a plain 1006 drop, so the frame is reported here.
      else if (/^WS_ERR_/.test(err.code!)) handlers.onUndecodable?.(0, err.code);
    });
  } else socket.onmessage = (ev) => deliver(ev.data as string | ArrayBuffer);
  // `protocol` is the echoed Sec-WebSocket-Protocol (a string) in Node's `ws` and in browsers alike.
  socket.onopen = () => handlers.onOpen({ protocol: socket.protocol });
  // onclose follows every error; the error itself carries nothing safe to report.
  socket.onerror = () => undefined;
  let released!: () => void;
  const gone = new Promise<void>((resolve) => (released = resolve));
  socket.onclose = (ev) => {
    released();
    finish({ code: tooLarge ? 1009 : ev.code, reason: reason ?? ev.reason, httpStatus });
  };
  const destroy = (): void => node.terminate?.();
  const transport: Transport = {
    send(text: string) {
      if (socket.readyState === 1) socket.send(text);
    },
    close(code = 1000, why = '') {
      const clipped = clipCloseReason(why);
      try {
        if (socket.readyState < 2) socket.close(code, clipped);
      } catch {
        // An invalid code or reason, or a failing socket: the socket must end all the same.
        destroy();
      }
      // The caller is done with this connection: report the close now rather than waiting for a
      // closing handshake that a stalled peer may never answer; the socket itself gets a short
      // grace for the peer's close frame, then is destroyed, so it never outlives the client.
      finish({ code, reason: clipped });
      if (socket.readyState === 3) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          destroy();
          resolve();
        }, 500);
        void gone.then(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
  // Node's `ws` can stop reading the TCP socket (the kernel window then holds the server back); the
  // browser's WebSocket has no such call, so its transport offers neither method.
  if (node.pause && node.resume) {
    transport.pause = () => node.pause!();
    transport.resume = () => node.resume!();
  }
  return transport;
};
