/**
 * Deepest nesting of arrays and objects accepted in untrusted JSON. Default 128.
 *
 * Everything downstream of a parse that walks a value recursively (canonical JSON for hashes, error
 * de-duplication, store serialisation, structured clone) would overflow the stack on a value nested
 * thousands deep, so the bound is enforced on the text, before `JSON.parse`. Real sync payloads are
 * a handful of levels deep; the frame envelope adds five or six.
 */
export const MAX_JSON_DEPTH = 128;

/** What {@link scanJson} found in a text: nothing, nesting past the bound, or a key worth a closer look. */
export type JsonScan = 'plain' | 'too_deep' | 'suspicious_key';

const QUOTE = 34;
const BACKSLASH = 92;
const COLON = 58;
const OPEN_SQUARE = 91;
const OPEN_CURLY = 123;
const CLOSE_SQUARE = 93;
const CLOSE_CURLY = 125;

// JSON whitespace (space, tab, line feed, carriage return) may sit between a key and its colon.
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/**
 * A key that could reach an object's prototype: `__proto__`, `constructor`, `prototype` written
 * plainly, or any key with an escape in it (JSON lets `"\u005f_proto__"` spell `__proto__`). Only
 * keys count: a value string saying "constructor" is harmless. Keys are short, so the loop is too.
 */
function suspiciousKey(text: string, start: number, end: number): boolean {
  const length = end - start;
  if (length === 9 && (text.startsWith('__proto__', start) || text.startsWith('prototype', start))) return true;
  if (length === 11 && text.startsWith('constructor', start)) return true;
  for (let i = start; i < end; i++) if (text.charCodeAt(i) === BACKSLASH) return true;
  return false;
}

/**
 * One linear, allocation-free pass over `text` read as JSON, before it is parsed: `too_deep` when it
 * opens more than `max` arrays/objects at once (checked first: it wins over a suspicious key),
 * `suspicious_key` when some object key could be a forbidden one, else `plain`. String bodies are
 * skipped with `indexOf`, so a long one (a frame's base64 `payload_bytes`) costs almost nothing —
 * which is why this replaced a regular expression over the whole text (bench profile,
 * docs/benchmarks.md). Text that is not JSON gives an answer that does not matter: the parse that
 * follows refuses it anyway.
 */
export function scanJson(text: string, max: number = MAX_JSON_DEPTH): JsonScan {
  let depth = 0;
  let suspicious = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i + 1;
      let from = start;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) return suspicious ? 'suspicious_key' : 'plain'; // unterminated string: not JSON
        let slashes = 0;
        for (let b = q - 1; b >= start && text.charCodeAt(b) === BACKSLASH; b--) slashes++;
        if (slashes % 2 === 0) {
          i = q;
          break;
        }
        from = q + 1;
      }
      if (!suspicious) {
        let j = i + 1;
        while (j < n && isSpace(text.charCodeAt(j))) j++;
        if (j < n && text.charCodeAt(j) === COLON) suspicious = suspiciousKey(text, start, i);
      }
    } else if (c === OPEN_SQUARE || c === OPEN_CURLY) {
      if (++depth > max) return 'too_deep';
    } else if (c === CLOSE_SQUARE || c === CLOSE_CURLY) {
      depth--;
    }
  }
  return suspicious ? 'suspicious_key' : 'plain';
}
