import type { Emitter } from '../util/emitter.js';
import type { SecretScrubber } from '../errors/secret-scrubber.js';
import type { SyncClientEvents } from './sync-client.js';

/** Log levels, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * Where the client writes its log lines; `console` fits. Each call gets a message and, for most
 * lines, structured fields. Neither ever holds a token (both pass through the client's scrubber).
 */
export interface SyncLogger {
  /** Lifecycle detail: status changes on the way to live, lane notices. */
  debug(message: string, fields?: Record<string, unknown>): void;
  /** Milestones: live, closed, reconnects, topics caught up or bootstrapped. */
  info(message: string, fields?: Record<string, unknown>): void;
  /** Retryable errors, stale cursors and their recovery, states that wait for the app. */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** Errors the client does not recover from by itself. */
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Writes one line at a level (dropped below the threshold). */
export type LogFn = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/**
 * A scrubbing, never-throwing writer to `logger` for lines at `level` or above, or undefined when
 * there is no logger (the client is silent and attaches nothing).
 */
export function createLog(logger: SyncLogger | undefined, level: LogLevel, scrubber: SecretScrubber): LogFn | undefined {
  if (logger === undefined) return undefined;
  return (at, message, fields) => {
    if (LEVELS.indexOf(at) < LEVELS.indexOf(level)) return;
    try {
      logger[at](scrubber.text(message), fields === undefined ? undefined : (scrubber.value(fields) as Record<string, unknown>));
    } catch {
      // A failing logger must not break sync.
    }
  };
}

/** Log the client's lifecycle: status changes, recoveries, caught-up, errors and lane notices. */
export function attachLogger(client: Emitter<SyncClientEvents>, log: LogFn): void {
  client.on('status', (status, reason) => {
    const level = status === 'live' || status === 'closed' ? 'info' : status === 'failed' || status === 'upgrade_required' || status === 'auth_required' ? 'warn' : 'debug';
    log(level, `khala-sync: status ${status}${reason === undefined ? '' : ` (${reason})`}`, { status, reason });
  });
  client.on('error', (e) => log(e.retryable ? 'warn' : 'error', `khala-sync: ${e.code}: ${e.message}`, e.toJSON()));
  client.on('stale', (s) => log('warn', `khala-sync: ${s.topic} cursor stale, recovering`, { ...s }));
  client.on('bootstrap', (b) => log('info', `khala-sync: ${b.topic} bootstrapped from snapshot`, { ...b }));
  client.on('caught_up', (c) => log('info', `khala-sync: ${c.topic} caught up`, { ...c }));
  client.on('notice', (n) => log('debug', `khala-sync: notice ${n.type}`, { ...n }));
}
