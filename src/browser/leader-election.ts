import { leaseElection } from './lease-election.js';
import { webLocksElection } from './web-locks-election.js';

/** A tab's part in the election. */
export type TabRole = 'leader' | 'follower';

/**
 * One tab's membership in the election among the tabs of an origin. At most one member is leader
 * at a time; when it leaves (closes, crashes, is frozen, resigns) another one is elected.
 */
export interface LeaderElection {
  /** Current role; every member starts as `follower` until elected. */
  readonly role: TabRole;
  /** `'web-locks'` or `'lease'`. */
  readonly mechanism: string;
  /** Join the election; `onChange` hears every role change. */
  start(onChange: (role: TabRole) => void): void;
  /** Leave it (frozen, closing): a leader hands over; nothing is requested until {@link rejoin}. */
  resign(): void;
  /** Stand again after {@link resign} (the tab resumed). */
  rejoin(): void;
  /** Leave for good. */
  close(): void;
}

/** Options of {@link createLeaderElection}. */
export interface LeaderElectionOptions {
  /** Lock / channel name; one per app and store. */
  name: string;
  /** `'auto'`: Web Locks when the browser has them, else the BroadcastChannel lease; or force `'web-locks'` / `'lease'`. Default `'auto'`. */
  mechanism?: 'auto' | 'web-locks' | 'lease';
  /** How long a silent lease leader counts as alive (fallback only): see {@link leaseElection}. Default 1000. */
  leaseMs?: number;
  /** How often the lease leader renews (fallback only): see {@link leaseElection}. Default 250. */
  renewMs?: number;
}

/** The best election the environment offers (see {@link LeaderElectionOptions.mechanism}). */
export function createLeaderElection(options: LeaderElectionOptions): LeaderElection {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  const mechanism = options.mechanism ?? 'auto';
  if (mechanism === 'web-locks' || (mechanism === 'auto' && locks !== undefined)) {
    if (locks === undefined) throw new TypeError('Web Locks are not available here');
    return webLocksElection(options.name, locks);
  }
  return leaseElection(options.name, { leaseMs: options.leaseMs, renewMs: options.renewMs });
}
