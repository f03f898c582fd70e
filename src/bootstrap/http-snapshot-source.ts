import * as z from 'zod/mini';
import { ErrorCodes } from '../errors/codes.js';
import { SnapshotError } from '../errors/snapshot-error.js';
import type { JsonValue } from '../util/json.js';
import { getJson, type HttpRetryOptions } from './http-fetch.js';
import type { Hydrator, SnapshotPage, SnapshotSource } from './snapshot-source.js';

const uint = z.number().check(z.int(), z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER));
const json = z.custom<JsonValue>((v) => v !== undefined);

const pageSchema = z.object({
  format: z.optional(z.string()),
  topic: z.string(),
  head_watermark: uint,
  docs: z.array(z.object({ doc_key: z.string(), doc_version: uint, payload: json, payload_hash: z.optional(z.nullable(z.string())) })),
  next_page_token: z.optional(z.nullable(z.string())),
});

const docSchema = z.object({ doc_key: z.string(), doc_version: uint, payload: json, payload_hash: z.optional(z.nullable(z.string())) });

/** Options of {@link httpSnapshotSource}. */
export interface HttpSnapshotOptions extends HttpRetryOptions {
  /** Base URL; pages are read from `{baseUrl}/{urlencoded topic}`. */
  baseUrl: string;
  /** Page size asked for. Default 500. */
  pageSize?: number;
  /** Restarts allowed when the snapshot generation moves mid-pagination. Default 3. */
  maxRestarts?: number;
}

function joinUrl(base: string, ...parts: string[]): string {
  return `${base.replace(/\/+$/, '')}/${parts.map(encodeURIComponent).join('/')}`;
}

/**
 * The default snapshot source (SDK_CONTRACTS §1): paginated GETs pinned to one generation. A page
 * whose head differs from the first page's, or a 410, restarts from the first page, so the pages
 * handed to the client always describe one generation.
 */
export function httpSnapshotSource(options: HttpSnapshotOptions): SnapshotSource {
  return async function* snapshot(topic, request): AsyncIterable<SnapshotPage> {
    const maxRestarts = options.maxRestarts ?? 3;
    for (let restart = 0; restart <= maxRestarts; restart++) {
      const pages: SnapshotPage[] = [];
      let pageToken: string | null | undefined;
      let moved = false;
      do {
        const url = new URL(joinUrl(options.baseUrl, topic));
        url.searchParams.set('limit', String(options.pageSize ?? 500));
        if (pageToken) url.searchParams.set('page_token', pageToken);
        const { status, body } = await getJson(url.toString(), request.token, request.signal, options, topic);
        if (status === 410) {
          moved = true;
          break;
        }
        const page = pageSchema.safeParse(body);
        if (!page.success || page.data.topic !== topic) {
          throw new SnapshotError(ErrorCodes.BAD_SNAPSHOT, `snapshot page for ${topic} is not a valid openagents.sync.snapshot.v1 page`, { topic });
        }
        if (pages.length > 0 && page.data.head_watermark !== pages[0]!.headWatermark) {
          moved = true;
          break;
        }
        pages.push({
          topic,
          headWatermark: page.data.head_watermark,
          docs: page.data.docs.map((d) => ({ docKey: d.doc_key, docVersion: d.doc_version, payload: d.payload, payloadHash: d.payload_hash ?? null })),
        });
        pageToken = page.data.next_page_token;
      } while (pageToken);
      // Pages are only handed out once the whole generation has arrived, so a restart never
      // leaves the caller holding pages of two generations.
      if (!moved) {
        yield* pages;
        return;
      }
    }
    throw new SnapshotError(ErrorCodes.SNAPSHOT_FAILED, `snapshot generation of ${topic} kept moving (${maxRestarts} restarts)`, { topic, retryable: true });
  };
}

/** Options of {@link httpHydrator}. */
export interface HttpHydratorOptions extends HttpRetryOptions {
  /** Base URL; documents are read from `{baseUrl}/{topic}/{docKey}`. */
  baseUrl: string;
}

/** The default hydrator (SDK_CONTRACTS §2). */
export function httpHydrator(options: HttpHydratorOptions): Hydrator {
  return async (topic, docKey, request) => {
    const { body } = await getJson(joinUrl(options.baseUrl, topic, docKey), request.token, request.signal, options, topic);
    const doc = docSchema.safeParse(body);
    if (!doc.success || doc.data.doc_key !== docKey) {
      throw new SnapshotError(ErrorCodes.HYDRATION_FAILED, `hydration response for ${docKey} has the wrong shape`, { topic });
    }
    return { docKey, docVersion: doc.data.doc_version, payload: doc.data.payload, payloadHash: doc.data.payload_hash ?? null };
  };
}
