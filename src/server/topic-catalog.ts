import type { TopicPolicy } from './options.js';

/** Snapshot format string shared by `snapshot_plan` (§3.2) and the snapshot endpoint (SDK_CONTRACTS §1). */
export const SNAPSHOT_FORMAT = 'openagents.sync.snapshot.v1';

// §5.3 names a cadence and a source table for the two summary topics. The values are descriptive only
// (a table name, not a URL, §8.8); custom snapshot topics get a plausible stand-in.
const KNOWN_SNAPSHOT_META: Record<string, { cadence_seconds: number; source_table: string }> = {
  'runtime.run_summaries': { cadence_seconds: 300, source_table: 'runtime.sync_run_summaries' },
  'runtime.codex_worker_summaries': { cadence_seconds: 120, source_table: 'runtime.sync_codex_worker_summaries' },
};

/** The topic catalog: membership and per-topic policy. */
export class TopicCatalog {
  constructor(private readonly policies: Readonly<Record<string, TopicPolicy>>) {}

  /** Catalog topics in declaration order. */
  get topics(): string[] {
    return Object.keys(this.policies);
  }

  has(topic: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.policies, topic);
  }

  policy(topic: string): TopicPolicy | undefined {
    return this.has(topic) ? this.policies[topic] : undefined;
  }

  /** The `snapshot` object of a `snapshot_plan.topics[]` entry. */
  snapshotDescriptor(topic: string): Record<string, string | number> {
    const meta = (Object.prototype.hasOwnProperty.call(KNOWN_SNAPSHOT_META, topic) ? KNOWN_SNAPSHOT_META[topic] : undefined) ?? {
      cadence_seconds: 300,
      source_table: `runtime.sync_${topic.split('.').pop() ?? topic}`,
    };
    return { topic, format: SNAPSHOT_FORMAT, schema_version: 1, ...meta };
  }
}
