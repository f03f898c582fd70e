import { ErrorCodes } from '../errors/codes.js';
import { KhalaSyncError } from '../errors/khala-sync-error.js';
import type { AppliedBatch } from '../replay/events.js';
import type { Emitter } from '../util/emitter.js';
import { abortError, type WaitOptions } from './abort.js';
import type { ReplayDriver } from './replay-driver.js';
import type { SyncClientEvents } from './sync-client.js';

/** Options of `client.updates()`. */
export interface UpdatesOptions extends WaitOptions {
  /** Topics whose batches are yielded (a name or a list). Default every topic. */
  topics?: string | readonly string[] | undefined;
  /**
   * Batches held for a consumer that is behind. When full, the client stops applying until the
   * consumer takes one (the socket is then paused by the inbound budget). Default 16.
   */
  bufferSize?: number | undefined;
}

/** Default of {@link UpdatesOptions.bufferSize}. */
export const UPDATES_BUFFER_SIZE = 16;

/** The client's public side the iterator follows: its `updates` events and its changes. */
export interface UpdatesClient extends Pick<Emitter<SyncClientEvents>, 'on' | 'off'> {
  /** Register a change listener; returns its removal. */
  onChange(listener: () => void): () => void;
}

type Pending = { resolve: (r: IteratorResult<AppliedBatch, undefined>) => void; reject: (e: unknown) => void };

/**
 * `for await (const batch of client.updates())`: applied batches, in order, through a bounded
 * buffer whose fullness holds the client's apply chain, so a slow consumer slows the socket instead
 * of growing memory. `break`/`return()` ends it; an abort ends it with the `aborted` error (the
 * buffered batches are dropped); `close()` ends it after the buffered batches. Ending releases the
 * listener and the apply chain.
 */
export class UpdatesIterator implements AsyncIterableIterator<AppliedBatch, undefined> {
  readonly #buffer: AppliedBatch[] = [];
  readonly #size: number;
  #pending: Pending | undefined;
  #space: (() => void) | undefined;
  #failure: KhalaSyncError | undefined;
  #ended = false;
  /** Removes the listeners and the apply barrier (none when it ended before it started). */
  #detach: (() => void) | undefined;

  /** `driver` holds the apply chain while the buffer is full; `closed` tells whether the app closed the client. */
  constructor(client: UpdatesClient, driver: Pick<ReplayDriver, 'addApplyBarrier'>, closed: () => boolean, options: UpdatesOptions) {
    const { topics, signal, bufferSize = UPDATES_BUFFER_SIZE } = options;
    if (!Number.isSafeInteger(bufferSize) || bufferSize < 1) throw new KhalaSyncError('client', ErrorCodes.INVALID_OPTION, 'updates(): bufferSize must be a positive integer', { details: { option: 'bufferSize' } });
    this.#size = bufferSize;
    if (signal?.aborted || closed()) {
      this.#end(signal?.aborted ? abortError(signal) : undefined);
      return;
    }
    const wanted = topics === undefined ? undefined : new Set(typeof topics === 'string' ? [topics] : topics);
    const onAbort = (): void => this.#end(abortError(signal!));
    const onApplied = (batch: AppliedBatch): void => {
      if (wanted === undefined || wanted.has(batch.topic)) this.#push(batch);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    client.on('updates', onApplied);
    const unbar = driver.addApplyBarrier(() => (this.#buffer.length < this.#size ? undefined : new Promise<void>((resolve) => (this.#space = resolve))));
    const unwatch = client.onChange(() => closed() && this.#end(undefined));
    this.#detach = () => {
      signal?.removeEventListener('abort', onAbort);
      client.off('updates', onApplied);
      unbar();
      unwatch();
    };
  }

  next(): Promise<IteratorResult<AppliedBatch, undefined>> {
    const batch = this.#buffer.shift();
    if (batch !== undefined) {
      if (this.#buffer.length < this.#size) this.#release();
      return Promise.resolve({ value: batch, done: false });
    }
    const failure = this.#failure;
    this.#failure = undefined; // reported once; the iteration is then simply over
    if (failure !== undefined) return Promise.reject(failure);
    return this.#ended ? done() : new Promise((resolve, reject) => (this.#pending = { resolve, reject }));
  }

  /** End the iteration (what `break` calls): the listener and the apply chain are released. */
  return(): Promise<IteratorResult<AppliedBatch, undefined>> {
    this.#buffer.length = 0;
    this.#end(undefined);
    this.#failure = undefined;
    return done();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #push(batch: AppliedBatch): void {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending !== undefined) pending.resolve({ value: batch, done: false });
    else this.#buffer.push(batch);
  }

  #release(): void {
    const space = this.#space;
    this.#space = undefined;
    space?.();
  }

  #end(failure: KhalaSyncError | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#detach?.();
    this.#release();
    if (failure !== undefined) this.#buffer.length = 0;
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending === undefined) this.#failure = failure;
    else if (failure === undefined) pending.resolve({ value: undefined, done: true });
    else pending.reject(failure);
  }
}

function done(): Promise<IteratorResult<AppliedBatch, undefined>> {
  return Promise.resolve({ value: undefined, done: true });
}
