import { ErrorCodes } from '../errors/codes.js';
import { ProtocolError } from '../errors/protocol-error.js';
import { TransportError } from '../errors/transport-error.js';
import type { SyncBatch } from '../model/types.js';
import type { CloseInfo, OpenInfo } from '../transport/transport.js';
import type { ConnectionSettings } from './connection-settings.js';
import { watchSilence, type DeadlineHost } from './link-deadlines.js';
import { linkSink, type SinkHost } from './link-sink.js';
import { LivenessProbes, type ProbeResult } from './liveness-probe.js';
import type { LinkOwner, SocketLink } from './socket-link.js';

/** What the sockets of a connection report to it besides their inbound traffic. */
export interface LinksHost extends SinkHost, DeadlineHost {
  /** A link's transport opened. */
  opened(link: SocketLink, info: OpenInfo | undefined): void;
  /** A link's transport closed. */
  closed(link: SocketLink, info: CloseInfo): void;
}

/**
 * The sockets of one connection, and the owner each of them reports to (socket-link.ts): which one
 * is current, their inbound traffic (liveness probes, the backlog budget), and those still closing.
 * Opens and closes go on to the connection, which decides what follows. A socket that serves
 * neither as the current one nor as the standby is not heard from: its link drops its events.
 */
export class SocketLinks implements LinkOwner {
  /** The current socket; undefined between sockets. */
  #link: SocketLink | undefined;
  readonly #probes = new LivenessProbes();
  /** Sockets closing and not yet released; made on the first close (an idle client has none). */
  #closing: Set<Promise<void>> | undefined;
  /** Every socket's batches commit through this one chain (two overlap during a token refresh). */
  #applying: Promise<void> = Promise.resolve();

  readonly #settings: ConnectionSettings;
  readonly #host: LinksHost;

  constructor(
    settings: ConnectionSettings,
    host: LinksHost,
  ) {
    this.#settings = settings;
    this.#host = host;
  }

  /** The current socket, if any. */
  get current(): SocketLink | undefined {
    return this.#link;
  }

  /**
   * Commit `batch` behind every batch already queued, from any socket: during a token refresh two
   * sockets deliver the same rows, and each batch is planned against the watermark the previous
   * one committed, so the second copy is dropped as a duplicate (SPEC.md A2). Once durable, the
   * status is recomputed and the current socket's session told the topic's watermark.
   */
  apply(batch: SyncBatch): Promise<void> {
    const run = this.#applying.then(async () => {
      await this.#host.driver.applyBatch(batch);
      this.#host.refresh();
      const w = this.#host.driver.lastApplied(batch.topic);
      if (w !== undefined) this.#link?.session?.committed?.(batch.topic, w);
    });
    this.#applying = run.catch(() => undefined);
    return run;
  }

  /** `link` (just dialled) is the current socket. */
  use(link: SocketLink): void {
    this.#link = link;
  }

  /** The current socket went away: close it with `code` and `reason`; pending probes find nothing connected. */
  drop(code: number, reason: string): void {
    const link = this.#link;
    this.#link = undefined;
    this.track(link?.close(code, reason));
    this.#probes.settle('not_connected');
  }

  /** A standby took over (token refresh): `link` becomes the current socket and the old one closes. */
  adopt(link: SocketLink): void {
    const old = this.#link;
    this.#link = link;
    link.clear('standby');
    link.keepAlive(this.#settings.heartbeatIntervalMs);
    watchSilence(link, this.#settings.deadAfterMs, this.#host);
    this.track(old?.close(1000, 'token refresh'));
    this.#probes.settle('alive');
  }

  /**
   * Heartbeat now; `dead` when no frame arrives within `timeoutMs`, and the socket is then replaced.
   * Overlapping probes share one outcome (and one replacement).
   */
  probe(timeoutMs: number): Promise<ProbeResult> {
    const link = this.#link;
    const session = link?.session;
    if (session === undefined || !link!.opened) return Promise.resolve('not_connected');
    // Not reading because of our own backlog: the server was heard from, and no reply could arrive.
    if (link!.inbound.over) return Promise.resolve('alive');
    const { result, started } = this.#probes.probe(timeoutMs, () => session.heartbeat());
    if (started) void result.then((r) => r === 'dead' && link === this.#link && this.#host.reconnect(undefined, 'probe_timeout'));
    return result;
  }

  /** Inbound frames (and their bytes) received on the current socket but not yet handled. */
  backlog(): { frames: number; bytes: number; paused: boolean } {
    const link = this.#link;
    return link === undefined ? { frames: 0, bytes: 0, paused: false } : { frames: link.inbound.depth, bytes: link.inbound.bytes, paused: link.inbound.over && !link.overflowed };
  }

  /** Track a closing socket until it is released. */
  track(closing: void | Promise<void>): void {
    if (closing === undefined) return;
    const p = closing.catch(() => undefined).finally(() => this.#closing?.delete(p));
    (this.#closing ??= new Set()).add(p);
  }

  /** Resolves once every socket closed here is released. */
  async released(): Promise<void> {
    while (this.#closing?.size) await Promise.all([...this.#closing]);
  }

  // What the links hear from their transports.

  /** Live while it is the current socket or the standby; a replaced socket's frames are dropped. */
  serves(link: SocketLink): boolean {
    return link === this.#link || this.#host.swap.of(link) !== undefined;
  }

  /** A link's transport paused (true) or resumed reading. */
  paused(_link: SocketLink, paused: boolean): void {
    if (paused) this.#host.metrics.inboundPauses++;
  }

  /** A link's transport opened. */
  onOpen(link: SocketLink, info: OpenInfo | undefined): void {
    this.#host.opened(link, info);
  }

  /** A frame arrived on a link. */
  onMessage(link: SocketLink, text: string, bytes: number): void {
    link.lastInbound = Date.now();
    if (link === this.#link) this.#probes.settle('alive');
    if (!link.overflowed) link.inbound.push(text, bytes);
  }

  /**
   * A frame that cannot be read arrived on a link (not UTF-8, or, with `reason`, breaking the
   * WebSocket protocol: the socket then closes): it counts as inbound traffic and is refused unread.
   */
  onUndecodable(link: SocketLink, bytes: number, reason: string | undefined): void {
    link.lastInbound = Date.now();
    if (link === this.#link) this.#probes.settle('alive');
    linkSink(this.#host, link).protocolError(new ProtocolError(ErrorCodes.MALFORMED_FRAME, reason ?? 'binary frame is not valid UTF-8', { details: { bytes, reason } }));
  }

  /**
   * The backlog went over budget on a socket that cannot pause: stop queueing its frames, finish the
   * ones held (all within budget), then reconnect; the new socket resumes from the durable watermark,
   * so what was dropped is delivered again. A standby that overflows is simply given up.
   */
  overflow(link: SocketLink): void {
    link.overflowed = true;
    this.#host.metrics.inboundOverflows++;
    if (this.#host.swap.of(link) !== undefined) return this.#host.swap.drop(ErrorCodes.INBOUND_OVERFLOW, 'inbound backlog above maxInboundBytes');
    this.#host.error(
      new TransportError(ErrorCodes.INBOUND_OVERFLOW, `inbound backlog above maxInboundBytes (${this.#settings.maxInboundBytes}) and the transport cannot pause; reconnecting once drained`, {
        retryable: true,
      }),
    );
    void link.inbound.drained().then(() => link === this.#link && this.#host.reconnect(undefined, 'inbound_overflow'));
  }

  /** A link's transport closed. */
  onClose(link: SocketLink, info: CloseInfo): void {
    this.#host.closed(link, info);
  }
}
