import type { JsonValue } from '../util/json.js';
import { utf8Encode } from './encoding.js';
import { digestMatches, hashTarget, nativeDigestMatches } from './hash-target.js';

// The client checks `payload_hash` with the runtime's own SHA-256: Node's synchronous one-shot hash
// where there is one (native-sha256.ts), else WebCrypto (every secure browser context): the main
// entry carries no SHA-256 of its own. `digest` is asynchronous, so the pure batch planner gets the
// verdicts computed beforehand (SPEC.md A6). Node is not left on WebCrypto: each `subtle.digest`
// is a thread-pool round trip, which made a 20,000-document snapshot read 2-3x slower than the
// synchronous hash (bench figure 3, measured against 322f55c).

/** The runtime's `crypto.subtle`, or undefined (an insecure browser context, a runtime without WebCrypto). */
export function webCrypto(): SubtleCrypto | undefined {
  return (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
}

/**
 * True when `hash` is in a known wire form and is not the SHA-256 of `payload`'s canonical JSON (a
 * payload with no canonical form fails any such hash); false for a match or a hash in neither form,
 * which is not treated as corruption. A plain boolean when the verdict needs no WebCrypto (no hash
 * to check, or Node's synchronous hash), so a batch or page checked in Node waits on no promise per
 * document; rejects only when the runtime has no WebCrypto.
 */
export function failsHash(payload: JsonValue, hash: string): boolean | Promise<boolean> {
  const t = hashTarget(payload, hash);
  if (t === undefined) return false;
  if (t.text === undefined) return true;
  const native = nativeDigestMatches(t.text, t.h);
  if (native !== undefined) return !native;
  return webCrypto()!.digest('SHA-256', utf8Encode(t.text) as Uint8Array<ArrayBuffer>).then((d) => !digestMatches(new Uint8Array(d), t.h));
}
