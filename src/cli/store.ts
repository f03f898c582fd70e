import { parseArgs } from 'node:util';
import { isKhalaSyncError } from '../errors/index.js';
import { contractManifest } from '../migrate/contract.js';
import { inspectStore } from '../migrate/inspect.js';
import { migrateStore } from '../migrate/migrate.js';
import { rollbackManifest } from '../migrate/rollback.js';
import { verifyManifest } from '../migrate/verify.js';
import { ExitCodes, UsageError } from './exit-codes.js';

const HELP = `khala-sync store <command> …   store migrations (docs/migrations.md)
  inspect <store>                 kind, schema version, topics/streams, watermarks, row counts (read-only)
  migrate <source> [--target <sqlite>] [--to-streams] [--mapping <file>] [--worker <id>] [--out <dir>]
                                  import the desktop checkpoint JSON or a web-shell sync state into our
                                  SQLite store, or upgrade a SQLite store in place; writes a manifest
                                  (default <target>.migrations/<run id>/manifest.json) and backups
  verify <manifest>               recompute hashes and row counts from disk; fail on any difference
  rollback <manifest>             restore every store's exact pre-migration bytes from the backups
  contract <manifest>             drop the pre-migration shape (the legacy source), only if verify passes
stdout: one JSON object. Errors: 'khala-sync store: <code>: <message>' on stderr.
exit: 0 done; 1 refused or failed (typed error); 2 usage.
`;

const COMMANDS = new Set(['inspect', 'migrate', 'verify', 'rollback', 'contract']);

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        target: { type: 'string' },
        'to-streams': { type: 'boolean', default: false },
        mapping: { type: 'string' },
        worker: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function run(command: string, path: string, v: ReturnType<typeof parse>['values']): unknown {
  if (command !== 'migrate' && (v.target !== undefined || v['to-streams'] || v.mapping !== undefined || v.worker !== undefined || v.out !== undefined)) {
    throw new UsageError(`--target, --to-streams, --mapping, --worker and --out belong to 'store migrate', not 'store ${command}'`);
  }
  switch (command) {
    case 'inspect':
      return inspectStore(path);
    case 'migrate': {
      const { manifest, manifestPath } = migrateStore({ source: path, target: v.target, toStreams: v['to-streams'], mapping: v.mapping, worker: v.worker, out: v.out });
      return { status: manifest.status, manifest: manifestPath, run_id: manifest.run_id, stores: manifest.stores.map((s) => ({ store: s.store, path: s.path, counts: s.counts })) };
    }
    case 'verify': {
      const result = verifyManifest(path);
      return { status: 'verified', manifest: path, stores: result.stores };
    }
    case 'rollback': {
      const result = rollbackManifest(path);
      return { status: result.changed ? 'rolled_back' : 'unchanged', manifest: path, restored: result.restored, moved_aside: result.movedAside };
    }
    default: {
      const result = contractManifest(path);
      return { status: result.changed ? 'contracted' : 'unchanged', manifest: path, removed: result.removed };
    }
  }
}

/** `khala-sync store inspect|migrate|verify|rollback|contract`. */
export function runStore(argv: string[]): number {
  const { values: v, positionals } = parse(argv);
  if (v.help || positionals.length === 0) {
    process.stdout.write(HELP);
    return v.help ? ExitCodes.OK : ExitCodes.USAGE;
  }
  const [command, path, ...extra] = positionals;
  if (!COMMANDS.has(command!)) throw new UsageError(`unknown store command '${command}' (inspect, migrate, verify, rollback, contract)`);
  if (path === undefined || extra.length > 0) throw new UsageError(`'store ${command}' takes exactly one path`);
  try {
    process.stdout.write(`${JSON.stringify(run(command!, path, v), null, 2)}\n`);
    return ExitCodes.OK;
  } catch (err) {
    if (!isKhalaSyncError(err)) throw err;
    if (err.code === 'invalid_option') throw new UsageError(err.message);
    process.stderr.write(`khala-sync store: ${err.code}: ${err.message}\n`);
    return ExitCodes.FATAL;
  }
}
