import { ErrorCodes } from '../errors/codes.js';
import { KhalaSyncError } from '../errors/khala-sync-error.js';
import type { SyncBatch, SyncDocument, SyncUpdate } from '../model/types.js';
import type { JsonValue } from '../util/json.js';
import { ownValue } from '../util/records.js';

/**
 * The Standard Schema v1 interface (standardschema.dev), which zod 4, valibot and arktype
 * implement: only what the client calls. No validator library is imported here.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  /** The Standard Schema v1 entry point: the only property khala-sync reads (its `validate`). */
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/** A Standard Schema validation result: the value, or the issues. */
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<{ readonly message: string; readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined }> };

/** Payload type per topic name; topics not listed carry `JsonValue`. */
export type TopicPayloads = Record<string, unknown>;

/** The payload type of `topic` in `T`. */
export type PayloadOf<T, K extends string> = K extends keyof T ? T[K] : JsonValue;

/** A document whose payload is typed (`null` while a pointer-mode body is still to be fetched). */
export type TypedDocument<P> = Omit<SyncDocument, 'payload'> & { readonly payload: P | null };

/** One Standard Schema per topic, checking that topic's payloads. */
export type TopicSchemas<T extends TopicPayloads> = { readonly [K in keyof T]?: StandardSchemaV1<unknown, T[K]> };

/** What a schema check reads: an update or a document. */
export interface Checked {
  readonly docKey: string;
  readonly watermark: number;
  readonly payload: JsonValue | null;
}

/**
 * Keeps the updates or documents whose payload passes its topic's schema; reports each other one
 * with its error, to `report` when given (default: the client's error event).
 */
export type DocumentCheck = <D extends Checked>(topic: string, items: readonly D[], report?: (error: KhalaSyncError, item: D) => void) => Promise<D[]>;

const MAX_ISSUES = 5;

/**
 * A {@link DocumentCheck} for `schemas`. A document without a body (pointer mode) passes: its body
 * is checked when hydrated. A refused one is reported as `schema_mismatch` with its key, watermark
 * and the first issues (messages and paths, never the payload).
 */
export function schemaCheck(schemas: TopicSchemas<TopicPayloads>, report: (error: KhalaSyncError) => void): DocumentCheck {
  return async <D extends Checked>(topic: string, docs: readonly D[], reportTo: (error: KhalaSyncError, item: D) => void = report): Promise<D[]> => {
    const schema = ownValue(schemas, topic);
    if (schema === undefined) return [...docs];
    const kept: D[] = [];
    for (const doc of docs) {
      if (doc.payload === null) {
        kept.push(doc);
        continue;
      }
      let result: StandardResult<unknown>;
      try {
        result = await schema['~standard'].validate(doc.payload);
      } catch (err) {
        result = { issues: [{ message: `validator threw: ${err instanceof Error ? err.message : String(err)}` }] };
      }
      if (result.issues === undefined) {
        kept.push(doc);
        continue;
      }
      const issues = result.issues.slice(0, MAX_ISSUES).map((i) => ({ message: String(i.message).slice(0, 200), path: (i.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.') }));
      reportTo(
        new KhalaSyncError('client', ErrorCodes.SCHEMA_MISMATCH, `payload of ${doc.docKey} at watermark ${doc.watermark} fails the ${topic} schema; not stored`, {
          topic,
          details: { docKey: doc.docKey, watermark: doc.watermark, issues },
        }),
        doc,
      );
    }
    return kept;
  };
}

/**
 * The updates of `batch` past `after` whose payload fails the topic's schema (checked in order),
 * each with its `schema_mismatch` error, unreported: the plan reports those it passes (SPEC.md A6).
 */
export async function refusedUpdates(check: DocumentCheck, batch: SyncBatch, after: number | undefined): Promise<ReadonlyMap<SyncUpdate, KhalaSyncError>> {
  const refused = new Map<SyncUpdate, KhalaSyncError>();
  await check(batch.topic, batch.updates.filter((u) => after === undefined || u.watermark > after), (error, u) => refused.set(u, error));
  return refused;
}
