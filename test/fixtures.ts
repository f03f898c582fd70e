import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `test/fixtures/`: the captured upstream frames and vectors, vendored byte for byte (see its README). */
const FIXTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** Read and parse `test/fixtures/<name>` (a path relative to that folder, e.g. `spacetime-era/x.json`). */
export function readFixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES_DIR, name), 'utf8')) as T;
}
