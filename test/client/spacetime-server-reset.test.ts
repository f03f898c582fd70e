import { describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/sqlite.js';
import { publishN, sqlitePath, stClient, stTestBed, STREAM_A, until } from '../adapters/spacetime/client-helpers.js';

// A SpacetimeDB database recreated under the client (seqs start again at 1) while its store holds
// cursor 5: `seq > 5` finds nothing, and the events the new database numbers 1..5 would never be
// delivered. The stream_head probe is the server head; below the cursor it is the Spacetime form
// of `cursor_ahead_of_head` (SPEC.md A10, errors.md), reported once per connection, never rewound.
const bed = stTestBed();

describe('Spacetime: stream_head below the local cursor (a reset server)', () => {
  it('is reported as cursor_ahead_of_head once per connection, naming the stream; nothing is rewound', async () => {
    const path = sqlitePath('ks-st-reset-');
    const old = await bed.start();
    publishN(old, STREAM_A, 5);
    const first = bed.track(stClient(old, { topics: [STREAM_A], store: createSqliteStore({ path }) }));
    await first.client.connect();
    await until(() => first.client.getWatermark(STREAM_A) === 5, 'at 5');
    await first.client.close();
    await old.close();
    bed.forget();
    const reset = await bed.start();
    publishN(reset, STREAM_A, 2);
    const r = bed.track(stClient(reset, { topics: [STREAM_A], store: createSqliteStore({ path }), heartbeatIntervalMs: 30 }));
    await r.client.connect();
    await until(() => r.errors.length > 0, 'reported', 3000);
    await new Promise((res) => setTimeout(res, 200)); // several more probes: still one report
    expect(r.errors.map((e) => [e.code, e.topic])).toEqual([['cursor_ahead_of_head', STREAM_A]]);
    expect(r.errors[0]!.details).toMatchObject({ head: 2, cursor: 5 });
    expect(r.client.getWatermark(STREAM_A)).toBe(5);
  });
});
