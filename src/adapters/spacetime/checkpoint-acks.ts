import { ErrorCodes } from '../../errors/codes.js';
import { KhalaSyncError } from '../../errors/khala-sync-error.js';
import type { LaneSink } from '../lane.js';
import { callReducer } from './client-messages.js';

/** Options of checkpoint acknowledgement (`SpacetimeLaneOptions.checkpointAck`). Off unless given. */
export interface CheckpointAckOptions {
  /** `client_id` argument: this client's checkpoint rows are keyed `"<client_id>:<stream_id>"` (§2.1). Required. */
  clientId: string;
  /** Reducer to call. Default `ack_stream_checkpoint`. */
  reducer?: string;
  /** How long to wait for the reducer's reply before retrying, ms. Default 10 000. */
  timeoutMs?: number;
  /** Delay before retry `attempt` (1-based), ms. Default 500 ms doubling, at most 30 s. */
  retryDelay?: (attempt: number) => number;
}

/** Defaults of {@link CheckpointAckOptions}. */
export const CHECKPOINT_ACK_DEFAULTS = Object.freeze({ reducer: 'ack_stream_checkpoint', timeoutMs: 10_000 });

function defaultRetryDelay(attempt: number): number {
  return Math.min(500 * 2 ** Math.min(attempt - 1, 6), 30_000);
}

interface InFlight {
  stream: string;
  seq: number;
  attempt: number;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Mirrors local checkpoints to the server with `ack_stream_checkpoint` (SPACETIME_PROTOCOL §2.1, §3
 * "ResumeToken"). The local store stays the source of truth: an ack is sent only after a batch is
 * durable, it is fire-and-forget for delivery, and a failure is reported and retried with backoff.
 * Acks are coalesced per stream: at most one call in flight per stream, and the next call carries
 * the newest committed watermark, so a burst of batches costs one or two calls, not one per batch.
 * Replies are matched by the caller (the session checks `request_id` and `caller_connection_id`).
 */
export class CheckpointAcks {
  private readonly wanted = new Map<string, number>();
  private readonly busy = new Set<string>();
  private readonly inflight = new Map<number, InFlight>();
  private readonly retries = new Set<ReturnType<typeof setTimeout>>();
  private readonly reducer: string;
  private readonly timeoutMs: number;
  private readonly retryDelay: (attempt: number) => number;
  private disposed = false;

  constructor(
    private readonly options: CheckpointAckOptions,
    private readonly requestId: () => number,
    private readonly transmit: (text: string) => void,
    private readonly sink: LaneSink,
  ) {
    this.reducer = options.reducer ?? CHECKPOINT_ACK_DEFAULTS.reducer;
    this.timeoutMs = options.timeoutMs ?? CHECKPOINT_ACK_DEFAULTS.timeoutMs;
    this.retryDelay = options.retryDelay ?? defaultRetryDelay;
  }

  /** The reducer name replies are matched on. */
  get reducerName(): string {
    return this.reducer;
  }

  /** `stream` is durable up to `seq` locally: acknowledge it (now, or after the call in flight). */
  committed(stream: string, seq: number): void {
    if (this.disposed || seq <= (this.wanted.get(stream) ?? -1)) return;
    this.wanted.set(stream, seq);
    if (!this.busy.has(stream)) this.call(stream, 1);
  }

  /**
   * A `TransactionUpdate` this connection caused, for request `requestId`: `error` undefined when
   * the reducer committed. False when no ack is pending under that id (the caller counts it).
   */
  reply(requestId: number, error: string | undefined): boolean {
    const f = this.inflight.get(requestId);
    if (f === undefined) return false;
    this.inflight.delete(requestId);
    clearTimeout(f.timer);
    if (error !== undefined) {
      this.failed(f, `the server refused the checkpoint ack: ${error.slice(0, 200)}`);
      return true;
    }
    this.sink.notice?.({ type: 'checkpoint_ack', stream: f.stream, seq: f.seq, outcome: 'acked', attempt: f.attempt });
    this.busy.delete(f.stream);
    if ((this.wanted.get(f.stream) ?? 0) > f.seq) this.call(f.stream, 1);
    return true;
  }

  dispose(): void {
    this.disposed = true;
    for (const f of this.inflight.values()) clearTimeout(f.timer);
    for (const t of this.retries) clearTimeout(t);
    this.inflight.clear();
    this.retries.clear();
  }

  private call(stream: string, attempt: number): void {
    if (this.disposed) return;
    const seq = this.wanted.get(stream)!;
    const id = this.requestId();
    this.busy.add(stream);
    // durable_offset: the local store has no server offset of its own, so it mirrors the seq (OA's writer does the same, §2.2).
    const f: InFlight = { stream, seq, attempt, timer: setTimeout(() => this.timedOut(id), this.timeoutMs) };
    this.inflight.set(id, f);
    this.transmit(callReducer(this.reducer, [this.options.clientId, stream, seq, seq], id));
  }

  private timedOut(id: number): void {
    const f = this.inflight.get(id);
    if (f === undefined) return;
    this.inflight.delete(id);
    this.sink.notice?.({ type: 'reply_timeout', kind: 'reducer', id: String(id) });
    this.failed(f, `no reply to the checkpoint ack within ${this.timeoutMs} ms`);
  }

  private failed(f: InFlight, message: string): void {
    this.sink.notice?.({ type: 'checkpoint_ack', stream: f.stream, seq: f.seq, outcome: 'failed', attempt: f.attempt });
    this.sink.report?.(new KhalaSyncError('server', ErrorCodes.CHECKPOINT_ACK_FAILED, message, { topic: f.stream, retryable: true, details: { seq: f.seq, attempt: f.attempt } }));
    const t = setTimeout(() => {
      this.retries.delete(t);
      this.call(f.stream, f.attempt + 1);
    }, this.retryDelay(f.attempt));
    this.retries.add(t);
  }
}
