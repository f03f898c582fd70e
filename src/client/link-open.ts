import type { LaneSink } from '../adapters/lane.js';
import { ErrorCodes } from '../errors/codes.js';
import { TransportError } from '../errors/transport-error.js';
import { assertSecureUrl } from '../transport/secure-url.js';
import type { TransportHandlers } from '../transport/transport.js';
import type { ConnectionSettings } from './connection-settings.js';
import { inboundBudget } from './inbound-budget.js';
import { SocketLink } from './socket-link.js';

/** What a freshly opened link reports to its connection, besides the transport's events. */
export interface LinkEvents extends TransportHandlers {
  /** The link's transport paused (true) or resumed reading for the inbound budget. */
  paused(paused: boolean): void;
  /** The link's backlog went over budget and its transport cannot pause. */
  overflow(): void;
}

/**
 * A socket to the server with `token`, read through an inbound budget; the transport's events reach
 * `events` only while `live()`. Throws `insecure_transport` for a clear-text URL.
 */
export function openLink(settings: ConnectionSettings, token: string, live: (link: SocketLink) => boolean, events: (link: SocketLink) => LinkEvents): SocketLink {
  const url = settings.lane.buildUrl(settings.url, token, settings.clientInfo);
  assertSecureUrl(url, settings.allowInsecure);
  const link: SocketLink = new SocketLink(
    () => live(link),
    (self) =>
      inboundBudget(settings.maxInboundBytes, {
        transport: () => (self.live() ? self.transport : undefined),
        paused: (paused) => {
          on.paused(paused);
          // Silence while paused was ours: the dead-socket watchdog starts over.
          if (!paused) self.lastInbound = Date.now();
        },
        overflow: () => on.overflow(),
      }),
  );
  const on = events(link);
  link.transport = settings.transport(
    url,
    {
      onOpen: (info) => link.live() && on.onOpen(info),
      onMessage: (text, bytes) => link.live() && on.onMessage(text, bytes),
      onClose: (info) => link.live() && on.onClose(info),
    },
    { protocols: settings.lane.protocols, maxFrameBytes: settings.maxFrameBytes },
  );
  return link;
}

/** The transport opened: start the lane conversation on `link`, reporting to `sink`. */
export function startSession(settings: ConnectionSettings, link: SocketLink, sink: LaneSink): void {
  link.opened = true;
  link.lastInbound = Date.now();
  link.session = settings.lane.createSession({
    send: (text) => link.live() && link.transport?.send(text),
    sink,
    maxFrameBytes: settings.maxFrameBytes,
    clientInfo: settings.clientInfo,
  });
  link.session.start();
}

/**
 * True when the server picked a subprotocol the lane does not speak. A lane that offers subprotocols
 * speaks only those: a server that echoed none or another one would answer in a format the session
 * cannot read (SPACETIME_PROTOCOL §1.2, §5 rule 1). A transport that cannot tell (`selected`
 * undefined) is trusted.
 */
export function subprotocolRejected(offered: string[] | undefined, selected: string | undefined): boolean {
  return offered !== undefined && offered.length > 0 && selected !== undefined && !offered.includes(selected);
}

/** `subprotocol_mismatch`: the server selected `selected` (undefined: one the transport could not use). */
export function subprotocolMismatch(offered: string[], selected: string | undefined): TransportError {
  const what = selected === undefined ? 'an unusable subprotocol' : `subprotocol "${selected.slice(0, 80)}"`;
  return new TransportError(ErrorCodes.SUBPROTOCOL_MISMATCH, `server selected ${what}, expected one of ${offered.join(', ')}`, {
    details: { offered: [...offered], selected: selected?.slice(0, 80) ?? null },
  });
}
