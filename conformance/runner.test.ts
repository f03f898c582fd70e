// Runs every conformance vector (conformance/vectors/*.json) against the real SyncClient, after
// validating it against the versioned JSON Schema. A failing vector is a client bug or a vector
// bug: it is never skipped.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runVector } from './runner/run-vector.js';
import { SchemaValidator } from './runner/schema-validator.js';
import { VECTOR_FORMAT, type Vector } from './runner/vector.js';

const here = dirname(fileURLToPath(import.meta.url));
const vectorDir = join(here, 'vectors');
const schema = JSON.parse(readFileSync(join(here, 'schema', 'vector.v1.schema.json'), 'utf8')) as Record<string, unknown>;
const validator = new SchemaValidator(schema);
const files = readdirSync(vectorDir)
  .filter((f) => f.endsWith('.json'))
  .sort();

function load(file: string): unknown {
  return JSON.parse(readFileSync(join(vectorDir, file), 'utf8')) as unknown;
}

describe('conformance vector files', () => {
  it('has at least 40 vectors, numbered without gaps or repeats', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
    const numbers = files.map((f) => Number(f.slice(0, 3)));
    expect(numbers).toEqual(numbers.map((_, i) => i + 1));
  });

  it.each(files)('%s matches vector.v1.schema.json and its file name', (file) => {
    const v = load(file);
    expect(validator.validate(v)).toEqual([]);
    expect((v as Vector).format).toBe(VECTOR_FORMAT);
    expect(`${(v as Vector).id}.json`).toBe(file);
  });

  it('the validator rejects a broken vector with a useful message', () => {
    const broken = { ...(load(files[0]!) as Record<string, unknown>), steps: [{ type: 'server' }, { type: 'teleport' }] };
    expect(validator.validate(broken)).toEqual(['$.steps[0]: missing required "frame"', '$.steps[1]: unknown kind "teleport"']);
  });
});

describe('conformance vectors against SyncClient', () => {
  it.each(files)('%s', async (file) => {
    const failures = await runVector(load(file) as Vector);
    expect(failures, `${file}:\n  ${failures.join('\n  ')}`).toEqual([]);
  });
});
