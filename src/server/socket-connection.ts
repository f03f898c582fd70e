import type { WebSocket, RawData } from 'ws';
import type { JsonObject } from '../util/json.js';
import type { VerifiedToken } from './auth.js';
import { SyncChannel } from './channel-session.js';
import type { ChannelEnd } from './channel-session.js';
import { evaluateCompatibility } from './compatibility.js';
import type { ClientCompatibility } from './compatibility.js';
import { PHOENIX_TOPIC, SYNC_TOPIC, UNMATCHED_TOPIC, parseInboundFrame, replyFrame } from './phoenix-frames.js';
import type { InboundFrame } from './phoenix-frames.js';
import { takeInjected } from './server-context.js';
import type { ServerContext } from './server-context.js';

/** The §3.2 reauth_required payload; `reason` defaults to `session_revoked`. */
export function reauthRequiredPayload(reason = 'session_revoked'): JsonObject {
  return { code: 'reauth_required', message: 'session access was revoked; sign in again', reauth_required: true, reason };
}

const textDecoder = new TextDecoder();

function rawToText(data: RawData): string {
  if (Array.isArray(data)) return textDecoder.decode(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return textDecoder.decode(new Uint8Array(data));
  return textDecoder.decode(data);
}

/** One authenticated WebSocket: Phoenix socket-level routing plus at most one `sync:v1` channel. */
export class SocketConnection {
  private current: SyncChannel | undefined;
  /** Phoenix socket id (`sync_session:<oa_session_id>`), the base of `subscription_id` (§2.1). */
  readonly socketId: string;

  constructor(
    private readonly ctx: ServerContext,
    readonly ws: WebSocket,
    readonly token: VerifiedToken,
    private readonly compatibility: ClientCompatibility,
    onClose: (connection: SocketConnection) => void,
  ) {
    this.socketId = `sync_session:${token.sessionId}`;
    ws.on('message', (data) => this.onMessage(rawToText(data)));
    ws.on('error', () => {
      /* 'close' follows; the error text may quote client input, so it is not logged. */
    });
    ws.on('close', () => {
      this.current?.end('silent');
      onClose(this);
    });
  }

  /** The live channel, if joined. */
  get channel(): SyncChannel | undefined {
    return this.current?.isAlive ? this.current : undefined;
  }

  /** End the channel (if any) while keeping the socket open. */
  endChannel(how: ChannelEnd): void {
    this.current?.end(how);
  }

  private onMessage(text: string): void {
    const frame = parseInboundFrame(text);
    if (!frame) {
      // Malformed frames are ignored, not fatal (§1.2); the text itself is never logged.
      this.ctx.options.log(`ignored malformed client frame (${text.length} chars)`);
      return;
    }
    if (frame.topic === PHOENIX_TOPIC && frame.event === 'heartbeat') {
      this.ctx.send(this.ws, replyFrame(frame.joinRef, frame.ref, PHOENIX_TOPIC, 'ok', {}));
      return;
    }
    if (frame.event === 'phx_join') return this.join(frame);
    const channel = this.channel;
    if (frame.topic === SYNC_TOPIC && channel) return channel.handle(frame);
    // No such channel (never joined, or ended by phx_close/phx_error): Phoenix's answer (§1.3).
    this.ctx.send(this.ws, replyFrame(frame.joinRef, frame.ref, frame.topic, 'error', UNMATCHED_TOPIC));
  }

  private join(frame: InboundFrame): void {
    const refuse = (response: JsonObject): void => {
      this.ctx.options.log(`join refused: ${typeof response.code === 'string' ? response.code : 'unmatched topic'}`);
      this.ctx.send(this.ws, replyFrame(frame.joinRef, frame.ref, frame.topic, 'error', response));
    };
    if (frame.topic !== SYNC_TOPIC) return refuse(UNMATCHED_TOPIC);
    // Phoenix closes the previous instance of a topic when it is joined again on the same socket.
    this.current?.end('phx_close');
    this.current = undefined;
    const injected = takeInjected(this.ctx.faults.joinErrors);
    if (injected) return refuse(injected);
    const revokedReason = this.ctx.revoked.get(this.token.sessionId);
    if (revokedReason !== undefined) return refuse(reauthRequiredPayload(revokedReason));
    const incompatible = evaluateCompatibility(this.ctx.compatibility, this.compatibility);
    if (incompatible) return refuse(incompatible);

    const allowed = this.token.scopes.filter((scope) => this.ctx.catalog.has(scope));
    const subscriptionId = `sub_${this.socketId}`;
    this.current = new SyncChannel(this.ctx, this.ws, frame.joinRef, subscriptionId, this.token.sessionId, allowed, (ended) => {
      if (this.current === ended) this.current = undefined;
    });
    this.ctx.stats.joins += 1;
    this.ctx.send(
      this.ws,
      replyFrame(frame.joinRef, frame.ref, SYNC_TOPIC, 'ok', { subscription_id: subscriptionId, allowed_topics: allowed, current_watermarks: [] }),
    );
  }
}
