import type { JsonObject, JsonValue } from '../util/json.js';
import { isJsonObject, safeJsonParse } from '../util/json.js';
import { randomHex } from './auth.js';
import type { Journal } from './journal.js';
import { SNAPSHOT_FORMAT } from './topic-catalog.js';

interface Generation {
  id: string;
  topic: string;
  head: number;
  docs: JsonObject[];
}

/** Generations kept per topic; older ones answer 410 like a moved generation. */
const GENERATIONS_PER_TOPIC = 16;

/** Result of a page request. */
export type SnapshotPageResult = { ok: true; body: JsonObject } | { ok: false; reason: 'expired' | 'invalid_token' };

/**
 * Pinned snapshot generations (SDK_CONTRACTS §1). The first page copies the topic's documents and head,
 * so every later page of the same snapshot is consistent even while new events are published.
 */
export class SnapshotStore {
  private readonly generations = new Map<string, Generation>();

  constructor(private readonly journal: Journal) {}

  /** Serve a page: a new generation without `pageToken`, else the page the token points at. */
  page(topic: string, pageToken: string | null, limit: number): SnapshotPageResult {
    if (pageToken === null || pageToken === '') return { ok: true, body: this.render(this.pin(topic), 0, limit) };
    const decoded = decodeToken(pageToken);
    if (!decoded || decoded.topic !== topic) return { ok: false, reason: 'invalid_token' };
    const generation = this.generations.get(decoded.id);
    if (!generation) return { ok: false, reason: 'expired' };
    return { ok: true, body: this.render(generation, decoded.offset, limit) };
  }

  /** Forget every pinned generation of `topic`: outstanding page tokens now answer 410. */
  invalidate(topic: string): void {
    for (const [id, g] of this.generations) if (g.topic === topic) this.generations.delete(id);
  }

  private pin(topic: string): Generation {
    const journal = this.journal.topic(topic);
    const docs = journal.sortedDocuments().map(([docKey, d]) => ({
      doc_key: docKey,
      doc_version: d.docVersion,
      payload: d.payload,
      payload_hash: d.payloadHash,
    }));
    // The head is what a client resumes from after applying the snapshot; the documents cover it.
    const generation: Generation = { id: randomHex(8), topic, head: journal.replayHead, docs };
    this.generations.set(generation.id, generation);
    const ofTopic = [...this.generations.values()].filter((g) => g.topic === topic);
    for (const old of ofTopic.slice(0, Math.max(0, ofTopic.length - GENERATIONS_PER_TOPIC))) this.generations.delete(old.id);
    return generation;
  }

  private render(g: Generation, offset: number, limit: number): JsonObject {
    const docs = g.docs.slice(offset, offset + limit);
    const next = offset + docs.length;
    return {
      format: SNAPSHOT_FORMAT,
      schema_version: 1,
      topic: g.topic,
      head_watermark: g.head,
      docs,
      next_page_token: next < g.docs.length ? encodeToken({ topic: g.topic, id: g.id, offset: next }) : null,
    };
  }
}

interface PageToken {
  topic: string;
  id: string;
  offset: number;
}

function encodeToken(t: PageToken): string {
  return Buffer.from(JSON.stringify({ t: t.topic, g: t.id, o: t.offset })).toString('base64url');
}

function decodeToken(text: string): PageToken | undefined {
  if (text.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  const parsed = safeJsonParse(Buffer.from(text, 'base64url').toString('utf8'));
  if (!parsed.ok || !isJsonObject(parsed.value)) return undefined;
  const { t, g, o } = parsed.value as Record<string, JsonValue>;
  if (typeof t !== 'string' || typeof g !== 'string' || typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0) return undefined;
  return { topic: t, id: g, offset: o };
}
