// Placeholder substitution and value matching (README: "Placeholders", "Matching").
import { isHeartbeat, type SentFrame } from './scripted-transport.js';
import type { Json, OutboundMatch } from './vector.js';

const PLACEHOLDER = /^\$(join_ref|ref:(join|subscribe|unsubscribe|heartbeat)(?:#([1-9][0-9]*))?)$/;
// Spacetime: `$request_id:SubscribeMulti#n` / `$query_id:SubscribeMulti#n` name the ids of the
// n-th (default newest) client message with that tag on the connection.
const ST_PLACEHOLDER = /^\$(request_id|query_id):([A-Za-z]+)(?:#([1-9][0-9]*))?$/;
const EVENT_OF: Record<string, string> = { join: 'phx_join', subscribe: 'sync:subscribe', unsubscribe: 'sync:unsubscribe', heartbeat: 'sync:heartbeat' };

/** Thrown when a placeholder names a frame the client never sent (a conformance failure). */
export class PlaceholderError extends Error {}

/**
 * Resolve one placeholder against the frames the client sent on connection `connection`:
 * `$join_ref` is the join_ref of the newest `phx_join`; `$ref:<kind>` the ref of the newest frame
 * of that kind; `$ref:<kind>#n` the ref of the n-th (1-based). Returns undefined for a non-placeholder.
 */
export function resolvePlaceholder(token: string, sent: readonly SentFrame[], connection: number): { value: Json } | undefined {
  const st = ST_PLACEHOLDER.exec(token);
  if (st !== null) {
    const frames = sent.filter((f) => f.connection === connection && f.topic === null && f.event === st[2]);
    const n = st[3] === undefined ? frames.length : Number(st[3]);
    const body = frames[n - 1]?.payload as { request_id?: Json; query_id?: { id?: Json } } | undefined;
    const value = st[1] === 'request_id' ? body?.request_id : body?.query_id?.id;
    if (value === undefined) throw new PlaceholderError(`${token}: the client has sent ${frames.length} ${st[2]} message(s) on connection #${connection + 1}`);
    return { value };
  }
  const m = PLACEHOLDER.exec(token);
  if (m === null) return undefined;
  const mine = sent.filter((f) => f.connection === connection);
  const kind = m[1] === 'join_ref' ? 'join' : m[2]!;
  const frames = mine.filter((f) => f.event === EVENT_OF[kind]);
  const n = m[3] === undefined ? frames.length : Number(m[3]);
  const frame = frames[n - 1];
  if (frame === undefined) throw new PlaceholderError(`${token}: the client has sent ${frames.length} ${EVENT_OF[kind]} frame(s) on connection #${connection + 1}`);
  return { value: (m[1] === 'join_ref' ? frame.joinRef : frame.ref) as Json };
}

/** Replace every placeholder string inside a JSON value. */
export function substitute(value: Json, sent: readonly SentFrame[], connection: number): Json {
  if (typeof value === 'string') return resolvePlaceholder(value, sent, connection)?.value ?? value;
  if (Array.isArray(value)) return value.map((v) => substitute(v, sent, connection));
  if (value !== null && typeof value === 'object') {
    const out: { [k: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) out[k] = substitute(v, sent, connection);
    return out;
  }
  return value;
}

/** The wire text of a `server` step: a JSON value is sent compactly; a string is sent verbatim with `"$…"` tokens replaced. */
export function serverFrameText(frame: Json, sent: readonly SentFrame[], connection: number): string {
  if (typeof frame !== 'string') return JSON.stringify(substitute(frame, sent, connection));
  return frame.replace(/"(\$[A-Za-z_:#0-9]+)"/g, (whole, token: string) => {
    const r = resolvePlaceholder(token, sent, connection);
    return r === undefined ? whole : JSON.stringify(r.value);
  });
}

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? 'nothing' : s.length > 160 ? `${s.slice(0, 160)}…` : s;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The alternatives of a `{"$anyOf": [...]}` marker, else undefined. */
function anyOf(v: unknown): unknown[] | undefined {
  return isObject(v) && Object.keys(v).length === 1 && Array.isArray(v['$anyOf']) ? (v['$anyOf'] as unknown[]) : undefined;
}

/**
 * Compare an expected value with an actual one. Markers: `"$any"` (present, any value), `"$absent"`
 * (as an object member: the key must be missing), `{"$unordered": [...]}` (same elements, any order),
 * `{"$anyOf": [...]}` (any alternative matches; `"$absent"` among them allows a missing member).
 * Objects match exactly (same keys) unless `subset`, which applies to the top level only.
 */
export function matchValue(expected: unknown, actual: unknown, path: string, subset = false): string[] {
  if (expected === '$any') return actual === undefined ? [`${path}: missing`] : [];
  if (expected === '$absent') return actual === undefined ? [] : [`${path}: expected absent, got ${describe(actual)}`];
  const alternatives = anyOf(expected);
  if (alternatives !== undefined) {
    return alternatives.some((alt) => matchValue(alt, actual, path).length === 0) ? [] : [`${path}: expected one of ${describe(alternatives)}, got ${describe(actual)}`];
  }
  if (isObject(expected) && Object.keys(expected).length === 1 && Array.isArray(expected['$unordered'])) {
    const want = expected['$unordered'] as unknown[];
    if (!Array.isArray(actual) || actual.length !== want.length) return [`${path}: expected ${want.length} elements in any order ${describe(want)}, got ${describe(actual)}`];
    const left = [...actual];
    for (const w of want) {
      const i = left.findIndex((a) => matchValue(w, a, path).length === 0);
      if (i < 0) return [`${path}: expected ${describe(want)} in any order, got ${describe(actual)}`];
      left.splice(i, 1);
    }
    return [];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return [`${path}: expected ${describe(expected)}, got ${describe(actual)}`];
    return expected.flatMap((e, i) => matchValue(e, actual[i], `${path}[${i}]`));
  }
  if (isObject(expected)) {
    if (!isObject(actual)) return [`${path}: expected an object ${describe(expected)}, got ${describe(actual)}`];
    const problems: string[] = [];
    for (const [k, e] of Object.entries(expected)) {
      const has = Object.prototype.hasOwnProperty.call(actual, k);
      const mayBeAbsent = e === '$absent' || (anyOf(e)?.includes('$absent') ?? false);
      if (!has && !mayBeAbsent) problems.push(`${path}.${k}: missing (expected ${describe(e)})`);
      else if (has) problems.push(...matchValue(e, actual[k], `${path}.${k}`));
    }
    if (!subset) for (const k of Object.keys(actual)) if (!Object.prototype.hasOwnProperty.call(expected, k)) problems.push(`${path}.${k}: unexpected ${describe(actual[k])}`);
    return problems;
  }
  return Object.is(expected, actual) || expected === actual ? [] : [`${path}: expected ${describe(expected)}, got ${describe(actual)}`];
}

/** Match the client frames (heartbeats excluded) against an exact ordered list of expectations. */
export function matchOutbound(expected: readonly OutboundMatch[], frames: readonly SentFrame[], sent: readonly SentFrame[], where: string): string[] {
  const actual = frames.filter((f) => !isHeartbeat(f));
  const summary = (): string => actual.map((f) => f.text).join('\n      ') || '(none)';
  if (actual.length !== expected.length) return [`${where}: expected ${expected.length} client frame(s) ${expected.map((e) => e.event).join(', ') || '(none)'}, got ${actual.length}:\n      ${summary()}`];
  const problems: string[] = [];
  expected.forEach((e, i) => {
    const f = actual[i]!;
    const at = `${where} frame ${i + 1} (${String(f.event)})`;
    try {
      const want = substitute(e as unknown as Json, sent, f.connection) as unknown as OutboundMatch;
      if (f.event !== want.event) problems.push(`${at}: expected event ${want.event}, got ${f.text}`);
      if (want.connection !== undefined && f.connection !== want.connection) problems.push(`${at}: expected on connection #${want.connection + 1}, went out on #${f.connection + 1}`);
      // A Spacetime message has no topic (null); Phoenix frames default to sync:v1.
      if (f.topic !== (want.topic ?? (f.topic === null ? null : 'sync:v1'))) problems.push(`${at}: expected topic ${want.topic ?? 'sync:v1'}, got ${describe(f.topic)}`);
      if (want.join_ref !== undefined) problems.push(...matchValue(want.join_ref, f.joinRef, `${at} join_ref`));
      if (want.ref !== undefined) problems.push(...matchValue(want.ref, f.ref, `${at} ref`));
      if (want.payload !== undefined) problems.push(...matchValue(want.payload, f.payload, `${at} payload`, true));
    } catch (err) {
      problems.push(`${at}: ${(err as Error).message}`);
    }
  });
  return problems;
}
