import { request as httpRequest } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { FaultEvent, HttpFaultRule, HttpRequestInfo } from './fault-rules.js';
import { requestInfo } from './fault-rules.js';

/** Plain HTTP counters of the proxy. */
export interface HttpStats {
  /** Requests seen. */
  requests: number;
  /** Answered by a rule instead of the upstream. */
  injected: number;
  /** Forwarded and answered by the upstream. */
  forwarded: number;
  /** Forwarding failed (upstream unreachable): answered 502. */
  failed: number;
  /** Answers by HTTP status, injected and forwarded. */
  statuses: Record<string, number>;
}

/** What the handler needs from the proxy. */
export interface HttpFaultDeps {
  target: URL;
  /** `http:` or `https:` for the upstream. */
  httpScheme: string;
  /** The rules in force (their `times` counters are decremented in place). */
  rules(): HttpFaultRule[];
  stats: HttpStats;
  record(event: Omit<FaultEvent, 'n' | 'atMs'>): void;
  /** Observer of every request (credentials already removed). */
  observe: ((req: HttpRequestInfo) => void) | undefined;
}

/**
 * The proxy's plain-HTTP side: observe, apply the first armed matching rule (delay and/or an
 * injected status with `Retry-After`), otherwise forward to the target's origin with the same
 * method, path, query, headers and body.
 */
export function httpFaultHandler(deps: HttpFaultDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { stats, target } = deps;
  const countStatus = (status: number): void => {
    stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
  };

  const takeRule = (info: HttpRequestInfo): HttpFaultRule | undefined => {
    for (const r of deps.rules()) {
      if (r.times !== undefined && r.times <= 0) continue;
      if (r.pathPrefix !== undefined && !info.path.startsWith(r.pathPrefix)) continue;
      if (r.match && !r.match(info)) continue;
      if (r.times !== undefined) r.times -= 1;
      return r;
    }
    return undefined;
  };

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const doRequest = deps.httpScheme === 'https:' ? httpsRequest : httpRequest;
    const up = doRequest(
      { protocol: deps.httpScheme, hostname: target.hostname, port: target.port || undefined, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (ures) => {
        stats.forwarded += 1;
        countStatus(ures.statusCode ?? 502);
        res.writeHead(ures.statusCode ?? 502, ures.headers);
        ures.pipe(res);
      },
    );
    up.on('error', () => {
      stats.failed += 1;
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end('{"code":"bad_gateway"}');
      else res.destroy();
    });
    req.pipe(up);
  };

  return (req, res) => {
    stats.requests += 1;
    const info = requestInfo(req.method ?? 'GET', req.url ?? '/');
    deps.observe?.(info);
    const rule = takeRule(info);
    const act = (): void => {
      if (rule?.status === undefined) return forward(req, res);
      stats.injected += 1;
      countStatus(rule.status);
      deps.record({ kind: 'http', detail: `${rule.status} ${info.method} ${info.path}` });
      req.resume();
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (rule.retryAfterSeconds !== undefined) headers['retry-after'] = String(rule.retryAfterSeconds);
      res.writeHead(rule.status, headers).end(JSON.stringify({ code: rule.status === 429 ? 'rate_limited' : 'injected_fault', message: 'injected by the fault proxy' }));
    };
    if (rule?.delayMs) {
      deps.record({ kind: 'http', detail: `delay ${rule.delayMs}ms ${info.method} ${info.path}` });
      setTimeout(act, rule.delayMs);
    } else act();
  };
}
