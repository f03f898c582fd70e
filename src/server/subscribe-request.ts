import { isJsonObject } from '../util/json.js';
import type { JsonValue } from '../util/json.js';

/**
 * Normalize `topics` (§2.2 step 1): non-strings ignored, entries trimmed, empties dropped, duplicates
 * removed keeping order. `undefined` when the field is not an array or nothing is left.
 */
export function normalizeTopics(raw: JsonValue | undefined): string[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  const out: string[] = [];
  for (const item of raw) {
    if (typeof item !== 'string') continue;
    const t = item.trim();
    if (t !== '' && !out.includes(t)) out.push(t);
  }
  return out.length > 0 ? out : undefined;
}

const isWatermark = (v: JsonValue | undefined): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Parse `resume_after` in either the map form or the list form (§2.2 step 4, §14 item 1).
 * Returns an empty map for null/absent, `undefined` when any entry is malformed: a string, float or
 * negative watermark rejects the whole request, including entries for topics that were not requested.
 */
export function parseResumeAfter(raw: JsonValue | undefined): Map<string, number> | undefined {
  const out = new Map<string, number>();
  if (raw === undefined || raw === null) return out;
  if (Array.isArray(raw)) {
    for (const entry of raw) {
      if (!isJsonObject(entry) || typeof entry.topic !== 'string' || !isWatermark(entry.watermark)) return undefined;
      out.set(entry.topic, entry.watermark);
    }
    return out;
  }
  if (!isJsonObject(raw)) return undefined;
  for (const [topic, watermark] of Object.entries(raw)) {
    if (!isWatermark(watermark)) return undefined;
    out.set(topic, watermark);
  }
  return out;
}

/** `replay_batch_size`: a positive integer, anything else means "server default" (`undefined`). */
export function parseReplayBatchSize(raw: JsonValue | undefined): number | undefined {
  return typeof raw === 'number' && Number.isSafeInteger(raw) && raw > 0 ? raw : undefined;
}
