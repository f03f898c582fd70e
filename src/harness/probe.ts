import type { SyncClientOptions } from '../client/options.js';
import { currentTimeline } from './kpi-timeline.js';
import { SyncClient } from '../client/sync-client.js';
import { clientMetrics } from '../observability/client-metrics.js';
import type { SyncUpdate } from '../model/types.js';
import { createSqliteStore } from '../sqlite.js';
import type { SeededRandom } from '../testing/seeded-random.js';
import type { SyncStore } from '../watermarks/store.js';
import type { Observed } from './invariant.js';

/**
 * Everything one logical client applied, across its process lifetimes (a store reopened by a new
 * client continues the same history). Exactly-once is judged here.
 */
export class AppliedHistory {
  /** Applied watermarks per topic, in apply order. */
  readonly applied = new Map<string, number[]>();
  /** Highest snapshot head applied per topic. */
  readonly bootstrapHeads = new Map<string, number>();
  duplicates = 0;
  outOfOrder = 0;
  /** First few violations, for the report. */
  readonly violations: string[] = [];
  private readonly seen = new Map<string, Set<number>>();
  private readonly highest = new Map<string, number>();

  record(topic: string, seq: number): void {
    let seen = this.seen.get(topic);
    if (!seen) this.seen.set(topic, (seen = new Set()));
    const list = this.applied.get(topic) ?? [];
    this.applied.set(topic, list);
    if (seen.has(seq)) {
      this.duplicates += 1;
      this.violation(`${topic}: seq ${seq} applied twice`);
    }
    const top = this.highest.get(topic) ?? this.bootstrapHeads.get(topic) ?? 0;
    if (seq <= top && !seen.has(seq)) {
      this.outOfOrder += 1;
      this.violation(`${topic}: seq ${seq} applied after ${top}`);
    }
    seen.add(seq);
    list.push(seq);
    this.highest.set(topic, Math.max(top, seq));
  }

  bootstrap(topic: string, head: number): void {
    this.bootstrapHeads.set(topic, Math.max(head, this.bootstrapHeads.get(topic) ?? 0));
    // After a snapshot the client is at `head`; later applies must be above it.
    this.highest.set(topic, head);
  }

  count(topic?: string): number {
    if (topic !== undefined) return this.applied.get(topic)?.length ?? 0;
    let n = 0;
    for (const l of this.applied.values()) n += l.length;
    return n;
  }

  private violation(text: string): void {
    if (this.violations.length < 20) this.violations.push(text);
  }
}

/** What a probe saw, besides applied updates. */
export interface ProbeLog {
  errors: Array<{ code: string; topic: string | undefined; at: number }>;
  statuses: Array<{ status: string; reason: string | undefined; at: number }>;
  stale: Array<{ topic: string; reason: string | undefined; at: number }>;
  bootstraps: Array<{ topic: string; head: number; at: number }>;
  caughtUp: Array<{ topic: string; at: number }>;
}

/** Options of {@link Probe}: client options plus a shared history and an optional SQLite path. */
export interface ProbeOptions extends Omit<SyncClientOptions, 'store'> {
  history?: AppliedHistory;
  /** Keep every applied update (the deployment oracle builds its journal from them). Default false. */
  recordUpdates?: boolean;
  /** Open a SQLite store at this path (else `store`, else memory). */
  sqlitePath?: string;
  store?: SyncStore;
}

/** A real `SyncClient` wired to record what it applies and reports. */
export class Probe {
  readonly client: SyncClient;
  readonly history: AppliedHistory;
  readonly log: ProbeLog = { errors: [], statuses: [], stale: [], bootstraps: [], caughtUp: [] };
  readonly createdAt = Date.now();
  /** Every applied update, when `recordUpdates` was set. */
  readonly updates: SyncUpdate[] = [];
  /** Connection attempts (status `connecting`). */
  attempts = 0;
  private closed = false;

  constructor(options: ProbeOptions) {
    const { history, sqlitePath, store, recordUpdates, ...rest } = options;
    this.history = history ?? new AppliedHistory();
    // The harness checks every body, socket updates included (#11: the default checks HTTP bodies only).
    const timeline = currentTimeline();
    // The timeline samples each client's lag from its health, which the metrics plug-in keeps.
    const metrics = rest.metrics ?? (timeline === undefined ? undefined : clientMetrics());
    this.client = new SyncClient({ verifyPayloadHash: 'all', ...rest, metrics, store: sqlitePath ? createSqliteStore({ path: sqlitePath }) : store });
    const c = this.client;
    timeline?.track(c);
    c.on('updates', (b) => {
      for (const u of b.updates) this.history.record(u.topic, u.watermark);
      if (recordUpdates) this.updates.push(...b.updates);
    });
    c.on('bootstrap', (b) => {
      this.history.bootstrap(b.topic, b.headWatermark);
      this.log.bootstraps.push({ topic: b.topic, head: b.headWatermark, at: Date.now() });
    });
    c.on('stale', (s) => this.log.stale.push({ topic: s.topic, reason: s.reason, at: Date.now() }));
    c.on('caught_up', (x) => this.log.caughtUp.push({ topic: x.topic, at: Date.now() }));
    c.on('error', (e) => this.log.errors.push({ code: e.code, topic: e.topic, at: Date.now() }));
    c.on('status', (status, reason) => {
      if (status === 'connecting') this.attempts += 1;
      this.log.statuses.push({ status, reason, at: Date.now() });
    });
  }

  async start(): Promise<this> {
    await this.client.connect();
    return this;
  }

  /** Cursors loaded from the store (after `subscribe` resolved). */
  async storedCursor(topic: string): Promise<number | undefined> {
    await this.client.subscribe([]);
    return this.client.getWatermark(topic);
  }

  errorCodes(): string[] {
    return this.log.errors.map((e) => e.code);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.close();
  }
}

/** Observed view of a live client (what the invariant compares with the truth). */
export function observe(probe: Probe): Observed {
  return { watermark: (t) => probe.client.getWatermark(t), documents: (t) => probe.client.listDocuments(t) };
}

/** Reconnect delays for harness clients: seeded full jitter, 40 ms doubling to 1 s. */
export function fastBackoff(rnd: SeededRandom): (attempt: number) => number {
  return (attempt) => Math.floor(rnd.next() * Math.min(40 * 2 ** Math.min(attempt - 1, 10), 1000));
}

/** Resolve when `ok()` holds (polled every 10 ms); reject with `what` after `timeoutMs` or on abort. */
export function until(ok: () => boolean, what: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = (): void => {
      if (signal?.aborted) return reject(new Error(`aborted while waiting for ${what}`));
      let done = false;
      try {
        done = ok();
      } catch (err) {
        return reject(err as Error);
      }
      if (done) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
