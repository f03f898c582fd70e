import { parseArgs } from 'node:util';
import { SyncClient } from '../client/sync-client.js';
import type { SyncClientOptions } from '../client/options.js';
import { createSpacetimeLane } from '../adapters/spacetime/index.js';
import { ErrorCodes } from '../errors/codes.js';
import type { SyncStore } from '../watermarks/store.js';
import { createMemoryStore } from '../watermarks/memory-store.js';
import { clientMetrics } from '../observability/client-metrics.js';
import { ExitCodes, UsageError } from './exit-codes.js';
import { watchStop } from './stop-signal.js';
import { startTailObserve } from './tail-observe.js';
import { httpHydrator, httpSnapshotSource, tokenEndpoint } from '../http.js';

/** How often `--health` prints its summary when `--health-interval` is not given, ms. */
const HEALTH_INTERVAL_MS = 5000;

const HELP = `khala-sync tail --url <ws(s) url> --topic <t> [--topic <t> ...]
  [--lane khala|spacetime]            wire protocol (default khala); spacetime: SpacetimeDB v1 JSON,
                                      --url is the database URL (…/v1/database/<db>/subscribe)
  [--token <jwt> | --token-url <url>] or env KHALA_SYNC_TOKEN; --token-url POSTs once per connection
  [--store memory | sqlite:<path>]    default memory; sqlite persists watermarks + documents
  [--snapshot-url <base>] [--hydrate-url <base>]
  [--client-build-id <id>] [--schema-version <n>]
  [--until-caught-up] [--max-updates <n>] [--idle-exit <ms>]
  [--verify-hashes]                   check payload_hash of socket updates too (default: HTTP bodies only)
  [--allow-insecure]                  allow ws:// and http:// (socket, token, snapshot, hydrate URLs) to a non-loopback host
  [--health] [--health-interval <ms>] one-line health summary on stderr every ${HEALTH_INTERVAL_MS} ms (or <ms>)
  [--metrics-port <port>]             serve Prometheus /metrics on 127.0.0.1:<port> while running (0: any)
  [--verbose]                         diagnostics on stderr: token refreshes, head probes and gaps, reply
                                      correlation, checkpoint acks (one [notice] line each)
stdout: one JSON object per line (update, caught_up, stale, bootstrap, status, error).
exit: 0 done, 2 usage, 3 upgrade required, 4 authentication refused, 1 other fatal.
`;

/** Open the store named by `--store`. */
export async function openStore(spec: string): Promise<SyncStore> {
  if (spec === 'memory') return createMemoryStore();
  if (spec.startsWith('sqlite:') && spec.length > 'sqlite:'.length) {
    // Loaded lazily so the memory path never needs the native module.
    const { createSqliteStore } = await import('../sqlite.js');
    return createSqliteStore({ path: spec.slice('sqlite:'.length) });
  }
  throw new UsageError(`--store must be 'memory' or 'sqlite:<path>', got '${spec}'`);
}

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`${name} must be a non-negative integer`);
  return n;
}

/** `khala-sync tail` (SDK_CONTRACTS §3). */
export async function runTail(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        topic: { type: 'string', multiple: true },
        lane: { type: 'string', default: 'khala' },
        token: { type: 'string' },
        'token-url': { type: 'string' },
        store: { type: 'string', default: 'memory' },
        'snapshot-url': { type: 'string' },
        'hydrate-url': { type: 'string' },
        'client-build-id': { type: 'string' },
        'schema-version': { type: 'string' },
        'until-caught-up': { type: 'boolean', default: false },
        'max-updates': { type: 'string' },
        'idle-exit': { type: 'string' },
        'verify-hashes': { type: 'boolean', default: false },
        'allow-insecure': { type: 'boolean', default: false },
        health: { type: 'boolean', default: false },
        'health-interval': { type: 'string' },
        'metrics-port': { type: 'string' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(HELP);
    return ExitCodes.OK;
  }
  if (!v.url) throw new UsageError('--url is required');
  const topics = v.topic ?? [];
  if (topics.length === 0) throw new UsageError('at least one --topic is required');
  if (v.lane !== 'khala' && v.lane !== 'spacetime') throw new UsageError(`--lane must be 'khala' or 'spacetime', got '${v.lane}'`);
  const envToken = process.env['KHALA_SYNC_TOKEN'];
  let token: string;
  if (v.token && v['token-url']) throw new UsageError('give --token or --token-url, not both');
  if (v['token-url']) token = v['token-url'];
  else if (v.token) token = v.token;
  else if (envToken) token = envToken;
  else throw new UsageError('a token is required: --token, --token-url or KHALA_SYNC_TOKEN');
  const maxUpdates = positiveInt('--max-updates', v['max-updates']);
  const idleExit = positiveInt('--idle-exit', v['idle-exit']);
  const schemaVersion = positiveInt('--schema-version', v['schema-version']);
  const healthInterval = positiveInt('--health-interval', v['health-interval']);
  const metricsPort = positiveInt('--metrics-port', v['metrics-port']);
  if (metricsPort !== undefined && metricsPort > 65535) throw new UsageError('--metrics-port must be a port number (0–65535)');
  if (healthInterval !== undefined && healthInterval < 100) throw new UsageError('--health-interval must be at least 100 ms');

  // The HTTP plug-ins check their URLs when made: a refused one is reported like a client error.
  const allowInsecure = v['allow-insecure'];
  let http: Pick<SyncClientOptions, 'token' | 'snapshot' | 'hydrator'>;
  try {
    http = {
      token: v['token-url'] ? tokenEndpoint({ url: token, allowInsecure }) : token,
      ...(v['snapshot-url'] ? { snapshot: httpSnapshotSource({ baseUrl: v['snapshot-url'], allowInsecure }) } : {}),
      ...(v['hydrate-url'] ? { hydrator: httpHydrator({ baseUrl: v['hydrate-url'], allowInsecure }) } : {}),
    };
  } catch (err) {
    line({ type: 'error', code: (err as { code?: string }).code ?? 'internal', message: (err as Error).message });
    return ExitCodes.FATAL;
  }
  const store = await openStore(v.store);
  const client = new SyncClient({
    url: v.url,
    ...(v.lane === 'spacetime' ? { lane: createSpacetimeLane() } : {}),
    ...http,
    store,
    topics,
    allowInsecure,
    verifyPayloadHash: v['verify-hashes'] ? 'all' : 'fetched',
    metrics: clientMetrics(),
    clientInfo: {
      client: 'khala-sync-tail',
      ...(v['client-build-id'] ? { clientBuildId: v['client-build-id'] } : {}),
      ...(schemaVersion !== undefined ? { schemaVersion } : {}),
    },
  });
  const healthEveryMs = v.health || healthInterval !== undefined ? (healthInterval ?? HEALTH_INTERVAL_MS) : undefined;
  let stopObserve: () => Promise<void>;
  try {
    stopObserve = await startTailObserve(client, { healthEveryMs, metricsPort, notices: v.verbose });
  } catch (err) {
    await client.close();
    throw new UsageError(`--metrics-port ${metricsPort}: ${(err as Error).message}`);
  }
  try {
    return await tailLoop(client, topics, { untilCaughtUp: v['until-caught-up'], maxUpdates, idleExit, store: v.store });
  } finally {
    await stopObserve();
  }
}

function line(obj: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

async function tailLoop(client: SyncClient, topics: string[], opts: { untilCaughtUp: boolean; maxUpdates: number | undefined; idleExit: number | undefined; store: string }): Promise<number> {
  let printed = 0;
  const caughtUp = new Set<string>();
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  let finish!: (code: number) => void;
  const done = new Promise<number>((resolve) => (finish = resolve));
  let exiting = false;
  const exit = (code: number): void => {
    if (exiting) return;
    exiting = true;
    finish(code);
  };
  const armIdle = (): void => {
    if (opts.idleExit === undefined) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => exit(ExitCodes.OK), opts.idleExit);
  };

  client.on('updates', (b) => {
    for (const u of b.updates) {
      if (exiting) return;
      line({ type: 'update', topic: u.topic, seq: u.watermark, doc_key: u.docKey, doc_version: u.docVersion, payload: u.payload, replayed: b.replayed });
      printed++;
      if (opts.maxUpdates !== undefined && printed >= opts.maxUpdates) exit(ExitCodes.OK);
    }
    armIdle();
  });
  client.on('caught_up', (c) => {
    line({ type: 'caught_up', topic: c.topic, watermark: c.watermark ?? null });
    caughtUp.add(c.topic);
    if (opts.untilCaughtUp && topics.every((t) => caughtUp.has(t))) exit(ExitCodes.OK);
  });
  client.on('stale', (s) => line({ type: 'stale', topic: s.topic, reason: s.reason ?? null, resume_after: s.resumeAfter ?? null, retention_floor: s.retentionFloor ?? null, head_watermark: s.headWatermark ?? null }));
  client.on('bootstrap', (b) => line({ type: 'bootstrap', topic: b.topic, head_watermark: b.headWatermark, docs: b.documents }));
  client.on('status', (status, reason) => {
    line({ type: 'status', status, reason: reason ?? null });
    process.stderr.write(`[tail] ${status}${reason ? ` (${reason})` : ''}\n`);
    if (status === 'upgrade_required' || status === 'incompatible_server') exit(ExitCodes.UPGRADE_REQUIRED);
    else if (status === 'auth_required') exit(ExitCodes.AUTH_REFUSED);
    else if ((status === 'closed' || status === 'failed') && !exiting) exit(ExitCodes.FATAL);
  });
  client.on('error', (e) => {
    line({ type: 'error', code: e.code, message: e.message, ...(e.topic ? { topic: e.topic } : {}) });
    if (e.code === ErrorCodes.AUTH_REFUSED) exit(ExitCodes.AUTH_REFUSED);
  });
  const stop = watchStop();
  let stopReason: string | undefined;
  void stop.stopped.then((reason) => {
    stopReason = reason;
    exit(ExitCodes.OK);
  });
  armIdle();
  try {
    await client.connect();
  } catch (err) {
    line({ type: 'error', code: (err as { code?: string }).code ?? 'internal', message: (err as Error).message });
    exit(ExitCodes.FATAL);
  }
  const code = await done;
  clearTimeout(idleTimer);
  await client.close(); // flushes pending writes and closes the store
  stop.dispose();
  const where = opts.store === 'memory' ? 'store: memory (discarded)' : `store: ${opts.store} (flushed and closed)`;
  process.stderr.write(`[tail] ${stopReason ? `stopped (${stopReason}); ` : ''}${printed} update(s) printed to stdout; ${where}\n`);
  return code;
}
