// The client checks payload hashes with WebCrypto, whose digests finish on Node's thread pool rather
// than as microtasks: a harness that settles by counting event-loop turns must wait for them too.
// Importing this module starts counting the digests in flight.
const inFlight = new Set<Promise<ArrayBuffer>>();
const subtle = globalThis.crypto.subtle;
const digest = subtle.digest.bind(subtle);
subtle.digest = (...args: Parameters<SubtleCrypto['digest']>) => {
  const p = digest(...args);
  inFlight.add(p);
  void p.finally(() => inFlight.delete(p)).catch(() => undefined);
  return p;
};

/** Waits until no digest is in flight; true when there was one (what it unblocks still has to run). */
export async function digestsSettled(): Promise<boolean> {
  if (inFlight.size === 0) return false;
  await Promise.allSettled([...inFlight]);
  return true;
}
