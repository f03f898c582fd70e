import { parseArgs } from 'node:util';
import { startReferenceServer } from '../server/index.js';
import { ExitCodes, UsageError } from './exit-codes.js';
import { watchStop } from './stop-signal.js';

const HELP = `khala-sync serve [--port <n>] [--host <h>] [--seed <n>] [--publish-every <ms>]
  Start the reference Khala server (khala.ws.v1) with its token, snapshot, hydration and
  publish endpoints. --seed publishes n events on runtime.run_summaries at start;
  --publish-every keeps publishing one event per interval. Stops (server closed) on SIGINT, SIGTERM,
  SIGHUP, or when started through npx/npm and the npm process goes away.
`;

/** `khala-sync serve`. Prints endpoint URLs (never a token) and runs until a signal. */
export async function runServe(argv: string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args: argv,
      options: {
        port: { type: 'string', default: '4100' },
        host: { type: 'string', default: '127.0.0.1' },
        seed: { type: 'string', default: '0' },
        'publish-every': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (v.help) {
    process.stdout.write(HELP);
    return ExitCodes.OK;
  }
  const port = Number(v.port);
  const seed = Number(v.seed);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0..65535');
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError('--seed must be a non-negative integer');
  // Watch before listening: a stop request during start-up still closes the server.
  const stop = watchStop();
  const server = await startReferenceServer({ port, host: v.host });
  const topic = 'runtime.run_summaries';
  let n = 0;
  const publishOne = (): void => {
    n++;
    server.publish(topic, [{ docKey: `runtime/run_summary:run_${n % 25}`, payload: { run_id: `run_${n % 25}`, status: n % 7 === 0 ? 'finished' : 'running', event_count: n } }]);
  };
  for (let i = 0; i < seed; i++) publishOne();
  const every = v['publish-every'] === undefined ? undefined : Number(v['publish-every']);
  const timer = every && every > 0 ? setInterval(publishOne, every) : undefined;
  process.stdout.write(
    `${JSON.stringify({ socket: server.url, token_url: server.tokenUrl, snapshot_url: server.snapshotUrl, hydrate_url: server.hydrateUrl, publish_url: server.publishUrl })}\n`,
  );
  process.stderr.write(`[serve] listening on ${server.httpUrl}; try:\n  khala-sync tail --url ${server.url} --token-url ${server.tokenUrl} --topic ${topic}\n`);
  const reason = await stop.stopped;
  clearInterval(timer);
  await server.close();
  stop.dispose();
  process.stderr.write(`[serve] stopped (${reason}); the server on ${server.httpUrl} is closed. Output: endpoints on stdout, this log on stderr; nothing was written to disk\n`);
  return ExitCodes.OK;
}
