import type { LaneSink } from '../adapters/lane.js';
import { ErrorCodes } from '../errors/codes.js';
import { TransportError } from '../errors/transport-error.js';
import { assertSecureUrl } from '../transport/secure-url.js';
import type { ConnectionSettings } from './connection-settings.js';
import { SocketLink, type LinkOwner } from './socket-link.js';

/**
 * A socket to the server with `token`, read through an inbound budget; the transport's events reach
 * `owner` only while the link serves it. Throws `insecure_transport` for a clear-text URL.
 */
export function openLink(settings: ConnectionSettings, token: string, owner: LinkOwner): SocketLink {
  const url = settings.lane.buildUrl(settings.url, token, settings.clientInfo);
  assertSecureUrl(url, settings.allowInsecure);
  const link = new SocketLink(owner, settings.maxInboundBytes);
  link.transport = settings.transport(url, link, { protocols: settings.lane.protocols, maxFrameBytes: settings.maxFrameBytes });
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
