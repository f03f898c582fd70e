import { eachElement, memberAt, stringAt, uintAt } from '../../util/json-peek.js';
import { frameKindOf } from './frame-decoder.js';
import type { ErrorStream } from './error-pairing.js';

/** What a data frame too large to parse says about itself, read as JSON.parse would read it. */
export interface OversizedPeek {
  /** `event` for `sync:update_batch`, `frame` for `sync:frame`. */
  stream: ErrorStream;
  /** The batch's topic (its first update's, or the frame's); undefined when it cannot be read. */
  topic: string | undefined;
  /** The batch's highest watermark (a frame's `seq`); undefined when unknown or not an UPDATE_BATCH frame. */
  seq: number | undefined;
}

/**
 * Peek at an oversized Khala message without parsing it: undefined unless it is a whole Phoenix
 * array carrying `sync:update_batch` or `sync:frame`. Each field is the value JSON.parse would keep
 * (the last of a key given twice), so the report names the topic the frame itself would have.
 */
export function peekOversized(text: string): OversizedPeek | undefined {
  const at: number[] = [];
  if (!eachElement(text, 0, (v) => void at.push(v)) || at.length !== 5) return undefined;
  const event = stringAt(text, at[3]!);
  const payload = at[4]!;
  if (event === 'sync:frame') {
    const kindAt = memberAt(text, payload, 'kind');
    const kind = kindAt < 0 ? undefined : (stringAt(text, kindAt) ?? uintAt(text, kindAt));
    const batch = kind !== undefined && frameKindOf(kind) === 'update_batch';
    return { stream: 'frame', topic: valueOf(text, payload, 'topic', stringAt), seq: batch ? valueOf(text, payload, 'seq', uintAt) : undefined };
  }
  if (event !== 'sync:update_batch') return undefined;
  let first = -1;
  let last = -1;
  const list = memberAt(text, payload, 'updates');
  if (list < 0 || !eachElement(text, list, (v) => void (first < 0 && (first = v), (last = v))) || first < 0) return { stream: 'event', topic: undefined, seq: undefined };
  return { stream: 'event', topic: valueOf(text, first, 'topic', stringAt), seq: valueOf(text, last, 'watermark', uintAt) };
}

function valueOf<T>(text: string, object: number, key: string, read: (text: string, at: number) => T | undefined): T | undefined {
  const at = memberAt(text, object, key);
  return at < 0 ? undefined : read(text, at);
}
