// Inbound SpacetimeDB v1 JSON shapes (SPACETIME_PROTOCOL §1.3, §1.5) as zod/mini schemas: only the
// fields this client reads are declared (zod drops the rest), so newer servers adding fields still
// decode. Every schema runs on values that already went through `safeJsonParse`.
import * as z from 'zod/mini';
import { U32_MAX } from './client-messages.js';
import { LONE_SURROGATE } from '../../util/shape.js';

const UINT = 'expected a non-negative safe integer';
const STRING = 'expected a string';

/** A non-negative safe integer (seq, ms timestamps, offsets: all below 2^53, §1.3 rule 9). */
export const UintSchema = z.int(UINT).check(z.nonnegative(UINT));
/** A u32: request and query ids. */
export const U32Schema = z.int(UINT).check(z.nonnegative(UINT), z.lte(U32_MAX, 'expected a u32'));
const str = () => z.string(STRING);
// A lone surrogate cannot come from SpacetimeDB, whose strings are UTF-8 (util/shape.ts says why it is refused).
const wellFormed = () => str().check(z.refine((s: string) => !LONE_SURROGATE.test(s), 'expected well-formed Unicode (no lone surrogate)'));

/** `Option<T>`: `{"some": v}` or `{"none": []}` (§1.3 rule 4). Decoded to `T | undefined`. */
export function optionOf<T extends z.ZodMiniType>(schema: T) {
  return z.union([z.pipe(z.strictObject({ some: schema }), z.transform((o) => (o as { some: z.output<T> }).some)), z.pipe(z.strictObject({ none: z.unknown() }), z.transform(() => undefined))], 'expected {"some": …} or {"none": []}');
}

/** A row list: every row is a string holding JSON (§1.3 rule 7); parsed by `rows.ts`. */
const RowListSchema = z.array(str(), 'expected an array of row strings');

/** `QueryUpdate` (uncompressed in JSON mode). */
export const QueryUpdateSchema = z.object({ deletes: RowListSchema, inserts: RowListSchema });

/** `TableUpdate`. `table_name` is what we filter on; `table_id` may change across module updates. */
export const TableUpdateSchema = z.object({
  table_id: z.optional(UintSchema),
  table_name: str(),
  updates: z.array(QueryUpdateSchema, 'expected an array of query updates'),
});

/** `DatabaseUpdate`. */
export const DatabaseUpdateSchema = z.object({ tables: z.array(TableUpdateSchema, 'expected an array of table updates') });

/** `QueryId` in a server message: `{"id": n}`. */
const QueryIdSchema = z.object({ id: U32Schema });

/** `IdentityToken`: always first. `identity`/`connection_id` are special products (§1.3 rule 6). */
export const IdentityTokenSchema = z.object({
  identity: z.object({ __identity__: str() }),
  token: str(),
  connection_id: z.object({ __connection_id__: z.number('expected a number') }),
});

/** `SubscribeMultiApplied` / `UnsubscribeMultiApplied`. */
export const MultiAppliedSchema = z.object({ request_id: U32Schema, query_id: QueryIdSchema, update: DatabaseUpdateSchema });

/** `SubscribeApplied` / `UnsubscribeApplied`: one table's rows under `rows.table_rows`. */
export const SingleAppliedSchema = z.object({
  request_id: U32Schema,
  query_id: QueryIdSchema,
  rows: z.object({ table_name: str(), table_rows: TableUpdateSchema }),
});

/** `InitialSubscription` (reply to the legacy `Subscribe`). */
export const InitialSubscriptionSchema = z.object({ request_id: U32Schema, database_update: DatabaseUpdateSchema });

/** `SubscriptionError`: ids are `Option<u32>`; `query_id` is a bare u32 inside `some` (§1.5). */
export const SubscriptionErrorSchema = z.object({
  request_id: optionOf(U32Schema),
  query_id: optionOf(U32Schema),
  error: str(),
});

/** `TransactionUpdateLight`. */
export const TransactionUpdateLightSchema = z.object({ request_id: z.optional(U32Schema), update: DatabaseUpdateSchema });

/**
 * `TransactionUpdate`: `status` is an enum checked by the session (Committed / Failed / OutOfEnergy).
 * `reducer_call` names the reducer and the caller's `request_id` (read to match our own calls);
 * `caller_connection_id` is a u128 read from the frame text, never from the parsed number.
 */
export const TransactionUpdateSchema = z.object({
  status: z.record(z.string(), z.unknown()),
  reducer_call: z.optional(z.object({ reducer_name: str(), request_id: U32Schema })),
});

/** `OneOffQueryResponse`: the heartbeat's head probe answer. */
export const OneOffQueryResponseSchema = z.object({
  message_id: str(),
  error: optionOf(str()),
  tables: z.array(z.object({ table_name: str(), rows: RowListSchema }), 'expected an array of tables'),
});

/** A `sync_event` row after the positional/object forms were unified (§2.1 column list). */
export const SyncEventRowSchema = z.object({
  idempotency_key: wellFormed(),
  stream_id: str(),
  seq: UintSchema,
  payload_hash: str(),
  payload_json: str(),
  committed_at_unix_ms: z.optional(UintSchema),
  durable_offset: z.optional(UintSchema),
  confirmed_read: z.optional(z.boolean('expected a boolean')),
});

/** A `stream_head` row (heartbeat head probe). */
export const StreamHeadRowSchema = z.object({ stream_id: str(), head_seq: UintSchema });

/** Decoded `TableUpdate`. */
export type WireTableUpdate = z.output<typeof TableUpdateSchema>;
