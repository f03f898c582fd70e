/**
 * Fault rules of the proxy (`startFaultProxy`): what to do to the frames of each direction and to
 * plain HTTP requests. Every probability is drawn from the proxy's seed, keyed by connection
 * ordinal, direction and frame index (see seeded-random.ts), so a schedule replays from its seed.
 */

/** `to_client`: server → client frames. `to_server`: client → server frames. */
export type Direction = 'to_client' | 'to_server';

/** What the proxy knows about one WebSocket message. Parsing is lazy (only when a rule asks). */
export interface FrameInfo {
  /** Which way the frame travels: `to_client` or `to_server`. */
  readonly direction: Direction;
  /** Connection ordinal (1-based, in upgrade order). */
  readonly connection: number;
  /** Index of this frame on its connection and direction, 0-based, counting every frame. */
  readonly index: number;
  /** The frame as text (a binary frame decoded as UTF-8). */
  readonly text: string;
  /** The frame's size in bytes. */
  readonly bytes: number;
  /** Whether it was a binary WebSocket frame. */
  readonly binary: boolean;
  /** Phoenix event (`[join_ref, ref, topic, event, payload]`), or undefined for other frames. */
  readonly event: string | undefined;
  /** Phoenix payload object, or undefined. */
  readonly payload: Record<string, unknown> | undefined;
  /** For update batches (`sync:update_batch`, or `sync:frame` of kind UPDATE_BATCH): topic and highest watermark. */
  readonly batch: { topic: string; seq: number } | undefined;
}

/** Faults applied to one direction. Every field is optional; an empty object forwards untouched. */
export interface DirectionRules {
  /** Only frames that pass this predicate are dropped/duplicated/delayed/reordered/stalled. Default: all. */
  match?: (frame: FrameInfo) => boolean;
  /** Shorthand filter: only frames whose Phoenix event is listed (combined with `match`). Default: all. */
  events?: string[];
  /** Probability that a matched frame is discarded. Default 0. */
  dropRate?: number;
  /** Probability that a matched frame is delivered twice (back to back). Default 0. */
  duplicateRate?: number;
  /** Extra latency per matched frame, uniform in [min, max] ms. Order is preserved (a queue). Default none. */
  delayMs?: [number, number];
  /**
   * Hold matched frames in a window of this size and release the window in a seeded permutation.
   * Default off (0 or 1). Frames with the same `reorderKey` keep their relative order.
   */
  reorderWindow?: number;
  /** Frames with the same key are never swapped with each other (`shuffle` only). Default: every frame its own key. */
  reorderKey?: (frame: FrameInfo) => string;
  /**
   * `shuffle` (default): a seeded sliding-window permutation. `reverse`: each full window is released
   * in reverse arrival order (deterministic; ignores `reorderKey`), e.g. to swap two batches on purpose.
   */
  reorderMode?: 'shuffle' | 'reverse';
  /** Release a partly filled reorder window after this long, ms. Default 25. */
  reorderFlushMs?: number;
  /**
   * Cut the connection (both sides, no close frame: the client sees 1006) when frame number
   * `cutAtFrame` (0-based, counting every frame of this direction on the connection) arrives; that
   * frame is not delivered. Default none.
   */
  cutAtFrame?: number;
  /** How many connections `cutAtFrame` may cut before it disarms. Default unlimited. */
  cutTimes?: number;
  /** Black-hole: discard matched frames while keeping the connection open. Default false. */
  stall?: boolean;
  /** Bandwidth of this direction (every frame, matched or not), bytes per second. Default unlimited. */
  bytesPerSecond?: number;
}

/** A request as an HTTP rule or observer sees it. The query string is never included (tokens). */
export interface HttpRequestInfo {
  /** The request method (`GET`, `POST`...). */
  method: string;
  /** Path without the query string. */
  path: string;
  /** Query parameters other than credentials (`token`, `access_token`, `jwt` are removed). */
  query: Record<string, string>;
}

/** A fault for plain HTTP requests (snapshot, token, hydration endpoints). */
export interface HttpFaultRule {
  /** Requests this rule applies to. Default: all. */
  match?: (req: HttpRequestInfo) => boolean;
  /** Shorthand filter on the path prefix. Default: all paths. */
  pathPrefix?: string;
  /** Answer with this status instead of forwarding. Default: forward. */
  status?: number;
  /** `Retry-After` header (seconds) for an injected status. Default none. */
  retryAfterSeconds?: number;
  /** Wait this long before forwarding or answering, ms. Default 0. */
  delayMs?: number;
  /** How many requests the rule applies to before it disarms. Default unlimited. */
  times?: number;
}

/** Every rule of the proxy. */
export interface FaultRules {
  /** Faults on frames from the server to the client. Default none. */
  toClient?: DirectionRules;
  /** Faults on frames from the client to the server. Default none. */
  toServer?: DirectionRules;
  /** Plain HTTP faults; the first armed rule that matches applies. */
  http?: HttpFaultRule[];
  /** Answer WebSocket upgrades with this HTTP status (`times` default unlimited) instead of forwarding. */
  refuseUpgrade?: { status: number; times?: number };
}

/** One fault the proxy applied, in the order applied. */
export interface FaultEvent {
  /** Log position (0-based). */
  n: number;
  /** Milliseconds since the proxy started (timing, not part of the deterministic schedule). */
  atMs: number;
  /** The fault applied. */
  kind: 'drop' | 'duplicate' | 'delay' | 'reorder' | 'cut' | 'stall' | 'http' | 'refuse_upgrade';
  /** The direction of the frame it hit, for frame faults. */
  direction?: Direction;
  /** The connection ordinal (1-based), for connection and frame faults. */
  connection?: number;
  /** Frame index on the connection and direction (`-1` for a cut not tied to a frame). */
  frame?: number;
  /** The Phoenix event of the frame it hit, when it had one. */
  event?: string;
  /** Topic and highest watermark of the update batch it hit, when it was one. */
  batch?: { topic: string; seq: number };
  /** Kind-specific: delay ms, reorder positions, HTTP status and path. */
  detail?: string;
}

const KIND_UPDATE_BATCH = 'KHALA_FRAME_KIND_UPDATE_BATCH';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Build a lazily parsed {@link FrameInfo}. */
export function frameInfo(direction: Direction, connection: number, index: number, text: string, bytes: number, binary: boolean): FrameInfo {
  let parsed: { event: string | undefined; payload: Record<string, unknown> | undefined } | undefined;
  let batch: { topic: string; seq: number } | undefined | null = null;
  const parse = (): { event: string | undefined; payload: Record<string, unknown> | undefined } => {
    if (parsed) return parsed;
    parsed = { event: undefined, payload: undefined };
    if (text.startsWith('[')) {
      try {
        const v = JSON.parse(text) as unknown;
        if (Array.isArray(v) && v.length === 5 && typeof v[3] === 'string') parsed = { event: v[3], payload: isObject(v[4]) ? v[4] : undefined };
      } catch {
        /* not a Phoenix frame: no event */
      }
    }
    return parsed;
  };
  return {
    direction,
    connection,
    index,
    text,
    bytes,
    binary,
    get event() {
      return parse().event;
    },
    get payload() {
      return parse().payload;
    },
    get batch() {
      if (batch !== null) return batch;
      batch = undefined;
      const { event, payload } = parse();
      if (!payload) return batch;
      if (event === 'sync:update_batch' && Array.isArray(payload.updates)) {
        const updates = payload.updates.filter(isObject);
        const last = updates[updates.length - 1];
        if (last && typeof last.topic === 'string' && typeof last.watermark === 'number') batch = { topic: last.topic, seq: last.watermark };
      } else if (event === 'sync:frame' && payload.kind === KIND_UPDATE_BATCH && typeof payload.topic === 'string' && typeof payload.seq === 'number') {
        batch = { topic: payload.topic, seq: payload.seq };
      }
      return batch;
    },
  };
}

/** Whether `frame` passes the rule's filters (`events`, `match`). */
export function matches(rules: DirectionRules, frame: FrameInfo): boolean {
  if (rules.events && !rules.events.includes(frame.event ?? '')) return false;
  return rules.match ? rules.match(frame) : true;
}

function rate(name: string, v: number | undefined): void {
  if (v !== undefined && !(v >= 0 && v <= 1)) throw new RangeError(`${name} must be in [0, 1]`);
}

function nonNegative(name: string, v: number | undefined, integer = false): void {
  if (v === undefined) return;
  if (!(Number.isFinite(v) && v >= 0) || (integer && !Number.isInteger(v))) throw new RangeError(`${name} must be a non-negative ${integer ? 'integer' : 'number'}`);
}

/** Throw a `RangeError` naming the first bad field. */
export function validateRules(rules: FaultRules): void {
  for (const [name, d] of [['toClient', rules.toClient], ['toServer', rules.toServer]] as const) {
    if (!d) continue;
    rate(`${name}.dropRate`, d.dropRate);
    rate(`${name}.duplicateRate`, d.duplicateRate);
    if (d.delayMs !== undefined) {
      const [min, max] = d.delayMs;
      nonNegative(`${name}.delayMs[0]`, min);
      nonNegative(`${name}.delayMs[1]`, max);
      if (max < min) throw new RangeError(`${name}.delayMs: max < min`);
    }
    nonNegative(`${name}.reorderWindow`, d.reorderWindow, true);
    nonNegative(`${name}.reorderFlushMs`, d.reorderFlushMs);
    nonNegative(`${name}.cutAtFrame`, d.cutAtFrame, true);
    nonNegative(`${name}.cutTimes`, d.cutTimes, true);
    if (d.bytesPerSecond !== undefined && !(d.bytesPerSecond > 0)) throw new RangeError(`${name}.bytesPerSecond must be positive`);
  }
  for (const [i, h] of (rules.http ?? []).entries()) {
    if (h.status !== undefined && !(Number.isInteger(h.status) && h.status >= 100 && h.status <= 599)) throw new RangeError(`http[${i}].status must be an HTTP status`);
    nonNegative(`http[${i}].retryAfterSeconds`, h.retryAfterSeconds);
    nonNegative(`http[${i}].delayMs`, h.delayMs);
    nonNegative(`http[${i}].times`, h.times, true);
  }
  const r = rules.refuseUpgrade;
  if (r && !(Number.isInteger(r.status) && r.status >= 400 && r.status <= 599)) throw new RangeError('refuseUpgrade.status must be a 4xx/5xx status');
}

/** Query parameters that carry credentials and never reach a log, an event or an observer. */
export const SECRET_PARAMS: ReadonlySet<string> = new Set(['token', 'access_token', 'jwt']);

/** Build the observer view of a request URL without credentials. */
export function requestInfo(method: string, rawUrl: string): HttpRequestInfo {
  const u = new URL(rawUrl, 'http://proxy.invalid');
  const query: Record<string, string> = {};
  for (const [k, v] of u.searchParams) if (!SECRET_PARAMS.has(k.toLowerCase())) query[k] = v;
  return { method, path: u.pathname, query };
}
