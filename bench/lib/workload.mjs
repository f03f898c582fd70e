// The pinned workload: every run publishes the same documents with the same payloads.

const FILLER = 'The quick brown fox jumps over the lazy dog; sphinx of black quartz, judge my vow. ';

/**
 * A deterministic JSON payload of about `bytes` bytes of compact JSON (default 200): a few typed
 * fields like a run summary plus ASCII filler text.
 */
export function makePayload(k, bytes = 200) {
  const base = { run_id: `run_${k}`, status: k % 3 === 0 ? 'running' : 'succeeded', step: k % 97, cost_usd: (k % 1000) / 100, note: '' };
  const used = JSON.stringify(base).length;
  let note = '';
  while (note.length < bytes - used) note += FILLER;
  base.note = note.slice(0, Math.max(0, bytes - used));
  return base;
}

/** Topic used by the throughput, replay and latency figures (no snapshot, §5.1 hot topic). */
export const EVENTS_TOPIC = 'runtime.codex_worker_events';
/** Topic with a snapshot endpoint, used by the stale-cursor recovery figure. */
export const SNAPSHOT_TOPIC = 'runtime.run_summaries';
/** Topic with no traffic, used for idle clients. */
export const IDLE_TOPIC = 'runtime.notifications';
