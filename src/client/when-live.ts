import { ErrorCodes } from '../errors/codes.js';
import { KhalaSyncError } from '../errors/khala-sync-error.js';
import type { TopicState } from '../replay/state.js';
import type { ReplayDriver } from './replay-driver.js';
import { raceAbort, throwIfAborted } from './abort.js';
import { clientClosedError } from './client-guards.js';
import { TERMINAL } from './connection-settings.js';
import type { ClientStatus } from './options.js';

/** The client's public side that {@link LiveWaits} follows. */
export interface LiveClient {
  readonly status: ClientStatus;
  /** Register a change listener (state, status or documents changed); returns its removal. */
  onChange(listener: () => void): () => void;
  on(event: 'error', listener: (error: KhalaSyncError) => void): unknown;
  on(event: 'status', listener: (status: ClientStatus) => void): unknown;
}

/** The code a stop status reports when no error explained it. */
const STOP_CODE = { closed: ErrorCodes.CLIENT_CLOSED, upgrade_required: ErrorCodes.UPGRADE_REQUIRED, auth_required: ErrorCodes.REAUTH_REQUIRED, incompatible_server: ErrorCodes.INCOMPATIBLE_SERVER } as const;

/**
 * Backs `client.whenLive()`: remembers why topics failed and why the client stopped (the errors
 * it emitted just before), so a wait that starts after the failure still rejects with the cause.
 */
export class LiveWaits {
  /** Made on the first topic error (an idle client has none). */
  private topicErrors: Map<string, KhalaSyncError> | undefined;
  #lastError: KhalaSyncError | undefined;
  #stopError: KhalaSyncError | undefined;

  readonly #client: LiveClient;
  readonly #driver: Pick<ReplayDriver, 'topics'>;
  /** Settles once every subscribe/connect issued so far has loaded its stored cursors. */
  readonly #ready: () => Promise<void>;
  /** Whether the app closed the client. */
  readonly #closed: () => boolean;

  constructor(client: LiveClient, driver: Pick<ReplayDriver, 'topics'>, ready: () => Promise<void>, closed: () => boolean) {
    this.#client = client;
    this.#driver = driver;
    this.#ready = ready;
    this.#closed = closed;
    client.on('error', (e) => this.#error(e));
    client.on('status', (s) => this.#status(s));
  }

  /**
   * Record an emitted error (every `error` event). Per topic, only the
   * error of a failed topic is kept (a topic is failed when its cause is emitted): that is the one a
   * wait rejects with, and a server may name any topic in its errors, each with a payload up to
   * `maxFrameBytes`, so keeping one per name would let it grow memory without bound.
   */
  #error(error: KhalaSyncError): void {
    this.#lastError = error;
    const topic = error.topic;
    if (topic !== undefined && this.#failed(topic)) (this.topicErrors ??= new Map()).set(topic, error);
  }

  /** Record a status change: a stop status keeps the error that caused it. */
  #status(status: ClientStatus): void {
    if (!TERMINAL.has(status)) return;
    const closedByApp = this.#closed();
    const cause = closedByApp ? undefined : this.#lastError;
    this.#stopError = cause ?? new KhalaSyncError('client', closedByApp ? ErrorCodes.CLIENT_CLOSED : STOP_CODE[status as keyof typeof STOP_CODE], `client stopped (${status})`);
  }

  /**
   * Resolve when `topics` (default: every subscribed topic, and the connection itself) are caught
   * up and live; reject with the failing topic's error, the error that stopped the client, or
   * `aborted`.
   */
  async wait(topics: readonly string[] | undefined, signal: AbortSignal | undefined): Promise<void> {
    throwIfAborted(signal);
    await raceAbort(this.#ready(), signal);
    let off = (): void => undefined;
    const settled = new Promise<void>((resolve, reject) => {
      // Settling twice is a no-op: the listener goes once the race settled.
      const check = (): void => {
        const outcome = this.#outcome(topics);
        if (outcome === 'live') resolve();
        else if (outcome !== 'pending') reject(outcome);
      };
      off = this.#client.onChange(check);
      check();
    });
    return raceAbort(settled, signal).finally(off);
  }

  #failed(topic: string): boolean {
    for (const t of this.#driver.topics()) if (t.topic === topic) return t.phase === 'failed';
    return false;
  }

  #outcome(topics: readonly string[] | undefined): 'live' | 'pending' | KhalaSyncError {
    const status = this.#client.status;
    if (this.#closed()) return clientClosedError();
    if (TERMINAL.has(status)) return this.#stopError ?? new KhalaSyncError('client', ErrorCodes.CLIENT_CLOSED, `client stopped (${status})`);
    const held = new Map<string, Readonly<TopicState>>();
    for (const t of this.#driver.topics()) held.set(t.topic, t);
    let live = topics !== undefined || status === 'live';
    for (const name of topics ?? held.keys()) {
      const t = held.get(name);
      if (t === undefined) return new KhalaSyncError('client', ErrorCodes.UNSUBSCRIBED_TOPIC, `whenLive: topic ${name} is not subscribed`, { topic: name });
      if (t.phase === 'failed') return this.topicErrors?.get(name) ?? new KhalaSyncError('client', ErrorCodes.INTERNAL, `topic ${name} failed`, { topic: name });
      if (t.phase !== 'live') live = false;
    }
    return live ? 'live' : 'pending';
  }
}
