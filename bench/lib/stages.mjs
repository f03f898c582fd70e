// Cost of each step of khala-sync's inbound path, per update, on recorded frames: what bounds the
// throughput figures. Imports the built internals (dist/) that the client chains together:
// Connection → KhalaSession (Phoenix frame, KhalaFrame, payload_bytes, zod) → ReplayDriver
// (planBatch with payload_hash checks, store commit, document cache).
import { performance } from 'node:perf_hooks';
import { Buffer } from 'node:buffer';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeBase64Json } from '../../dist/adapters/khala/payload-bytes.js';
import { toSyncBatch, UpdateBatchSchema } from '../../dist/adapters/khala/schemas.js';
import { decodeUpdateBatch } from '../../dist/adapters/khala/update-batch.js';
import { decodePhoenixFrame } from '../../dist/adapters/khala/serializer.js';
import { validatePayload } from '../../dist/adapters/validate.js';
import { DocumentCache } from '../../dist/client/document-cache.js';
import { canonicalJson, verifyPayloadHash } from '../../dist/hash/index.js';
import { nativeSha256Base64 } from '../../dist/hash/native-sha256.js';
import { sha256Utf8 } from '../../dist/hash/sha256.js';
import { planBatch } from '../../dist/replay/plan-batch.js';
import { createSqliteStore } from '../../dist/sqlite.js';
import { createMemoryStore } from '../../dist/watermarks/memory-store.js';
import { gc } from './stats.mjs';

/** µs per update of each step (median of `runs` passes over `frames`, after one warm-up pass). */
export async function measureStages(frames, runs = 5) {
  const texts = frames.filter((f) => f.includes('"sync:frame"'));
  const envelopes = texts.map((t) => decodePhoenixFrame(t).msg.payload);
  const bodies = envelopes.map((e) => decodeBase64Json(e.payload_bytes).value);
  const wires = bodies.map((b) => validatePayload(UpdateBatchSchema, b, 'bench').value);
  const batches = wires.map((w) => toSyncBatch(w));
  const updates = batches.reduce((n, b) => n + b.updates.length, 0);
  const canon = batches.flatMap((b) => b.updates.map((u) => canonicalJson(u.payload)));
  const state = { topic: batches[0].topic, phase: 'replaying', lastApplied: undefined, recovery: undefined, caughtUp: false };
  const emptyCache = new DocumentCache();
  const plans = batches.map((b) => planBatch(state, b, (t, k) => emptyCache.get(t, k), { verifyHashes: false }));
  const dir = mkdtempSync(join(tmpdir(), 'khala-bench-'));

  const steps = {
    'A: whole frame (JSON.parse, Buffer base64, JSON.parse, max seq)': () => {
      for (const t of texts) {
        const p = JSON.parse(t)[4];
        const b = JSON.parse(Buffer.from(p.payload_bytes, 'base64').toString('utf8'));
        let m = 0;
        for (const u of b.updates) if (u.watermark > m) m = u.watermark;
      }
    },
    'Phoenix frame: safe JSON.parse + shape checks': () => {
      for (const t of texts) decodePhoenixFrame(t);
    },
    'payload_bytes: base64 → strict UTF-8 → safe JSON.parse': () => {
      for (const e of envelopes) decodeBase64Json(e.payload_bytes);
    },
    'UpdateBatch validation + core shape as the client runs it (fast walk, zod on refusal)': () => {
      for (const b of bodies) decodeUpdateBatch(b, 'bench');
    },
    'for comparison: zod UpdateBatch schema alone': () => {
      for (const b of bodies) validatePayload(UpdateBatchSchema, b, 'bench');
    },
    'for comparison: toSyncBatch (zod wire shape → core shape)': () => {
      for (const w of wires) toSyncBatch(w);
    },
    'payload_hash: canonical JSON + SHA-256 + compare (as the client runs it)': () => {
      for (const b of batches) for (const u of b.updates) verifyPayloadHash(u.payload, u.payloadHash);
    },
    '  of which canonical JSON': () => {
      for (const b of batches) for (const u of b.updates) canonicalJson(u.payload);
    },
    '  of which SHA-256, native (node:crypto hash)': () => {
      for (const t of canon) nativeSha256Base64(t);
    },
    'for comparison: SHA-256 in JavaScript (the browser path)': () => {
      for (const t of canon) sha256Utf8(t);
    },
    'planBatch (without hash checks)': () => {
      const cache = new DocumentCache();
      for (const b of batches) planBatch(state, b, (t, k) => cache.get(t, k), { verifyHashes: false });
    },
    'memory store commit (checks + upsert, no copy)': async () => {
      const store = createMemoryStore();
      for (const p of plans) await store.commit(p.commit);
    },
    'SQLite store commit (one transaction per batch)': async () => {
      const store = createSqliteStore({ path: join(dir, `s${Math.random().toString(36).slice(2)}.sqlite`) });
      for (const p of plans) await store.commit(p.commit);
      await store.close();
    },
    'document cache put (one batch at a time)': () => {
      const cache = new DocumentCache();
      for (const p of plans) cache.putAll(p.commit.topic, p.commit.documents);
    },
  };
  const out = [];
  for (const [name, fn] of Object.entries(steps)) {
    const times = [];
    for (let r = 0; r <= runs; r++) {
      gc();
      const t0 = performance.now();
      await fn();
      if (r > 0) times.push(((performance.now() - t0) * 1000) / updates);
    }
    times.sort((a, b) => a - b);
    out.push({ step: name, usPerUpdate: times[times.length >> 1] });
  }
  rmSync(dir, { recursive: true, force: true });
  return out;
}
