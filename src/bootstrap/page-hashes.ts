import { failsHash } from '../hash/web-digest.js';
import type { SnapshotPage } from './snapshot-source.js';

/**
 * Index of the first document of `page` whose `payload_hash` is present and does not match its
 * payload, or -1. Documents without a hash, or with one in an unknown format, pass (SPEC.md R8
 * fails a snapshot only on a mismatch). The page's digests run at once (WebCrypto is asynchronous).
 */
export async function firstHashMismatch(page: SnapshotPage): Promise<number> {
  const fails = await Promise.all(page.docs.map((d) => d.payloadHash && failsHash(d.payload, d.payloadHash)));
  return fails.indexOf(true);
}
