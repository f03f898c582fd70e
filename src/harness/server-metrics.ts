import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { redact } from '../errors/redact.js';
import type { ServerMetricsEvidence } from './stage-report.js';

const FILE = 'server-metrics.json';

/**
 * Fetch the server's metrics JSON (`--server-metrics-url`) and keep it in the report directory as
 * evidence. A failed fetch or a body that is not JSON is recorded, not thrown: the gate verdict does
 * not depend on it, but the report must say the evidence is missing.
 */
export async function fetchServerMetrics(url: string, dir: string, timeoutMs = 10_000): Promise<ServerMetricsEvidence> {
  const fetchedAt = new Date().toISOString();
  const shown = redact(url);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    const text = await res.text();
    if (!res.ok) return { url: shown, fetched_at: fetchedAt, status: res.status, file: null, error: `HTTP ${res.status}` };
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { url: shown, fetched_at: fetchedAt, status: res.status, file: null, error: 'response is not JSON' };
    }
    writeFileSync(join(dir, FILE), `${JSON.stringify({ url: shown, fetched_at: fetchedAt, metrics: body }, null, 2)}\n`);
    return { url: shown, fetched_at: fetchedAt, status: res.status, file: FILE, error: null };
  } catch (err) {
    return { url: shown, fetched_at: fetchedAt, status: null, file: null, error: redact(err instanceof Error ? err.message : String(err)) };
  }
}
