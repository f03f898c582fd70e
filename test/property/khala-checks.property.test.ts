// The plain checks the client runs on Khala frames (src/adapters/khala/checks.ts) against the zod
// schemas of record (src/adapters/khala/schemas.ts): for valid messages and for mutations of them
// (any field at any depth replaced by an odd value or removed, extra keys), both accept the same
// inputs with the same output, and refuse the same inputs with the same `invalid_payload` message.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type * as z from 'zod/mini';
import * as checks from '../../src/adapters/khala/checks.js';
import * as schemas from '../../src/adapters/khala/schemas.js';
import { validatePayload, validateShape } from '../../src/adapters/validate.js';
import type { Check } from '../../src/util/shape.js';

const NUM_RUNS = Number(process.env['PROPERTY_RUNS'] ?? 500);

const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(undefined, null, true, false, 0, -1, 1.5, 2 ** 53, 2 ** 53 - 1, '', 'ok', 'error', 'eyJhIjoxfQ==', [], {}, ['a'], [{ topic: 't', watermark: 1 }], { a: 1 }),
  fc.jsonValue({ maxDepth: 2 }),
);

const wm = [{ topic: 'runtime.a', watermark: 4 }, { topic: 'runtime.b', watermark: 0 }];

/** Each check, its schema of record, and valid messages to mutate. */
const PAIRS: Array<[string, Check<unknown>, z.ZodMiniType, unknown[]]> = [
  ['frameVersion', checks.frameVersion, schemas.FrameVersionSchema, [{ schema_version: 1 }]],
  ['khalaFrame', checks.khalaFrame, schemas.KhalaFrameSchema, [{ topic: 't', seq: 3, kind: 'KHALA_FRAME_KIND_UPDATE_BATCH', payload_bytes: 'e30=', schema_version: 1 }, { topic: 't', seq: 0, kind: 2, payload_bytes: '', schema_version: 1 }]],
  ['heartbeat', checks.heartbeat, schemas.HeartbeatSchema, [{ watermarks: wm }, {}]],
  ['phxReply', checks.phxReply, schemas.ReplySchema, [{ status: 'ok', response: { a: 1 } }, { status: 'error' }]],
  ['joinOk', checks.joinOk, schemas.JoinOkSchema, [{ subscription_id: 's', allowed_topics: ['a'], current_watermarks: wm }, { allowed_topics: null }]],
  ['subscribeOk', checks.subscribeOk, schemas.SubscribeOkSchema, [{ subscription_id: 's', topics: ['a', 'b'], current_watermarks: wm }]],
  ['unsubscribeOk', checks.unsubscribeOk, schemas.UnsubscribeOkSchema, [{ subscription_id: null, topics: ['a'] }]],
  ['heartbeatReply', checks.heartbeatReply, schemas.HeartbeatReplySchema, [{ subscription_id: 's', watermarks: wm }]],
  [
    'errorPayload',
    checks.errorPayload,
    schemas.ErrorPayloadSchema,
    [
      { code: 'stale_cursor', message: 'm', full_resync_required: true, stale_topics: [{ topic: 't', reason: 'retention_floor_breach', retention_floor: 5, head_watermark: 9, replay_lag: 1.5 }], snapshot_plan: { format: 'f', topics: [{ topic: 't', head_watermark: 9 }] } },
      { code: 'slow_consumer', retry_after_ms: 100, reconnect_after_ms: 0, topic: 't', action: 'throttle', queue_depth: 10, queue_limit: 5 },
      { code: 'upgrade_required', upgrade_required: true, reason_codes: ['x'], min_schema_version: 1, max_schema_version: 2, min_client_build_id: 'a', surface: 'web' },
    ],
  ],
];

/** Every path to a value inside `root` (objects and arrays, any depth), root excluded. */
function paths(root: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (typeof root !== 'object' || root === null) return [];
  const out: Array<Array<string | number>> = [];
  for (const [k, v] of Object.entries(root)) {
    if (k === '__proto__') continue; // an own "__proto__" cannot be walked with plain indexing
    const p = [...prefix, Array.isArray(root) ? Number(k) : k];
    out.push(p, ...paths(v, p));
  }
  return out;
}

type Mutation = { at: number; value: unknown; remove: boolean; extra: boolean };
const mutationArb: fc.Arbitrary<Mutation> = fc.record({ at: fc.nat(50), value: oddValue, remove: fc.boolean(), extra: fc.boolean() });

function mutate(input: unknown, m: Mutation): unknown {
  const root = structuredClone(input);
  const all = paths(root);
  if (all.length === 0) return m.value;
  const path = all[m.at % all.length]!;
  let parent = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (m.extra && m.value !== undefined && !Array.isArray(parent)) parent['unexpected'] = m.value;
  else if (m.remove || m.value === undefined) delete parent[last]; // JSON has no undefined values
  else parent[last] = m.value;
  return root;
}

function agree(check: Check<unknown>, schema: z.ZodMiniType, input: unknown): void {
  const fast = validateShape(check, input, 'ctx', 't');
  const reference = validatePayload(schema, input, 'ctx', 't');
  expect(fast.ok).toBe(reference.ok);
  if (fast.ok && reference.ok) expect(fast.value).toStrictEqual(reference.value);
  if (!fast.ok && !reference.ok) expect(fast.error.message).toBe(reference.error.message);
}

describe.each(PAIRS)('%s check ≡ its zod schema (fast-check)', (_name, check, schema, samples) => {
  it('accepts the valid samples with the same output', () => {
    for (const sample of samples) {
      expect(validateShape(check, sample, 'ctx').ok).toBe(true);
      agree(check, schema, sample);
    }
  });

  it('agrees on mutated messages, refusal messages included', () => {
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (sample, mutations) => {
        agree(check, schema, mutations.reduce<unknown>((v, m) => mutate(v, m), sample));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('agrees on arbitrary values', () => {
    fc.assert(fc.property(oddValue, (v) => agree(check, schema, v)), { numRuns: NUM_RUNS / 5 });
  });
});
