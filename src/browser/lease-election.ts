import type { LeaderElection, TabRole } from './leader-election.js';

type LeaseMessage = { kind: 'lease' | 'claim' | 'release'; id: string };

/** Options of {@link leaseElection}. */
export interface LeaseElectionOptions {
  /** A leader not heard from for this long is gone, ms. Default 1000. */
  leaseMs?: number;
  /** How often the leader renews its lease, and how long a claim waits for objections, ms. Default 250. */
  renewMs?: number;
  /** This member's id; the lowest id wins a contested claim. Default: random. */
  id?: string;
}

/** Defaults of {@link LeaseElectionOptions}. */
export const LEASE_ELECTION_DEFAULTS = Object.freeze({ leaseMs: 1000, renewMs: 250 });

/**
 * Election without Web Locks, over a BroadcastChannel: the leader posts a lease every `renewMs`;
 * a member that has heard no lease for `leaseMs` (or heard the leader's `release`) claims, and
 * becomes leader if within `renewMs` no lease and no claim with a lower id arrived. A leader that
 * hears another leader's lease with a lower id steps down, so a split (two claims crossing) heals
 * within one renewal. A crashed leader is replaced within about `leaseMs + 2 × renewMs`.
 */
export function leaseElection(name: string, options: LeaseElectionOptions = {}): LeaderElection {
  const leaseMs = options.leaseMs ?? LEASE_ELECTION_DEFAULTS.leaseMs;
  const renewMs = options.renewMs ?? LEASE_ELECTION_DEFAULTS.renewMs;
  const id = options.id ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  let role: TabRole = 'follower';
  let notify: (role: TabRole) => void = () => undefined;
  let channel: BroadcastChannel | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let lastLeaseAt = 0;
  let claim: { lowest: string; objected: boolean; timer: ReturnType<typeof setTimeout> } | undefined;

  const post = (kind: LeaseMessage['kind']): void => channel?.postMessage({ kind, id } satisfies LeaseMessage);
  const set = (next: TabRole): void => {
    if (next === role) return;
    role = next;
    notify(next);
  };

  const startClaim = (): void => {
    if (claim !== undefined || role === 'leader' || channel === undefined) return;
    post('claim');
    claim = {
      lowest: id,
      objected: false,
      timer: setTimeout(() => {
        const won = claim !== undefined && !claim.objected && claim.lowest === id;
        claim = undefined;
        if (!won || channel === undefined) return;
        set('leader');
        post('lease');
      }, renewMs),
    };
  };

  const onMessage = (event: MessageEvent<LeaseMessage>): void => {
    const msg = event.data;
    if (msg.id === id) return;
    if (msg.kind === 'lease') {
      lastLeaseAt = Date.now();
      if (claim !== undefined) claim.objected = true;
      if (role === 'leader' && msg.id < id) set('follower');
    } else if (msg.kind === 'claim') {
      if (role === 'leader') post('lease');
      else if (claim !== undefined && msg.id < claim.lowest) claim.lowest = msg.id;
    } else {
      lastLeaseAt = 0;
      startClaim();
    }
  };

  const tick = (): void => {
    if (role === 'leader') post('lease');
    else if (Date.now() - lastLeaseAt > leaseMs) startClaim();
  };

  const join = (): void => {
    if (channel !== undefined) return;
    channel = new BroadcastChannel(name);
    channel.onmessage = onMessage;
    timer = setInterval(tick, renewMs);
    // Claim at once: a sitting leader answers the claim with its lease.
    startClaim();
  };

  const leave = (): void => {
    if (claim !== undefined) clearTimeout(claim.timer);
    claim = undefined;
    clearInterval(timer);
    if (role === 'leader') post('release');
    channel?.close();
    channel = undefined;
    set('follower');
  };

  return {
    mechanism: 'lease',
    get role() {
      return role;
    },
    start(onChange) {
      notify = onChange;
      join();
    },
    resign: leave,
    rejoin: join,
    close: leave,
  };
}
