import { skipString } from './json-peek.js';

/**
 * Deepest nesting of arrays and objects accepted in untrusted JSON. Default 128.
 *
 * Everything downstream of a parse that walks a value recursively (canonical JSON for hashes, error
 * de-duplication, store serialisation, structured clone) would overflow the stack on a value nested
 * thousands deep, so the bound is enforced right after the parse (see `safeJsonParse`). Real sync
 * payloads are a handful of levels deep; the frame envelope adds five or six.
 */
export const MAX_JSON_DEPTH = 128;

const QUOTE = 34;
const OPEN_SQUARE = 91;
const OPEN_CURLY = 123;
const CLOSE_SQUARE = 93;
const CLOSE_CURLY = 125;

/**
 * True when `text`, read as JSON, opens more than `max` arrays/objects at once. Linear, allocation
 * free, and string bodies are skipped with `indexOf`. Only asked about text that `JSON.parse`
 * refused (an engine whose parser recurses may refuse a deep text for its depth alone); text that
 * is not JSON gives an answer that does not matter.
 */
export function exceedsJsonDepth(text: string, max: number = MAX_JSON_DEPTH): boolean {
  // Nesting deeper than `max` needs more than `max` opening brackets.
  if (text.length <= max) return false;
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = skipString(text, i);
      if (end < 0) return false; // unterminated string: not JSON
      i = end - 1;
    } else if (c === OPEN_SQUARE || c === OPEN_CURLY) {
      if (++depth > max) return true;
    } else if (c === CLOSE_SQUARE || c === CLOSE_CURLY) {
      depth--;
    }
  }
  return false;
}
