import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHarness } from '../../src/harness/runner.js';
import { ensureBuilt } from '../cli/built-cli.js';

// Regression tests for client bugs the harness found. Each runs the scenario that reproduced the bug;
// it failed before the fix named in its title.
let out: string;
beforeAll(() => {
  ensureBuilt();
  out = mkdtempSync(join(tmpdir(), 'khala-harness-bugs-'));
}, 120_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('client bugs found by the harness (regressions)', () => {
  it('a client killed after stale_cursor, mid-snapshot, ends with the journal after a restart (fixed by SPEC R3: recovery keeps the stored cursor, so the restart is stale again and bootstraps)', async () => {
    const { summary } = await runHarness({ scenarios: ['crash-during-stale-recovery'], seed: 1, out });
    const [s] = summary.scenarios;
    expect(s?.failure).toBeUndefined();
    expect(s?.status).toBe('pass');
  }, 60_000);

  it('a fresh client with a snapshot source, on a summary topic whose journal tail was pruned, ends with every document of the journal (fixed by SPEC S1: a never-cursored topic is sent with 0, so a pruned journal answers stale and the client bootstraps)', async () => {
    const { summary } = await runHarness({ scenarios: ['replay-from-zero-pruned'], seed: 1, out });
    const [s] = summary.scenarios;
    expect(s?.failure).toBeUndefined();
    expect(s?.status).toBe('pass');
  }, 60_000);
});
