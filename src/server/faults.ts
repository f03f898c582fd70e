import type { JsonObject } from '../util/json.js';
import type { FaultState, ServerContext } from './server-context.js';
import type { SnapshotStore } from './snapshot-store.js';
import type { SocketConnection } from './socket-connection.js';
import type { Faults } from './types.js';

/** Every switch off. */
export function initialFaultState(): FaultState {
  return { stalled: false, joinErrors: [], subscribeErrors: [], snapshotStatus: null, refuseUpgradeStatus: null };
}

/** What the switches act on. */
export interface FaultTargets {
  connections(): Iterable<SocketConnection>;
  snapshots: SnapshotStore;
  send: ServerContext['send'];
}

function count(times: number | undefined): number {
  const n = times ?? 1;
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError('times must be a positive integer');
  return n;
}

function httpStatus(status: number): number {
  if (!Number.isInteger(status) || status < 100 || status > 599) throw new RangeError('status must be an HTTP status code');
  return status;
}

/** The {@link Faults} API over the server's fault state. */
export function createFaults(state: FaultState, targets: FaultTargets): Faults {
  const joined = function* (): Generator<SocketConnection> {
    for (const c of targets.connections()) if (c.channel) yield c;
  };
  return {
    dropConnections() {
      for (const c of [...targets.connections()]) c.ws.terminate();
    },
    phxErrorAll() {
      for (const c of [...joined()]) c.endChannel('phx_error');
    },
    phxCloseAll() {
      for (const c of [...joined()]) c.endChannel('phx_close');
    },
    injectJoinError(payload, times) {
      state.joinErrors.push({ payload: structuredClone(payload) as JsonObject, remaining: count(times) });
    },
    injectSubscribeError(payload, times) {
      state.subscribeErrors.push({ payload: structuredClone(payload) as JsonObject, remaining: count(times) });
    },
    stall(on) {
      state.stalled = on;
    },
    pushRaw(text) {
      for (const c of joined()) targets.send(c.ws, text);
    },
    slowConsumer(action) {
      for (const c of [...joined()]) {
        const channel = c.channel!;
        channel.slowConsumer(channel.topics[0] ?? 'sync.unspecified', action);
      }
    },
    moveSnapshotGeneration(topic) {
      targets.snapshots.invalidate(topic);
    },
    snapshotStatus(status, retryAfterSeconds, times) {
      state.snapshotStatus = status === null ? null : { status: httpStatus(status), retryAfterSeconds, remaining: count(times) };
    },
    refuseUpgrades(status) {
      state.refuseUpgradeStatus = status === null ? null : httpStatus(status);
    },
  };
}
