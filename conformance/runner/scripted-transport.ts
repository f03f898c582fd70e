import type { CloseInfo, Transport, TransportFactory, TransportHandlers, TransportOptions } from '../../src/transport/transport.js';

/** One outbound client frame, as sent and as parsed (when it is a Phoenix array). */
export interface SentFrame {
  /** Index of the connection (dial) it was sent on, from 0. */
  connection: number;
  text: string;
  joinRef: unknown;
  ref: unknown;
  topic: unknown;
  event: unknown;
  payload: unknown;
}

/** One dial of the client. It opens only when the script says so (`connect` step). */
export interface ScriptedConnection {
  readonly index: number;
  readonly url: string;
  state: 'dialled' | 'open' | 'closed';
  handlers: TransportHandlers;
  /** Subprotocols the client offered. */
  offered: string[];
}

const encoder = new TextEncoder();

/**
 * A transport the script drives by hand: a dial stays pending until {@link ScriptedNetwork.open},
 * inbound frames are delivered with their UTF-8 byte length (as a WebSocket reports them), and every
 * outbound frame is logged. Deliveries are asynchronous (a microtask), like a socket.
 */
export class ScriptedNetwork {
  readonly connections: ScriptedConnection[] = [];
  readonly sent: SentFrame[] = [];

  readonly factory: TransportFactory = (url: string, handlers: TransportHandlers, options: TransportOptions = {}): Transport => {
    const conn: ScriptedConnection = { index: this.connections.length, url, state: 'dialled', handlers, offered: [...(options.protocols ?? [])] };
    this.connections.push(conn);
    return {
      send: (text: string) => {
        if (conn.state !== 'open') return;
        this.sent.push(parseSent(conn.index, text));
      },
      close: (code = 1000, reason = '') => this.end(conn, { code, reason }),
    };
  };

  /** The newest connection that is dialled but not open yet. */
  pendingDial(): ScriptedConnection | undefined {
    const last = this.connections[this.connections.length - 1];
    return last?.state === 'dialled' ? last : undefined;
  }

  /**
   * The newest open connection, or connection `index` when it is open. Two are open at once only
   * while a token refresh brings up its second socket (SPEC C4).
   */
  current(index?: number): ScriptedConnection | undefined {
    if (index !== undefined) return this.connections[index]?.state === 'open' ? this.connections[index] : undefined;
    for (let i = this.connections.length - 1; i >= 0; i--) if (this.connections[i]!.state === 'open') return this.connections[i];
    return undefined;
  }

  /**
   * Open a pending dial. `protocol` is the subprotocol the server echoes; by default the first one
   * the client offered (a lane that offers none is told nothing, as before).
   */
  open(conn: ScriptedConnection, protocol?: string): void {
    conn.state = 'open';
    const echoed = protocol ?? conn.offered[0];
    queueMicrotask(() => (echoed === undefined ? conn.handlers.onOpen() : conn.handlers.onOpen({ protocol: echoed })));
  }

  /** Deliver one inbound text frame on the open connection. */
  deliver(conn: ScriptedConnection, text: string): void {
    const bytes = encoder.encode(text).length;
    queueMicrotask(() => {
      if (conn.state === 'open') conn.handlers.onMessage(text, bytes);
    });
  }

  /** Close from the server side (or the client side through `Transport.close`). */
  end(conn: ScriptedConnection, info: CloseInfo): void {
    if (conn.state === 'closed') return;
    conn.state = 'closed';
    queueMicrotask(() => conn.handlers.onClose(info));
  }
}

function parseSent(connection: number, text: string): SentFrame {
  try {
    const v: unknown = JSON.parse(text);
    if (Array.isArray(v) && v.length === 5) return { connection, text, joinRef: v[0], ref: v[1], topic: v[2], event: v[3], payload: v[4] };
    // A Spacetime client message: one tag (the event) and its body (the payload); no topic or refs.
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1) {
      const tag = Object.keys(v)[0]!;
      return { connection, text, joinRef: undefined, ref: undefined, topic: null, event: tag, payload: (v as Record<string, unknown>)[tag] };
    }
  } catch {
    // fall through: an unparseable frame is logged as is and will match nothing
  }
  return { connection, text, joinRef: undefined, ref: undefined, topic: undefined, event: undefined, payload: undefined };
}

/** Heartbeats are timer-driven and excluded from outbound matching (README, "Outbound frames"). */
export function isHeartbeat(f: SentFrame): boolean {
  // Spacetime's keep-alive is a timer-driven OneOffQuery on stream_head.
  return f.event === 'sync:heartbeat' || f.topic === 'phoenix' || (f.topic === null && f.event === 'OneOffQuery');
}
