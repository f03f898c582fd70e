import { ErrorCodes, StoreError } from '../errors/index.js';

/** Which rule of the topic → stream table produced a stream id (docs/migrations.md, "Mappings"). */
export type MappingRule = 'run_events' | 'worker_lifecycle' | 'fleet_user' | 'fleet_guest' | 'codex_worker_events' | 'fallback' | 'user';

/** One cursor key moved by a migration: recorded in the manifest so the move can be read back. */
export interface MappingEntry {
  /** The K1 topic as it was stored. */
  from: string;
  /** The stream id it became. */
  to: string;
  /** Which rule of the topic → stream table produced `to`. */
  rule: MappingRule;
  /**
   * The topic the reverse table gives for `to`, or `null` when it would not give `from` back
   * (the fallback rule on a topic containing a dot): then only this entry can say where `to` came from.
   */
  reverse: string | null;
}

interface Pattern {
  rule: Exclude<MappingRule, 'fallback' | 'user'>;
  topicPrefix: string;
  topicSuffix: string;
  streamPrefix: string;
  streamSuffix: string;
}

// The table in the order it is checked; an id is what sits between a prefix and a suffix.
const PATTERNS: readonly Pattern[] = [
  { rule: 'run_events', topicPrefix: 'run:', topicSuffix: ':events', streamPrefix: 'runtime.run.', streamSuffix: '.events' },
  { rule: 'worker_lifecycle', topicPrefix: 'worker:', topicSuffix: ':lifecycle', streamPrefix: 'runtime.worker.', streamSuffix: '.lifecycle' },
  { rule: 'fleet_user', topicPrefix: 'fleet:user:', topicSuffix: ':workers', streamPrefix: 'runtime.fleet.user.', streamSuffix: '.workers' },
  { rule: 'fleet_guest', topicPrefix: 'fleet:guest:', topicSuffix: ':workers', streamPrefix: 'runtime.fleet.guest.', streamSuffix: '.workers' },
  { rule: 'codex_worker_events', topicPrefix: 'runtime.codex_worker_events', topicSuffix: '', streamPrefix: 'runtime.codex.worker.events', streamSuffix: '' },
];

const FALLBACK_PREFIX = 'runtime.topic.';

function inner(value: string, prefix: string, suffix: string): string | undefined {
  if (!value.startsWith(prefix) || !value.endsWith(suffix) || value.length < prefix.length + suffix.length) return undefined;
  return value.slice(prefix.length, value.length - suffix.length);
}

function isExact(p: Pattern): boolean {
  return p.topicSuffix === '' && p.streamSuffix === '';
}

/**
 * The stream a K1 topic's cursor moves to (KHALA_PROTOCOL §5.6): the patterns in order, matched by
 * prefix and suffix with a non-empty id that keeps its colons, then the fallback
 * `runtime.topic.` + the topic with `:` → `.`.
 */
export function topicToStream(topic: string): { stream: string; rule: MappingRule } {
  for (const p of PATTERNS) {
    if (isExact(p)) {
      if (topic === p.topicPrefix) return { stream: p.streamPrefix, rule: p.rule };
      continue;
    }
    const id = inner(topic, p.topicPrefix, p.topicSuffix);
    if (id !== undefined && id.length > 0) return { stream: `${p.streamPrefix}${id}${p.streamSuffix}`, rule: p.rule };
  }
  return { stream: FALLBACK_PREFIX + topic.replaceAll(':', '.'), rule: 'fallback' };
}

/**
 * The reverse table (§5.6): the patterns backwards, empty ids rejected, the fallback with `.` → `:`.
 * Returns `undefined` for a stream no rule produces. The fallback's answer is only a guess when the
 * original topic had dots, so callers that can must prefer a recorded {@link MappingEntry}.
 */
export function streamToTopic(stream: string): string | undefined {
  for (const p of [...PATTERNS].reverse()) {
    if (isExact(p)) {
      if (stream === p.streamPrefix) return p.topicPrefix;
      continue;
    }
    const id = inner(stream, p.streamPrefix, p.streamSuffix);
    if (id !== undefined) return id.length > 0 ? `${p.topicPrefix}${id}${p.topicSuffix}` : undefined;
  }
  const rest = inner(stream, FALLBACK_PREFIX, '');
  return rest === undefined || rest.length === 0 ? undefined : rest.replaceAll('.', ':');
}

/**
 * Map every key of `cursors` to its stream, a user mapping first (for opaque ids), then §5.6.
 * Refuses (nothing is moved) when two keys would land on one stream: one cursor would silently
 * win over the other.
 *
 * @param userMap topic → stream id overrides; default none.
 * @throws StoreError `BAD_MAPPING` on a collision or an empty user stream id.
 */
export function mapCursorKeys(cursors: Record<string, number>, userMap: Readonly<Record<string, string>> = {}): { cursors: Record<string, number>; mapping: MappingEntry[] } {
  const out: Record<string, number> = {};
  const mapping: MappingEntry[] = [];
  const seen = new Map<string, string>();
  for (const topic of Object.keys(cursors).sort()) {
    const user = Object.hasOwn(userMap, topic) ? userMap[topic] : undefined;
    const { stream, rule } = user !== undefined ? { stream: user, rule: 'user' as const } : topicToStream(topic);
    if (stream.length === 0) throw new StoreError(ErrorCodes.BAD_MAPPING, `the mapping gives topic "${topic}" an empty stream id`, { details: { topic } });
    const earlier = seen.get(stream);
    if (earlier !== undefined) {
      throw new StoreError(ErrorCodes.BAD_MAPPING, `topics "${earlier}" and "${topic}" both map to stream "${stream}"`, { details: { stream, topics: [earlier, topic] } });
    }
    seen.set(stream, topic);
    out[stream] = cursors[topic]!;
    const back = streamToTopic(stream);
    mapping.push({ from: topic, to: stream, rule, reverse: back === topic ? back : null });
  }
  return { cursors: out, mapping };
}
