import type { SyncBatch, SyncErrorPayload, SyncUpdate } from '../../src/model/types.js';

export function upd(topic: string, watermark: number, docKey = `doc:${watermark}`, docVersion = watermark, payload: SyncUpdate['payload'] = { w: watermark }): SyncUpdate {
  return { topic, docKey, docVersion, payload, payloadHash: null, watermark, hydrationRequired: false };
}

export function batch(topic: string, updates: SyncUpdate[], replayComplete = true, headWatermark?: number): SyncBatch {
  return { topic, updates, replayComplete, headWatermark };
}

export function errorPayload(code: string, extra: Partial<SyncErrorPayload> = {}): SyncErrorPayload {
  return {
    code,
    message: undefined,
    fullResyncRequired: false,
    staleTopics: [],
    snapshotHeads: undefined,
    topic: undefined,
    action: undefined,
    retryAfterMs: undefined,
    forbiddenTopics: [],
    raw: { code },
    ...extra,
  };
}

export function stale(topics: Array<{ topic: string; head?: number; floor?: number; resumeAfter?: number }>, withPlan = false): SyncErrorPayload {
  return errorPayload('stale_cursor', {
    fullResyncRequired: true,
    staleTopics: topics.map((t) => ({ topic: t.topic, reason: 'retention_floor_breach', resumeAfter: t.resumeAfter, retentionFloor: t.floor, headWatermark: t.head })),
    snapshotHeads: withPlan ? Object.fromEntries(topics.filter((t) => t.head !== undefined).map((t) => [t.topic, t.head!])) : undefined,
    raw: withPlan ? { code: 'stale_cursor', snapshot_plan: { topics: [] } } : { code: 'stale_cursor' },
  });
}
