import { canonicalJson } from '../../hash/canonical-json.js';
import { sha256Base64 } from '../../hash/payload-hash.js';
import type { JsonObject } from '../../util/json.js';

/** The two streams a pushed error arrives on (§2.5): the `sync:error` event and the ERROR `sync:frame`. */
export type ErrorStream = 'event' | 'frame';

/** Default number of unpaired errors remembered per stream. */
export const DEFAULT_PAIRING_LIMIT = 32;

/**
 * The identity of an error payload: the SHA-256 of its canonical JSON, so key order and whitespace
 * differences between the `sync:error` payload and the re-encoded `payload_bytes` do not matter.
 * A digest rather than the text: up to 2 × the limit of unpaired errors are remembered, and each
 * may be as large as a frame (`maxFrameBytes`, 16 MiB by default).
 */
export function errorIdentity(raw: JsonObject): string {
  let text: string;
  try {
    text = canonicalJson(raw);
  } catch {
    // canonicalJson refuses non-finite numbers, which JSON.parse produces for literals such as 1e400;
    // such a payload still needs a stable identity.
    text = JSON.stringify(raw);
  }
  return sha256Base64(text);
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
  admit(stream: ErrorStream, raw: JsonObject): boolean {
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
