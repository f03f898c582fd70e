import { readFileSync } from 'node:fs';
import { ErrorCodes, KhalaSyncError, StoreError } from '../errors/index.js';
import { safeJsonParse } from '../util/json.js';
import { desktopCursors } from './desktop-checkpoints.js';
import { asObject } from './legacy-record.js';
import type { Manifest } from './manifest.js';
import type { StoreFile } from './read-store.js';
import { mapCursorKeys, streamToTopic, type MappingEntry } from './topic-stream-map.js';

/** What a source contributes to a migration, before the target is looked at. */
export interface SourcePlan {
  operation: Manifest['operation'];
  /** Cursors to import, keyed as the target will key them. Empty for a schema upgrade. */
  cursors: Record<string, number>;
  /** Stored keys renamed (K1 topic → stream id), for both imports and in-place rekeys. */
  mapping: MappingEntry[];
}

function invalidOption(message: string): KhalaSyncError {
  return new KhalaSyncError('client', ErrorCodes.INVALID_OPTION, message);
}

/**
 * Read a user mapping file: a JSON object of K1 topic → stream id, for topics whose ids §5.6 cannot
 * know (opaque ids). Every value must be a non-empty string.
 *
 * @throws StoreError `BAD_MAPPING`.
 */
export function readMappingFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new StoreError(ErrorCodes.BAD_MAPPING, `cannot read mapping file ${path}`, { details: { path }, cause: err });
  }
  const parsed = safeJsonParse(text);
  const o = parsed.ok ? asObject(parsed.value) : undefined;
  if (o === undefined) throw new StoreError(ErrorCodes.BAD_MAPPING, `mapping file ${path} is not a JSON object of topic → stream id`, { details: { path } });
  const out: Record<string, string> = {};
  for (const [topic, stream] of Object.entries(o)) {
    if (topic.length === 0 || typeof stream !== 'string' || stream.length === 0) {
      throw new StoreError(ErrorCodes.BAD_MAPPING, `mapping file ${path}: "${topic}" must map to a non-empty stream id string`, { details: { path, topic } });
    }
    out[topic] = stream;
  }
  return out;
}

/** Options that shape the source side of a migration. */
export interface SourceOptions {
  toStreams: boolean;
  userMap: Record<string, string> | undefined;
  worker: string | undefined;
}

/**
 * Turn a source store into the cursors to write (and the key mapping to record).
 *
 * @throws KhalaSyncError `INVALID_OPTION` for options that do not fit the source; StoreError
 *   `AMBIGUOUS_CHECKPOINTS`, `BAD_MAPPING`.
 */
export function planSource(source: StoreFile, options: SourceOptions): SourcePlan {
  if (options.worker !== undefined && source.kind !== 'desktop-checkpoints') throw invalidOption('--worker only applies to the desktop checkpoint file');
  switch (source.kind) {
    case 'desktop-checkpoints':
      // Its keys are already Spacetime stream ids (§7.3): there is nothing to map.
      if (options.toStreams) throw invalidOption('the desktop checkpoint file is keyed by stream id already; --to-streams does not apply');
      return { operation: 'import-desktop-checkpoints', cursors: desktopCursors(source.entries, options.worker), mapping: [] };
    case 'web-sync-state': {
      const topics = source.state.topicWatermarks;
      if (!options.toStreams) return { operation: 'import-web-sync-state', cursors: { ...topics }, mapping: [] };
      const mapped = mapCursorKeys(topics, options.userMap);
      return { operation: 'import-web-sync-state', cursors: mapped.cursors, mapping: mapped.mapping };
    }
    case 'khala-sqlite': {
      if (!options.toStreams) return { operation: 'upgrade-sqlite', cursors: {}, mapping: [] };
      // Keys that already are stream ids (a previous run moved them) stay: re-running is a no-op.
      const topics = Object.fromEntries(Object.entries(source.facts.watermarks).filter(([key]) => streamToTopic(key) === undefined && !Object.values(options.userMap ?? {}).includes(key)));
      const mapped = mapCursorKeys(topics, options.userMap);
      return { operation: 'upgrade-sqlite', cursors: {}, mapping: mapped.mapping.filter((m) => m.from !== m.to) };
    }
  }
}
