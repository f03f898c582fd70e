/** Exit codes of the `khala-sync` command line (SDK_CONTRACTS §3). */
export const ExitCodes = Object.freeze({
  /** Done as asked (`--until-caught-up`, `--max-updates`, `--idle-exit`, SIGINT/SIGTERM), or a demo/harness that held. */
  OK: 0,
  /** Anything else fatal. */
  FATAL: 1,
  /** Bad command line. */
  USAGE: 2,
  /** The server refuses this build, protocol or schema. */
  UPGRADE_REQUIRED: 3,
  /** Authentication refused after a retry with a fresh token. */
  AUTH_REFUSED: 4,
});

/** Raised for a bad command line; `main` prints the message and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
