// The runtime's own SHA-256, when it has a synchronous one: Node's `crypto.hash` (Node ≥ 20.12),
// reached through `process.getBuiltinModule` (Node ≥ 20.16) so that nothing here imports a Node
// built-in. A browser bundle therefore pulls in no Node code (test/browser checks the graph): there
// the lookup finds no `process` and the pure-JS digest in sha256.ts is used. WebCrypto is not an
// option for the hot path because `crypto.subtle.digest` is asynchronous, and verification runs
// inside the synchronous batch planner.
//
// Why: `payload_hash` verification runs once per applied update; on ~230-byte payloads the native
// one-shot hash costs ~0.5 µs against ~1.6–2.5 µs for the JavaScript compression (bench profile,
// docs/benchmarks.md). `createHash` is not used: its per-call object costs as much as it saves.

/** Node's one-shot hash: `hash('sha256', text, 'base64' | 'buffer')`; strings are hashed as UTF-8. */
type OneShotHash = (algorithm: string, data: string, outputEncoding: string) => string | Uint8Array;

interface NodeProcessLike {
  getBuiltinModule?: (id: string) => unknown;
}

function findNativeHash(): OneShotHash | undefined {
  try {
    const proc = (globalThis as { process?: NodeProcessLike }).process;
    if (typeof proc?.getBuiltinModule !== 'function') return undefined;
    const crypto = proc.getBuiltinModule('node:crypto') as { hash?: unknown } | undefined;
    if (typeof crypto?.hash !== 'function') return undefined;
    const hash = crypto.hash as OneShotHash;
    // Trust it only if it gives the FIPS 180-4 answer for "abc", as base64 text.
    return hash('sha256', 'abc', 'base64') === 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=' ? hash : undefined;
  } catch {
    return undefined;
  }
}

let native: OneShotHash | undefined = findNativeHash();

/**
 * Standard padded base64 of the SHA-256 of the UTF-8 bytes of `text` (lone surrogates as U+FFFD,
 * as `TextEncoder` writes them), or `undefined` when the runtime has no synchronous native SHA-256.
 */
export function nativeSha256Base64(text: string): string | undefined {
  return native === undefined ? undefined : (native('sha256', text, 'base64') as string);
}

/** The 32 digest bytes, as {@link nativeSha256Base64}; `undefined` without a native SHA-256. */
export function nativeSha256Bytes(text: string): Uint8Array | undefined {
  if (native === undefined) return undefined;
  const out = native('sha256', text, 'buffer') as Uint8Array;
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Turn the native path off (`false`) or back on (`true`, when the runtime has one); returns whether
 * it is on. For tests and the benchmark, which compare both paths in one process.
 */
export function useNativeSha256(on: boolean): boolean {
  native = on ? findNativeHash() : undefined;
  return native !== undefined;
}
