import { createServer, type Server } from 'node:http';
import type { LaneNotice } from '../adapters/lane.js';
import type { SyncClient } from '../client/sync-client.js';
import { healthLine } from '../observability/health.js';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from '../observability/prometheus.js';

/** What `tail --health` / `--metrics-port` asked for. */
export interface TailObserveOptions {
  /** Print a health line on stderr every this many ms; undefined: never. */
  healthEveryMs: number | undefined;
  /** Serve `/metrics` on 127.0.0.1 at this port (0: any free port); undefined: no server. */
  metricsPort: number | undefined;
  /** Print each lane or connection notice (token refresh, head probe...) on stderr. Default false. */
  notices?: boolean;
}

/** One notice as a terminal line: its type, then its fields as `key=value` (objects as JSON). */
export function noticeLine(n: LaneNotice): string {
  const fields = Object.entries(n)
    .filter(([k, v]) => k !== 'type' && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return [n.type, ...fields].join(' ');
}

/**
 * Start what `tail` reports about itself besides updates: a one-line health summary on stderr
 * (stdout stays pure JSON lines) and a Prometheus `/metrics` endpoint. The endpoint listens on
 * loopback only: metrics name topics, which is not for every network. Resolves to a stop function.
 */
export async function startTailObserve(client: SyncClient, options: TailObserveOptions): Promise<() => Promise<void>> {
  const registry = client.metrics;
  if (registry === undefined && (options.healthEveryMs !== undefined || options.metricsPort !== undefined)) throw new Error('the client has no metrics registry: create it with metrics: clientMetrics()');
  let timer: ReturnType<typeof setInterval> | undefined;
  if (options.healthEveryMs !== undefined) timer = setInterval(() => process.stderr.write(`[health] ${healthLine(registry!.health())}\n`), options.healthEveryMs);
  const onNotice = (n: LaneNotice): void => void process.stderr.write(`[notice] ${noticeLine(n)}\n`);
  if (options.notices === true) client.on('notice', onNotice);
  let server: Server | undefined;
  if (options.metricsPort !== undefined) {
    const s = createServer((req, res) => {
      if ((req.url ?? '/').split('?')[0] !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
        return;
      }
      const body = renderPrometheus(registry!.snapshot());
      res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) }).end(req.method === 'HEAD' ? undefined : body);
    });
    server = s;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(options.metricsPort, '127.0.0.1', () => resolve());
    });
    const address = s.address();
    const port = typeof address === 'object' && address !== null ? address.port : options.metricsPort;
    process.stderr.write(`[tail] metrics on http://127.0.0.1:${port}/metrics\n`);
  }
  return async () => {
    clearInterval(timer);
    client.off('notice', onNotice);
    if (server !== undefined) await new Promise<void>((resolve) => server!.close(() => resolve()));
  };
}
