import type { ClientInfo, Lane, LaneNotice } from '../adapters/lane.js';
import { ErrorCodes } from '../errors/codes.js';
import type { KhalaSyncError } from '../errors/khala-sync-error.js';
import type { TransportFactory } from '../transport/transport.js';
import type { ClientStatus } from './options.js';
import type { TokenGrant } from './token-provider.js';

/** Resolved settings of a connection. */
export interface ConnectionSettings {
  url: string;
  lane: Lane;
  transport: TransportFactory;
  token: () => Promise<TokenGrant>;
  clientInfo: ClientInfo;
  reconnectDelay: (attempt: number) => number;
  allowInsecure: boolean;
  heartbeatIntervalMs: number;
  deadAfterMs: number;
  joinTimeoutMs: number;
  /** How long a subscribe may go without a reply or a batch of its topics, ms (SPEC.md S8). */
  subscribeTimeoutMs: number;
  stableAfterMs: number;
  maxFrameBytes: number;
  maxRefusals: number;
  /** Longest wait a server's `retry_after_ms`/`reconnect_after_ms` can impose on a reconnect, ms. */
  maxRetryAfterMs: number;
  /** Replace the socket before the token's `refresh_after_in` elapses. */
  tokenRefresh: boolean;
  /** Inbound backlog above which the socket stops being read (docs/architecture.md, Backpressure). */
  maxInboundBytes: number;
}

/** What the connection reports upward. */
export interface ConnectionHooks {
  status(status: ClientStatus, reason: string | undefined): void;
  error(error: KhalaSyncError): void;
  heartbeat(watermarks: Record<string, number>): void;
  /** A reconnect was scheduled. */
  reconnecting(info: { attempt: number; delayMs: number; reason: string }): void;
  /** The upgrade or the token endpoint refused the credentials. */
  authFailure(info: { httpStatus: number; reason: string; refreshAttempted: boolean }): void;
  /** A lane diagnostic (head probe, reply correlation, checkpoint ack) or a token refresh. */
  notice(notice: LaneNotice): void;
}

/** Statuses a connection stays in until `start` is called again. */
export const TERMINAL: ReadonlySet<ClientStatus> = new Set(['closed', 'upgrade_required', 'auth_required', 'incompatible_server']);

/** The terminal status a stop code leads to (SPEC.md C1): `reauth_required` asks for sign-in, the rest for an upgrade. */
export function statusForStopCode(code: string): ClientStatus {
  return code === ErrorCodes.REAUTH_REQUIRED ? 'auth_required' : 'upgrade_required';
}
