// A few lines of structural checking for inbound JSON on the per-message path of the browser entry.
// zod stays the schema of record (the zod/mini schemas beside each lane, used by tests and property
// tests that hold these checks to them); this kit exists because zod/mini costs ~8 KB min+gz of the
// main entry's budget and walks its schema objects slower than plain code.
//
// A check returns the accepted (possibly defaulted or transformed) value or throws a ShapeIssue.
// Throwing keeps the success path free of result objects; the path of a failure is built only when
// one happens, as the issue unwinds through the object and array checks that contain it.

/** Where a value failed and why, e.g. path `['updates', 0, 'watermark']`. */
export class ShapeIssue {
  readonly path: Array<string | number> = [];
  constructor(readonly message: string) {}
}

/** A structural check: returns the accepted value or throws a {@link ShapeIssue}. */
export type Check<T> = (value: unknown) => T;

/** Output type of a check. */
export type Checked<C> = C extends Check<infer T> ? T : never;

/** Refuse the value at the current path. */
export function fail(message: string): never {
  throw new ShapeIssue(message);
}

/** `check(value)`, with `key` put in front of the path of a refusal. */
export function at<T>(key: string | number, check: Check<T>, value: unknown): T {
  try {
    return check(value);
  } catch (err) {
    if (err instanceof ShapeIssue) err.path.unshift(key);
    throw err;
  }
}

/** A value accepted when `test` holds. */
export function custom<T>(test: (value: unknown) => value is T, message: string): Check<T> {
  return (value) => (test(value) ? value : fail(message));
}

/** What a value that is not a string is told. */
export const STRING = 'expected a string';
/** What a value that is not a boolean is told. */
export const BOOLEAN = 'expected a boolean';
/** What a value that is not a non-negative safe integer is told. */
export const UINT = 'expected a non-negative safe integer';

/** A string. */
export const str = (message = STRING): Check<string> => (value) => (typeof value === 'string' ? value : fail(message));

/** A boolean. */
export const bool = (message = BOOLEAN): Check<boolean> => (value) => (typeof value === 'boolean' ? value : fail(message));

/** A finite number. */
export const num = (message = 'expected a finite number'): Check<number> => (value) =>
  typeof value === 'number' && Number.isFinite(value) ? value : fail(message);

/** A safe integer (booleans and numeric strings are refused). */
export const int = (message = 'expected an integer'): Check<number> => (value) => (Number.isSafeInteger(value) ? (value as number) : fail(message));

/** A non-negative safe integer. */
export const uint = (message = UINT): Check<number> => (value) =>
  Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : fail(message);

/** One of the given literal values. */
export function oneOf<const T extends readonly (string | number | boolean)[]>(values: T, message: string): Check<T[number]> {
  return (value) => (values.includes(value as T[number]) ? (value as T[number]) : fail(message));
}

/** Absent (`undefined`) or `null` pass through unchanged; anything else must pass `check`. */
export function maybe<T>(check: Check<T>): Check<T | null | undefined> {
  return (value) => (value === undefined || value === null ? value : check(value));
}

/** Absent (`undefined`) reads as `fallback()`; anything else must pass `check`. */
export function withDefault<T>(check: Check<T>, fallback: () => T): Check<T> {
  return (value) => (value === undefined ? fallback() : check(value));
}

/** An array whose every item passes `item`; returns a new array of the accepted items. */
export function arrayOf<T>(item: Check<T>): Check<T[]> {
  return (value) => {
    if (!Array.isArray(value)) return fail(missingOr(value, 'expected array'));
    const out = new Array<T>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = at(i, item, value[i]);
    return out;
  };
}

// The wording of the zod-based reports (src/adapters/validate.ts) for a container.
function missingOr(value: unknown, expected: string): string {
  return value === undefined ? 'is required' : expected;
}

type Fields = Record<string, Check<unknown>>;
type ObjectOf<F extends Fields> = { [K in keyof F]: Checked<F[K]> };

/**
 * A JSON object (not null, not an array) with the given fields. Unknown keys are dropped; a field
 * whose check returns `undefined` is left out of the result.
 */
export function objectOf<F extends Fields>(fields: F): Check<ObjectOf<F>> {
  const keys = Object.keys(fields);
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(missingOr(value, 'expected object'));
    const input = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const accepted = at(key, fields[key]!, Object.hasOwn(input, key) ? input[key] : undefined);
      if (accepted !== undefined) out[key] = accepted;
    }
    return out as ObjectOf<F>;
  };
}

/** `check`, then `rule` on its result (which throws through {@link failAt} to refuse). */
export function refine<T>(check: Check<T>, rule: (value: T) => void): Check<T> {
  return (value) => {
    const accepted = check(value);
    rule(accepted);
    return accepted;
  };
}

/**
 * A lone surrogate (`"\ud800"` in JSON text): a string holding one is not Unicode text and does not
 * survive a UTF-8 store (SQLite hands it back as U+FFFD), so two document keys holding one would
 * become one document after a restart, and neither could be looked up by its key.
 */
export const LONE_SURROGATE = /\p{Cs}/u;

/** What a string holding a {@link LONE_SURROGATE} is told. */
export const NOT_WELL_FORMED = 'not valid UTF-8';

/** A string that is Unicode text (no {@link LONE_SURROGATE}): document keys. */
export const text: Check<string> = refine(str(), (s) => {
  if (LONE_SURROGATE.test(s)) fail(NOT_WELL_FORMED);
});

/** Refuse at a path below the current one (for cross-field rules in {@link refine}). */
export function failAt(path: Array<string | number>, message: string): never {
  const issue = new ShapeIssue(message);
  issue.path.push(...path);
  throw issue;
}

/** Run `check`; `{ok: false, issue}` instead of a throw. Other exceptions propagate. */
export function runCheck<T>(check: Check<T>, value: unknown): { ok: true; value: T } | { ok: false; issue: ShapeIssue } {
  try {
    return { ok: true, value: check(value) };
  } catch (err) {
    if (err instanceof ShapeIssue) return { ok: false, issue: err };
    throw err;
  }
}
