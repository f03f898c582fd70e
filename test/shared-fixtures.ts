import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `../shared` beside the repo (CI and every developer machine have it there). */
export const SHARED_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared');

/** Read a captured upstream fixture from `../shared/fixtures/`, byte for byte. */
export function readSharedFixture<T = unknown>(name: string): T {
  const path = join(SHARED_DIR, 'fixtures', name);
  if (!existsSync(path)) throw new Error(`shared fixture ${name} not found at ${path}: ../shared must sit beside the repo`);
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
