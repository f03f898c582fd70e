import { redact } from '../errors/redact.js';
import { runDemo } from './demo.js';
import { ExitCodes, UsageError } from './exit-codes.js';
import { runHarnessCommand } from './harness.js';
import { runServe } from './serve.js';
import { runStore } from './store.js';
import { runTail } from './tail.js';

const HELP = `khala-sync <command> [options]

Commands:
  demo     run the end-to-end story on an embedded server (replay, live, restart, stale bootstrap)
  tail     connect, subscribe, print every applied update as a JSON line
  serve    start the reference server
  harness  run the replay/resume and chaos scenario matrix; write summary.json + SUMMARY.md
  store    inspect, migrate, verify, roll back and contract stores (docs/migrations.md)
  help     this text

Run 'khala-sync <command> --help' for a command's options.
`;

/** CLI entry point: returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'demo':
        return await runDemo(rest);
      case 'tail':
        return await runTail(rest);
      case 'serve':
        return await runServe(rest);
      case 'harness':
        return await runHarnessCommand(rest);
      case 'store':
        return runStore(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(HELP);
        return command === undefined ? ExitCodes.USAGE : ExitCodes.OK;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`khala-sync: ${redact(err.message)}\n${HELP}`);
      return ExitCodes.USAGE;
    }
    process.stderr.write(`khala-sync: ${redact(err instanceof Error ? err.message : String(err))}\n`);
    return ExitCodes.FATAL;
  }
}
