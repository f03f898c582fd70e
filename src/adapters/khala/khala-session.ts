import { ErrorCodes } from '../../errors/codes.js';
import { KhalaSyncError } from '../../errors/khala-sync-error.js';
import { ProtocolError } from '../../errors/protocol-error.js';
import type { JsonObject } from '../../util/json.js';
import { frameTooLarge, oversizedBytes } from '../frame-too-large.js';
import type { ClientInfo, LaneSession, LaneSessionOptions, LaneSink } from '../lane.js';
import { ErrorPairing } from './error-pairing.js';
import { peekOversized } from './oversized-peek.js';
import { normalizeServerError } from './error-normalize.js';
import { receiveKhalaFrame } from './frame-decoder.js';
import { heartbeat } from './checks.js';
import { deliverReply, type PendingRequest } from './khala-replies.js';
import { decodePhoenixFrame, encodePhoenixFrame, type PhoenixMessage } from './serializer.js';
import { decodeUpdateBatch } from './update-batch.js';
import { quote, validateShape } from '../validate.js';
import { hasOwn, setOwn } from '../../util/records.js';
import { watermarkMap } from './watermark-map.js';

const PROTOTYPE_KEY = /^(?:__proto__|constructor|prototype)$/;

/** The one Phoenix channel topic Khala uses (§1.2). */
export const SYNC_CHANNEL = 'sync:v1';

/** Default `replay_batch_size` sent with every subscribe (the server's own default, §2.2). */
export const DEFAULT_REPLAY_BATCH_SIZE = 200;

/** Settings a {@link KhalaSession} takes besides the common {@link LaneSessionOptions}. */
export interface KhalaSessionSettings {
  /** `replay_batch_size` sent with every `sync:subscribe`. Default {@link DEFAULT_REPLAY_BATCH_SIZE}. */
  replayBatchSize?: number;
}

/**
 * The Khala {@link LaneSession}: one Phoenix channel `sync:v1` on one open transport. Pure: it only
 * turns inbound text into sink calls and method calls into outbound text, and never throws on inbound data.
 *
 * - Refs come from a per-session counter starting at "1". The join is sent with `join_ref = ref`
 *   (phoenix.js style) and every later push carries that `join_ref`; server messages whose non-null
 *   `join_ref` differs are leftovers of an earlier channel instance and are dropped silently.
 * - Messages on topics other than `sync:v1` (including `phoenix`) are ignored.
 * - Replies are correlated by `ref`; replies to unknown refs are ignored.
 * - Refused inbound data (oversized, malformed, invalid, undecodable, unknown event) becomes one
 *   `sink.protocolError` and nothing else happens for that message.
 */
export class KhalaSession implements LaneSession {
  readonly #send: (text: string) => void;
  readonly #sink: LaneSink;
  readonly #maxFrameBytes: number;
  readonly #clientInfo: ClientInfo;
  readonly #replayBatchSize: number;
  /** Requests awaiting a reply by ref; made on demand and dropped when empty (an idle session holds none). */
  private pending: Map<string, PendingRequest> | undefined;
  readonly #pairing = new ErrorPairing();
  /** Oversized batches reported, awaiting their copy on the other stream. */
  readonly #oversized = new ErrorPairing();
  #nextRef = 1;
  #nextRequestId = 1;
  #joinRef: string | null = null;
  #heartbeatRef: string | undefined;
  #unsubscribeRef: string | undefined;
  #disposed = false;

  constructor(options: LaneSessionOptions, settings: KhalaSessionSettings = {}) {
    this.#send = options.send;
    this.#sink = options.sink;
    this.#maxFrameBytes = options.maxFrameBytes;
    this.#clientInfo = options.clientInfo;
    this.#replayBatchSize = settings.replayBatchSize ?? DEFAULT_REPLAY_BATCH_SIZE;
  }

  /** Send `phx_join`. Calling it again rejoins with a new join ref and forgets pending requests. */
  start(): void {
    if (this.#disposed) return;
    this.#pairing.reset();
    this.#oversized.reset();
    const ref = (this.#joinRef = String(this.#nextRef++));
    this.pending = new Map<string, PendingRequest>([[ref, { kind: 'join' }]]);
    const info = this.#clientInfo;
    // The server reads the compatibility metadata from the socket query and ignores join params, but
    // older documents put it here, so both carry it (§1.1, §14.5).
    const payload = { client: info.client, client_build_id: info.clientBuildId, protocol_version: info.protocolVersion, schema_version: info.schemaVersion };
    this.#transmit({ joinRef: ref, ref, topic: SYNC_CHANNEL, event: 'phx_join', payload });
  }

  /**
   * Send `sync:subscribe` with `topics`, `resume_after` as a map holding only the topics present in
   * `resumeAfter` (the key is omitted when none is), and `replay_batch_size`. Returns an increasing
   * request id (from 1). Throws `invalid_option` if a cursor is not a non-negative safe integer,
   * because the server would reject the whole request (§2.2) and nothing on the wire could explain why.
   */
  subscribe(topics: string[], resumeAfter: Record<string, number>): number {
    const resume: Record<string, number> = {};
    for (const topic of topics) {
      if (!hasOwn(resumeAfter, topic)) continue;
      const cursor = resumeAfter[topic];
      if (!Number.isSafeInteger(cursor) || cursor! < 0) {
        throw new KhalaSyncError('client', ErrorCodes.INVALID_OPTION, `resume cursor of "${topic}" is not a non-negative safe integer`, { topic });
      }
      setOwn(resume, topic, cursor);
    }
    const payload: JsonObject = { topics: [...topics] };
    const resumed = Object.keys(resume);
    // The map form would make a topic named `__proto__`, `constructor` or `prototype` a JSON key,
    // which a careful server refuses whole (as this client does); the list form (§2.2) carries it as a value.
    if (resumed.some((t) => PROTOTYPE_KEY.test(t))) payload['resume_after'] = resumed.map((topic) => ({ topic, watermark: resume[topic]! }));
    else if (resumed.length > 0) payload['resume_after'] = resume;
    payload['replay_batch_size'] = this.#replayBatchSize;
    const requestId = this.#nextRequestId++;
    this.#push('sync:subscribe', payload, { kind: 'subscribe', requestId, topics: [...topics] });
    return requestId;
  }

  /**
   * Send `sync:unsubscribe`. Its ok reply lists what is still subscribed and is not reported. Only the
   * latest one's reply is awaited: a server that never answers them cannot grow the pending requests.
   */
  unsubscribe(topics: string[]): void {
    this.pending?.delete(this.#unsubscribeRef!);
    this.#unsubscribeRef = this.#push('sync:unsubscribe', { topics: [...topics] }, { kind: 'unsubscribe', topics: [...topics] });
  }

  /** Send `sync:heartbeat` `{}`. Only the latest heartbeat's reply is awaited, so unanswered ones never pile up. */
  heartbeat(): void {
    this.pending?.delete(this.#heartbeatRef!);
    this.#heartbeatRef = this.#push('sync:heartbeat', {}, { kind: 'heartbeat' });
  }

  /** Forget pending requests; later sends and inbound frames are ignored. */
  dispose(): void {
    this.#disposed = true;
    this.pending = undefined;
    this.#pairing.reset();
  }

  /** Handle one inbound text frame; `byteLength` is checked against `maxFrameBytes` before parsing. */
  receive(text: string, byteLength: number): void {
    if (this.#disposed) return;
    const oversized = oversizedBytes(text, byteLength, this.#maxFrameBytes);
    if (oversized !== undefined) return this.#onOversized(text, oversized);
    const decoded = decodePhoenixFrame(text);
    if (!decoded.ok) {
      this.#sink.protocolError(decoded.error);
      return;
    }
    const msg = decoded.msg;
    if (msg.topic !== SYNC_CHANNEL) return;
    if (msg.joinRef !== null && msg.joinRef !== this.#joinRef) return;
    switch (msg.event) {
      case 'phx_reply':
        return this.#onReply(msg);
      case 'phx_close':
      case 'phx_error':
        // The channel is gone (the socket may stay open): nothing pending will be answered.
        this.pending = undefined;
        this.#pairing.reset();
        return this.#sink.channelDown(msg.event);
      case 'sync:update_batch': {
        const batch = decodeUpdateBatch(msg.payload, 'sync:update_batch');
        if (!batch.ok) return this.#sink.protocolError(batch.error);
        if (batch.value !== undefined) this.#sink.batch(batch.value);
        return;
      }
      case 'sync:frame':
        return receiveKhalaFrame(msg.payload, this.#sink, (raw) => this.#pairing.admit('frame', raw));
      case 'sync:error': {
        const error = normalizeServerError(msg.payload, 'sync:error');
        if (!error.ok) return this.#sink.protocolError(error.error);
        if (this.#pairing.admit('event', msg.payload)) this.#sink.serverError(error.value);
        return;
      }
      case 'sync:heartbeat': {
        const hb = validateShape(heartbeat, msg.payload, 'sync:heartbeat');
        return hb.ok ? this.#sink.heartbeat(watermarkMap(hb.value.watermarks)) : this.#sink.protocolError(hb.error);
      }
      default: {
        const event = quote(msg.event);
        this.#sink.protocolError(new ProtocolError(ErrorCodes.UNKNOWN_EVENT, `unknown event "${event}" ignored`, { details: { event } }));
      }
    }
  }

  #push(event: string, payload: JsonObject, request: PendingRequest): string {
    const ref = String(this.#nextRef++);
    // Registered before sending: an in-memory transport may deliver the reply synchronously.
    if (!this.#disposed) (this.pending ??= new Map()).set(ref, request);
    this.#transmit({ joinRef: this.#joinRef, ref, topic: SYNC_CHANNEL, event, payload });
    return ref;
  }

  #transmit(msg: PhoenixMessage): void {
    if (!this.#disposed) this.#send(encodePhoenixFrame(msg));
  }

  // A data frame too large to parse names its topic (the one JSON.parse would read) so the core can
  // resync it (SPEC.md A12). The server sends every batch twice (`sync:update_batch` and
  // `sync:frame`): a copy of a batch already applied, or the second copy of one oversized batch
  // (paired by topic and highest watermark, like pushed errors), is skipped without a report.
  #onOversized(text: string, byteLength: number): void {
    const peek = peekOversized(text);
    const topic = peek?.topic;
    if (topic !== undefined && peek!.seq !== undefined) {
      const applied = this.#sink.lastApplied(topic);
      if (applied !== undefined && peek!.seq <= applied) return;
      if (!this.#oversized.admit(peek!.stream, { topic, seq: peek!.seq })) return;
    }
    this.#sink.protocolError(frameTooLarge(byteLength, this.#maxFrameBytes, topic));
  }

  #onReply(msg: PhoenixMessage): void {
    if (msg.ref === null) return;
    const request = this.pending?.get(msg.ref);
    if (request === undefined) return;
    this.pending!.delete(msg.ref);
    if (this.pending!.size === 0) this.pending = undefined;
    if (msg.ref === this.#heartbeatRef) this.#heartbeatRef = undefined;
    deliverReply(this.#sink, request, msg.payload);
  }
}
