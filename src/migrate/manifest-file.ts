import { readFileSync } from 'node:fs';
import { ErrorCodes, StoreError } from '../errors/index.js';
import { safeJsonParse } from '../util/json.js';
import { writeFileAtomic } from './fs-atomic.js';
import { checkManifest, renderManifest, sealManifest, type Manifest, type ManifestBody } from './manifest.js';

/**
 * Read and validate a manifest file (schema version, shape, digest).
 *
 * @throws StoreError `INVALID_MANIFEST` (also for a missing or unreadable file).
 */
export function readManifest(path: string): Manifest {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new StoreError(ErrorCodes.INVALID_MANIFEST, `cannot read manifest ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { details: { path }, cause: err });
  }
  const parsed = safeJsonParse(text);
  if (!parsed.ok) throw new StoreError(ErrorCodes.INVALID_MANIFEST, `${path} is not JSON (${parsed.message})`, { details: { path } });
  return checkManifest(parsed.value, path);
}

/** Seal `body` and write it to `path` atomically (tmp + fsync + rename + directory fsync). */
export function writeManifest(path: string, body: ManifestBody): Manifest {
  const manifest = sealManifest(body);
  writeFileAtomic(path, renderManifest(manifest));
  return manifest;
}

/** Rewrite a manifest with a change (contract, rollback records), resealed. */
export function updateManifest(path: string, manifest: Manifest, change: Partial<ManifestBody>): Manifest {
  const { digest: _old, ...body } = manifest;
  return writeManifest(path, { ...body, ...change });
}
