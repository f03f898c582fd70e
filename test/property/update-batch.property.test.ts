// The one-pass UpdateBatch decoder (src/adapters/khala/update-batch.ts) against the zod schema of
// record: `decodeUpdateBatch` accepts, rejects and reports exactly as
// `validatePayload(UpdateBatchSchema, …)` + `toSyncBatch` do, output and first refusal message
// included. Inputs are valid batches and mutations of them (wrong types, missing and extra keys,
// null, negative and fractional numbers, mixed topics, non-ascending watermarks, string payloads,
// arrays, holes).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toSyncBatch, UpdateBatchSchema } from '../../src/adapters/khala/schemas.js';
import { decodeUpdateBatch } from '../../src/adapters/khala/update-batch.js';
import { validatePayload } from '../../src/adapters/validate.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { ProtocolError } from '../../src/errors/protocol-error.js';

const NUM_RUNS = Number(process.env['PROPERTY_RUNS'] ?? 1000);
const TOPICS = ['runtime.a', 'runtime.b'];

/** Values that probe every check: edge numbers, wrong types, JSON and non-JSON shapes. */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(undefined, null, true, false, 0, -0, -1, 1.5, 2 ** 53, 2 ** 53 - 1, Number.NaN, Infinity, '', '7', 'eyJhIjoxfQ==', 'not base64!', [], {}, [1], { a: 1 }),
  fc.anything({ maxDepth: 2 }),
);

const updateArb = fc.record(
  {
    topic: fc.constantFrom(...TOPICS),
    doc_key: fc.string({ maxLength: 8 }),
    doc_version: fc.nat(),
    payload: fc.oneof(fc.constant(null), fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })),
    payload_hash: fc.oneof(fc.constant(null), fc.string({ maxLength: 44 })),
    watermark: fc.nat(1000),
    hydration_required: fc.boolean(),
  },
  { requiredKeys: ['topic', 'doc_key', 'doc_version', 'payload', 'watermark'] },
);

const batchArb = fc
  .record(
    {
      updates: fc.array(updateArb, { maxLength: 6 }),
      replay_complete: fc.boolean(),
      head_watermarks: fc.array(fc.record({ topic: fc.constantFrom(...TOPICS), watermark: fc.nat() }), { maxLength: 2 }),
    },
    { requiredKeys: ['updates'] },
  )
  .map((b) => {
    // Mostly well-formed: one topic, ascending watermarks (the refinement), so the walk is exercised.
    let w = 0;
    const topic = b.updates[0]?.topic ?? TOPICS[0]!;
    return { ...b, updates: b.updates.map((u) => ({ ...u, topic, watermark: (w += 1 + (u.watermark % 3)) })) };
  });

const ROOT_KEYS = ['updates', 'replay_complete', 'head_watermarks'];
const UPDATE_KEYS = ['topic', 'doc_key', 'doc_version', 'payload', 'payload_hash', 'watermark', 'hydration_required'];
const HEAD_KEYS = ['topic', 'watermark'];

/** One change at a real place of the batch: the root, one update, one head entry, or an array slot. */
type Mutation = { where: 'root' | 'update' | 'head' | 'updates-slot' | 'same-as-previous'; index: number; key: number; value: unknown; remove: boolean; extra: string | undefined };
const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  where: fc.constantFrom('root', 'update', 'update', 'update', 'head', 'updates-slot', 'same-as-previous'),
  index: fc.nat(10),
  key: fc.nat(10),
  value: oddValue,
  remove: fc.boolean(),
  extra: fc.option(fc.constantFrom('extra', 'toString', 'constructor'), { nil: undefined }),
});

function mutate(input: unknown, m: Mutation): unknown {
  const root = structuredClone(input) as Record<string, unknown>;
  const list = (k: string): unknown[] | undefined => (Array.isArray(root[k]) ? (root[k] as unknown[]) : undefined);
  let node: Record<string | number, unknown> = root;
  let keys = ROOT_KEYS;
  if (m.where === 'update' || m.where === 'head') {
    const items = list(m.where === 'update' ? 'updates' : 'head_watermarks');
    const item = items?.[m.index % Math.max(1, items.length)];
    if (typeof item === 'object' && item !== null) {
      node = item as Record<string, unknown>;
      keys = m.where === 'update' ? UPDATE_KEYS : HEAD_KEYS;
    }
  } else if (m.where === 'same-as-previous') {
    // A watermark equal to the previous one, or another update's topic: what the refinement refuses.
    const items = list('updates') as Array<Record<string, unknown>> | undefined;
    const i = items === undefined || items.length < 2 ? -1 : 1 + (m.index % (items.length - 1));
    const isObj = (v: unknown): boolean => typeof v === 'object' && v !== null;
    if (i > 0 && isObj(items![i]) && isObj(items![i - 1])) {
      const k = m.key % 2 === 0 ? 'watermark' : 'topic';
      items![i]![k] = k === 'topic' && m.remove ? TOPICS[1] : items![i - 1]![k];
      return root;
    }
  } else if (m.where === 'updates-slot') {
    const items = list('updates');
    if (items !== undefined) {
      items[m.index % Math.max(1, items.length)] = m.value;
      return root;
    }
  }
  const key = keys[m.key % keys.length]!;
  if (m.remove) delete node[key];
  else node[key] = m.value;
  if (m.extra !== undefined) node[m.extra] = m.value;
  return root;
}

function check(input: unknown): void {
  // The decoder is zod's verdict, output and error message included, with and without the topic of
  // a sync:frame, which the updates must then carry.
  for (const frameTopic of [TOPICS[0], undefined]) {
    const decoded = decodeUpdateBatch(input, 'ctx', frameTopic);
    const wire = validatePayload(UpdateBatchSchema, input, 'ctx', frameTopic);
    const stray = wire.ok && frameTopic !== undefined ? wire.value.updates[0]?.topic : undefined;
    const reference =
      stray !== undefined && stray !== frameTopic
        ? { ok: false as const, error: new ProtocolError(ErrorCodes.INVALID_PAYLOAD, `ctx: invalid updates[0].topic: "${stray}" is not the frame topic "${frameTopic}"`, { details: { context: 'ctx', field: 'updates[0].topic' } }) }
        : wire.ok
          ? { ok: true as const, value: toSyncBatch(wire.value, frameTopic) }
          : wire;
    expect(decoded.ok).toBe(reference.ok);
    if (decoded.ok && reference.ok) expect(decoded.value).toStrictEqual(reference.value);
    if (!decoded.ok && !reference.ok) {
      expect(decoded.error.code).toBe(reference.error.code);
      expect(decoded.error.message).toBe(reference.error.message);
      expect(decoded.error.details).toStrictEqual(reference.error.details);
    }
  }
}

describe('one-pass UpdateBatch decoder ≡ the zod schema (fast-check)', () => {
  it('accepts well-formed batches with zod’s exact output', () => {
    fc.assert(
      fc.property(batchArb, (batch) => {
        expect(decodeUpdateBatch(batch, 'ctx').ok).toBe(true);
        check(batch);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('accepts only what zod accepts, for mutated batches', () => {
    fc.assert(
      fc.property(batchArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (batch, mutations) => {
        check(mutations.reduce<unknown>((b, m) => mutate(b, m), batch));
      }),
      { numRuns: NUM_RUNS * 3 },
    );
  });

  it('accepts only what zod accepts, for arbitrary values', () => {
    fc.assert(fc.property(oddValue, (v) => check(v)), { numRuns: NUM_RUNS });
    for (const v of [{ updates: [] }, { updates: [undefined] }, { updates: new Array(2) }, { updates: [], head_watermarks: null }]) check(v);
  });

  it('reads own keys only, where zod also reads inherited ones', () => {
    const inherited: unknown = Object.create({ updates: [] });
    expect(UpdateBatchSchema.safeParse(inherited).success).toBe(true);
    const decoded = decodeUpdateBatch(inherited, 'ctx', 't');
    expect(decoded.ok ? 'accepted' : decoded.error.message).toBe('ctx: invalid updates: is required');
  });
});
