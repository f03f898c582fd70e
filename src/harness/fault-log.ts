import type { FaultProxy } from '../testing/fault-proxy.js';

/** Events kept per proxy in the report (the rest are counted). */
const FAULT_LOG_EVENTS = 100;

/** A proxy's seed, counters and first fault events (timing stripped: the schedule replays from the seed). */
export function faultLog(p: FaultProxy): Record<string, unknown> {
  const s = p.stats();
  return {
    seed: p.seed,
    connections: s.connections,
    cuts: s.cuts,
    faults: s.faults,
    to_client: s.toClient,
    to_server: s.toServer,
    http: s.http,
    events: p.events().slice(0, FAULT_LOG_EVENTS).map(({ atMs: _t, n: _n, ...e }) => e),
  };
}
