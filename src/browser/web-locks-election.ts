import type { LeaderElection, TabRole } from './leader-election.js';

/**
 * Election by an exclusive Web Lock: the holder is leader and keeps the lock until it resigns;
 * the browser releases it when the tab closes or crashes, and grants it to the next tab queued
 * for it at once. A resigned tab also withdraws its queued request, so a frozen tab is never
 * elected.
 */
export function webLocksElection(name: string, locks: LockManager): LeaderElection {
  let role: TabRole = 'follower';
  let notify: (role: TabRole) => void = () => undefined;
  let release: (() => void) | undefined;
  let queued: AbortController | undefined;
  let standing = false;

  const set = (next: TabRole): void => {
    if (next === role) return;
    role = next;
    notify(next);
  };

  const request = (): void => {
    if (!standing || queued !== undefined || release !== undefined) return;
    const abort = new AbortController();
    queued = abort;
    locks
      .request(name, { mode: 'exclusive', signal: abort.signal }, () => {
        queued = undefined;
        // A request granted in the same turn as a resign is handed straight back.
        if (!standing) return undefined;
        return new Promise<void>((resolve) => {
          release = resolve;
          set('leader');
        });
      })
      .catch(() => {
        // Aborted by resign(): nothing to do.
        if (queued === abort) queued = undefined;
      });
  };

  const leave = (): void => {
    standing = false;
    queued?.abort();
    queued = undefined;
    const r = release;
    release = undefined;
    r?.();
    set('follower');
  };

  return {
    mechanism: 'web-locks',
    get role() {
      return role;
    },
    start(onChange) {
      notify = onChange;
      standing = true;
      request();
    },
    resign: leave,
    rejoin() {
      standing = true;
      request();
    },
    close: leave,
  };
}
