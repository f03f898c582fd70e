import type { WebSocket } from 'ws';
import type { JsonObject } from '../util/json.js';
import type { TokenAuthority } from './auth.js';
import type { Journal } from './journal.js';
import type { CompatibilityWindow, ResolvedOptions } from './options.js';
import type { OutboundFrame } from './phoenix-frames.js';
import type { TopicCatalog } from './topic-catalog.js';
import type { ServerStats } from './types.js';

/** A one-shot (or n-shot) injected reply. */
export interface InjectedReply {
  payload: JsonObject;
  remaining: number;
}

/** Mutable state behind the fault switches. */
export interface FaultState {
  stalled: boolean;
  joinErrors: InjectedReply[];
  subscribeErrors: InjectedReply[];
  snapshotStatus: { status: number; retryAfterSeconds: number | undefined; remaining: number } | null;
  refuseUpgradeStatus: number | null;
}

/** Take the next injected reply from a queue, if any. */
export function takeInjected(queue: InjectedReply[]): JsonObject | undefined {
  const head = queue[0];
  if (!head) return undefined;
  head.remaining -= 1;
  if (head.remaining <= 0) queue.shift();
  return head.payload;
}

/** Everything a connection or channel needs from the server, passed explicitly instead of globals. */
export interface ServerContext {
  readonly options: ResolvedOptions;
  readonly catalog: TopicCatalog;
  readonly journal: Journal;
  readonly auth: TokenAuthority;
  readonly stats: ServerStats;
  readonly faults: FaultState;
  /** Revoked session id → reason (§8.5). */
  readonly revoked: Map<string, string>;
  compatibility: CompatibilityWindow;
  /** Send one frame unless output is stalled; counts `framesOut`. */
  send(ws: WebSocket, frame: OutboundFrame | string): void;
}

/** Frame sending shared by every socket: stall discards, closed sockets are skipped. */
export function makeSender(stats: ServerStats, faults: FaultState): ServerContext['send'] {
  return (ws, frame) => {
    if (faults.stalled || ws.readyState !== ws.OPEN) return;
    ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    stats.framesOut += 1;
  };
}
