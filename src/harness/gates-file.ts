import { readFileSync } from 'node:fs';
import { STAGES, type StageThresholds } from './gates.js';

/** Schema id of a gates file. A new incompatible layout gets a new id (`…gates.v2`). */
export const GATES_SCHEMA = 'khala-sync.gates.v1';

/**
 * A versioned gates file: thresholds per stage. The defaults ship as `docs/gates.v1.json` (equal to
 * {@link STAGES}, checked by a test); a deployment's file lists only what it changes.
 */
export interface GatesFile {
  schema: typeof GATES_SCHEMA;
  /** Bumped whenever a default threshold changes, so a report names the thresholds it used. */
  revision: number;
  stages: Record<string, Omit<StageThresholds, 'stage'>>;
}

/** Revision of the built-in thresholds. */
export const DEFAULT_GATES_REVISION = 1;

/** The built-in thresholds as a gates file. */
export function defaultGates(): GatesFile {
  const stages: GatesFile['stages'] = {};
  for (const { stage, ...rest } of STAGES) stages[stage] = { ...rest };
  return { schema: GATES_SCHEMA, revision: DEFAULT_GATES_REVISION, stages };
}

/** Thresholds in force and where they came from. */
export interface ResolvedGates {
  stages: StageThresholds[];
  /** `built-in revision N`, or `<path> (revision N) over built-in revision M`. */
  source: string;
}

const KEYS = new Set(Object.keys(STAGES[0]!).filter((k) => k !== 'stage'));

/**
 * Merge a deployment's gates file over the defaults. Every field is checked: an unknown stage or
 * key (a typo would silently keep the default) and a negative or non-numeric value are refused
 * with a RangeError naming the field.
 */
export function mergeGates(override: unknown, label: string): ResolvedGates {
  const o = override as Partial<GatesFile> | null;
  if (typeof o !== 'object' || o === null || o.schema !== GATES_SCHEMA) throw new RangeError(`${label}: schema must be "${GATES_SCHEMA}"`);
  if (!Number.isSafeInteger(o.revision)) throw new RangeError(`${label}: revision must be an integer`);
  const stages = STAGES.map((s) => ({ ...s }));
  for (const [name, fields] of Object.entries(o.stages ?? {})) {
    const target = stages.find((s) => s.stage === name);
    if (target === undefined) throw new RangeError(`${label}: unknown stage "${name}" (one of ${STAGES.map((s) => s.stage).join(', ')})`);
    for (const [key, value] of Object.entries(fields as Record<string, unknown>)) {
      if (!KEYS.has(key)) throw new RangeError(`${label}: stages.${name}.${key} is not a threshold (one of ${[...KEYS].join(', ')})`);
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new RangeError(`${label}: stages.${name}.${key} must be a non-negative number`);
      (target as unknown as Record<string, number>)[key] = value;
    }
  }
  return { stages, source: `${label} (revision ${o.revision}) over built-in revision ${DEFAULT_GATES_REVISION}` };
}

/** Thresholds from `path` merged over the defaults, or the defaults when no path is given. */
export function loadGates(path: string | undefined): ResolvedGates {
  if (path === undefined) return { stages: STAGES.map((s) => ({ ...s })), source: `built-in revision ${DEFAULT_GATES_REVISION}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new RangeError(`${path}: cannot read a JSON gates file (${err instanceof Error ? err.message : String(err)})`);
  }
  return mergeGates(parsed, path);
}
