// The BroadcastChannel lease (the election used where Web Locks are missing), on Node's real
// BroadcastChannel: one leader among many, hand-over on release, takeover after a crashed leader
// within 2 s, and a contested claim that settles on one leader.
import { afterEach, describe, expect, it } from 'vitest';
import type { LeaderElection, TabRole } from '../../src/browser/leader-election.js';
import { leaseElection } from '../../src/browser/lease-election.js';
import { until } from '../client/harness.js';

const NAME = `lease-test-${process.pid}`;
let members: LeaderElection[] = [];
let raw: BroadcastChannel | undefined;

afterEach(() => {
  for (const m of members) m.close();
  raw?.close();
  members = [];
  raw = undefined;
});

function member(id: string, name = NAME): { election: LeaderElection; roles: TabRole[] } {
  const election = leaseElection(name, { id });
  const roles: TabRole[] = [];
  election.start((r) => roles.push(r));
  members.push(election);
  return { election, roles };
}

const leaders = (): LeaderElection[] => members.filter((m) => m.role === 'leader');

describe('BroadcastChannel lease election', () => {
  it('three members elect exactly one leader, and a closing leader hands over at once', async () => {
    member('m1');
    member('m2');
    member('m3');
    await until(() => leaders().length === 1, 'one leader');
    // Stable: renewals keep it.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(leaders()).toHaveLength(1);
    const first = leaders()[0]!;
    const closedAt = Date.now();
    first.close();
    members = members.filter((m) => m !== first);
    await until(() => leaders().length === 1, 'a new leader');
    expect(Date.now() - closedAt).toBeLessThan(2_000);
  });

  it('a leader that crashes (its lease stops, no release) is replaced within 2 s', async () => {
    raw = new BroadcastChannel(NAME);
    const lease = setInterval(() => raw!.postMessage({ kind: 'lease', id: '0-crashing' }), 250);
    const follower = member('m9');
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(follower.election.role).toBe('follower');
    clearInterval(lease); // crash: no release message
    const crashedAt = Date.now();
    await until(() => follower.election.role === 'leader', 'takeover', 5_000);
    expect(Date.now() - crashedAt).toBeLessThan(2_000);
  });

  it('a member that resigns (frozen) is not elected until it rejoins', async () => {
    const a = member('a');
    await until(() => a.election.role === 'leader', 'a leads');
    const b = member('b');
    a.election.resign();
    await until(() => b.election.role === 'leader', 'b leads');
    a.election.rejoin();
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(a.election.role).toBe('follower');
    expect(b.election.role).toBe('leader');
    expect(a.roles).toEqual(['leader', 'follower']);
  });

  it('two leaders (a split) heal to the lower id within a renewal', async () => {
    // Separate channel names first, so both become leader, then both talk on one channel.
    const a = leaseElection(`${NAME}-split`, { id: 'a' });
    const b = leaseElection(`${NAME}-split-other`, { id: 'b' });
    members.push(a, b);
    a.start(() => undefined);
    b.start(() => undefined);
    await until(() => a.role === 'leader' && b.role === 'leader', 'two leaders apart');
    raw = new BroadcastChannel(`${NAME}-split-other`);
    // Relay a's leases into b's channel: b hears a lower-id leader and steps down.
    const relay = setInterval(() => raw!.postMessage({ kind: 'lease', id: 'a' }), 100);
    await until(() => b.role === 'follower', 'b steps down');
    clearInterval(relay);
    expect(a.role).toBe('leader');
  });
});
