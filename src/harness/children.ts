import type { ChildProcess } from 'node:child_process';

// Processes the harness spawned (the `tail` runs of the crash drills) and that are still alive, so
// an interrupted harness can kill them instead of leaving them running as orphans.
const alive = new Set<ChildProcess>();

/** Remember `child` until it exits. Returns it. */
export function trackChild<T extends ChildProcess>(child: T): T {
  alive.add(child);
  child.once('exit', () => alive.delete(child));
  return child;
}

/** SIGKILL every tracked child that is still running; returns how many were killed. */
export function killChildren(): number {
  let killed = 0;
  for (const child of alive) {
    if (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')) killed++;
  }
  alive.clear();
  return killed;
}
