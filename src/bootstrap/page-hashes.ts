import { verifyPayloadHash } from '../hash/payload-hash.js';
import type { SnapshotPage } from './snapshot-source.js';

/**
 * Index of the first document of `page` whose `payload_hash` is present and does not match its
 * payload, or -1. Documents without a hash, or with one in an unknown format, pass (SPEC.md R8
 * fails a snapshot only on a mismatch). Throws what `verifyPayloadHash` throws (a payload that
 * canonical JSON refuses).
 */
export function firstHashMismatch(page: SnapshotPage): number {
  const docs = page.docs;
  for (let i = 0; i < docs.length; i++) {
    const d = docs[i]!;
    if (d.payloadHash && verifyPayloadHash(d.payload, d.payloadHash) === 'mismatch') return i;
  }
  return -1;
}
