import { isJsonObject, type JsonValue } from '../../util/json.js';

/** The two streams a pushed error arrives on (§2.5): the `sync:error` event and the ERROR `sync:frame`. */
export type ErrorStream = 'event' | 'frame';

/** Default number of unpaired errors remembered per stream. */
export const DEFAULT_PAIRING_LIMIT = 32;

/**
 * The identity of an error payload: two 32-bit multiplicative hashes and the length of its sorted
 * JSON. A short digest rather than the text: up to 2 × the limit of unpaired errors are remembered,
 * and each may be as large as a frame (`maxFrameBytes`, 16 MiB by default). Not a cryptographic
 * hash: only the server's own two copies are compared, and a server that wanted an error unseen
 * could simply not send it.
 */
export function errorIdentity(raw: JsonValue): string {
  // JSON with every object's keys sorted, so the `sync:error` payload and the re-encoded
  // `payload_bytes` read the same whatever their key order. A non-finite number (JSON.parse makes
  // one of 1e400) is written as null instead of throwing.
  const text = JSON.stringify(raw, (_, value: unknown) => (isJsonObject(value) ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1))) : value));
  let h1 = 0x811c9dc5;
  let h2 = 0x9e3779b9;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 13);
  }
  return `${h1 >>> 0}.${h2 >>> 0}.${text.length}`;
}

/**
 * Collapses the server's doubled error pushes into one delivery each.
 *
 * Every pushed error is sent twice, once per stream. When an error arrives on stream A and an
 * identical one from stream B is pending, it is the second half of a pair: it is dropped and the
 * pending entry is consumed. Otherwise it is delivered and remembered as pending for the other
 * stream. Consequences:
 * - a server that only emits one stream has every error delivered once (nothing ever pairs);
 * - two genuine repeats (two identical throttle strikes, each sent as a pair) stay two, because each
 *   pair consumes its own pending entry;
 * - order within a pair does not matter.
 * Unpaired entries are bounded by `limit` per stream (oldest forgotten first, default
 * {@link DEFAULT_PAIRING_LIMIT}) so a single-stream server does not grow memory without end.
 */
export class ErrorPairing {
  // Made at the first error: every idle session holds two pairings (errors and oversized batches).
  private pending: Record<ErrorStream, string[]> | undefined;

  readonly #limit: number;

  constructor(limit: number = DEFAULT_PAIRING_LIMIT) {
    this.#limit = limit;
  }

  /** Record an error from `stream`; true when it must be delivered, false when it completes a pair. */
  admit(stream: ErrorStream, raw: JsonValue): boolean {
    const key = errorIdentity(raw);
    const pending = (this.pending ??= { event: [], frame: [] });
    const other = pending[stream === 'event' ? 'frame' : 'event'];
    const index = other.indexOf(key);
    if (index >= 0) {
      other.splice(index, 1);
      return false;
    }
    const mine = pending[stream];
    mine.push(key);
    if (mine.length > this.#limit) mine.shift();
    return true;
  }

  /** Forget every unpaired error (a new channel instance starts clean). */
  reset(): void {
    this.pending = undefined;
  }
}
