/** Why a long-running command was asked to stop. */
export type StopReason = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'parent_exited';

/** A subscription to the process's stop requests; see {@link watchStop}. */
export interface StopWatch {
  /** Resolves with the first stop request. Never rejects. */
  readonly stopped: Promise<StopReason>;
  /** Remove the signal handlers and the parent check (the command finished on its own). */
  dispose(): void;
}

/** Options of {@link watchStop}. */
export interface StopWatchOptions {
  /**
   * Also stop when the parent process goes away. Default: only when started by npm (`npx`,
   * `npm exec`, `npm run`), which runs the command under `sh -c`: a SIGTERM sent to `npx` kills that
   * shell, and without this check the command would keep running as an orphan of init.
   */
  watchParent?: boolean;
  /** How often the parent is checked, in ms. Default 500. */
  parentCheckMs?: number;
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** True when npm (npx, npm exec, npm run) started this process. */
function startedByNpm(): boolean {
  return process.env['npm_command'] !== undefined || process.env['npm_lifecycle_event'] !== undefined;
}

/**
 * Watch for the requests that must stop a long-running CLI command (`serve`, `tail`, `harness`):
 * SIGINT, SIGTERM, SIGHUP and — when started through npm — the death of the parent process. The
 * first request resolves `stopped` so the command can close its servers, children and stores; a
 * second signal while it is stopping exits at once with 128 + the signal number (the user insists).
 */
export function watchStop(options: StopWatchOptions = {}): StopWatch {
  let resolve!: (reason: StopReason) => void;
  const stopped = new Promise<StopReason>((r) => (resolve = r));
  let requested = false;
  const request = (reason: StopReason): void => {
    if (requested) return;
    requested = true;
    resolve(reason);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!requested) return request(signal as StopReason);
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15));
  };
  for (const s of SIGNALS) process.on(s, onSignal);

  let timer: ReturnType<typeof setInterval> | undefined;
  if (options.watchParent ?? startedByNpm()) {
    const parent = process.ppid;
    timer = setInterval(() => {
      // A dead parent's children are re-parented (to init or a subreaper): the pid changes.
      if (process.ppid !== parent) request('parent_exited');
    }, options.parentCheckMs ?? 500);
    timer.unref();
  }
  return {
    stopped,
    dispose: () => {
      for (const s of SIGNALS) process.off(s, onSignal);
      clearInterval(timer);
    },
  };
}
