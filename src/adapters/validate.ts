import type * as z from 'zod/mini';
import { ErrorCodes } from '../errors/codes.js';
import { ProtocolError } from '../errors/protocol-error.js';
import { redact } from '../errors/redact.js';
import { runCheck, type Check } from '../util/shape.js';

/**
 * A server-controlled string made safe to quote in an error message or its details: credentials
 * scrubbed (`details` are not redacted by the error classes) and length capped (default 80) so a
 * hostile frame cannot blow up logs.
 */
export function quote(text: string, max = 80): string {
  const safe = redact(text);
  return safe.length > max ? `${safe.slice(0, max)}…` : safe;
}

/** Result of {@link validatePayload}: data, never an exception. */
export type Validated<T> = { ok: true; value: T } | { ok: false; error: ProtocolError };

type Issue = z.core.$ZodIssue;

// `updates[0].watermark` reads better in a log line than zod's raw path array.
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

// zod/mini ships no locale, so its own messages are a bare "Invalid input": derive one from the issue
// whenever the schema did not name the expectation itself.
function describe(issue: Issue): string {
  if (issue.message !== '' && issue.message !== 'Invalid input') return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `expected ${issue.expected}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return `must be >= ${String(issue.minimum)}`;
    case 'too_big':
      return `must be <= ${String(issue.maximum)}`;
    default:
      return issue.code;
  }
}

/**
 * Run `schema` over an inbound value. On failure the error is `invalid_payload`, and its message names
 * the context (`sync:update_batch`, `phx_reply to sync:subscribe`...) and the first offending field,
 * e.g. `sync:update_batch: invalid updates[0].watermark: expected a non-negative safe integer`.
 * The message never includes the payload body (it may be large or sensitive), only the field path.
 */
export function validatePayload<S extends z.ZodMiniType>(schema: S, value: unknown, context: string, topic?: string): Validated<z.output<S>> {
  // reportInput: without it zod leaves `issue.input` unset and every type error would read "is required".
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  return invalid(context, issue === undefined ? [] : issue.path, issue === undefined ? 'does not match its schema' : describe(issue), topic);
}

function invalid(context: string, path: readonly PropertyKey[], what: string, topic: string | undefined): { ok: false; error: ProtocolError } {
  const field = formatPath(path);
  const message = `${context}: invalid ${field === '' ? 'payload' : field}: ${what}`;
  return { ok: false, error: new ProtocolError(ErrorCodes.INVALID_PAYLOAD, message, { topic, details: { context, field } }) };
}

/**
 * {@link validatePayload} for a plain {@link Check} (src/util/shape.ts) instead of a zod schema: the
 * per-message path of the browser entry. Same `invalid_payload` error, same message format.
 */
export function validateShape<T>(check: Check<T>, value: unknown, context: string, topic?: string): Validated<T> {
  const result = runCheck(check, value);
  return result.ok ? result : invalid(context, result.issue.path, result.issue.message, topic);
}
