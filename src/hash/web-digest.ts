import type { JsonValue } from '../util/json.js';
import { utf8Encode } from './encoding.js';
import { digestMatches, hashTarget } from './hash-target.js';

// The client checks `payload_hash` with the runtime's WebCrypto (Node ≥ 20, every secure browser
// context): the main entry carries no SHA-256 of its own. `digest` is asynchronous, so the pure
// batch planner gets the verdicts computed beforehand (SPEC.md A6).

/** The runtime's `crypto.subtle`, or undefined (an insecure browser context, a runtime without WebCrypto). */
export function webCrypto(): SubtleCrypto | undefined {
  return (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
}

/**
 * True when `hash` is in a known wire form and is not the SHA-256 of `payload`'s canonical JSON (a
 * payload with no canonical form fails any such hash); false for a match or a hash in neither form,
 * which is not treated as corruption. Rejects only when the runtime has no WebCrypto.
 */
export async function failsHash(payload: JsonValue, hash: string): Promise<boolean> {
  const t = hashTarget(payload, hash);
  if (t === undefined) return false;
  if (t.text === undefined) return true;
  return !digestMatches(new Uint8Array(await webCrypto()!.digest('SHA-256', utf8Encode(t.text) as Uint8Array<ArrayBuffer>)), t.h);
}
