// Reading a few fields of a JSON text too large to parse (a frame above maxFrameBytes), the way
// JSON.parse would read them: a key given twice means its LAST value (`{"topic":"a","topic":"b"}`
// parses to topic "b"), so a look at the head alone could name something the frame does not say.
// The walk skips strings with indexOf and never builds the values it steps over.

const SPACE = /[ \t\n\r]/;

function skipSpace(text: string, i: number): number {
  while (SPACE.test(text.charAt(i))) i++;
  return i;
}

/** Index just past the JSON string that opens at `i`, or -1 when none does or it never closes. */
export function skipString(text: string, i: number): number {
  if (text.charAt(i) !== '"') return -1;
  for (let from = i + 1; ; ) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return -1;
    let slashes = 0;
    while (text.charAt(quote - 1 - slashes) === '\\') slashes++;
    if (slashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** Index just past the JSON value that starts at `i` (not checked beyond its bounds), or -1. */
function skipValue(text: string, i: number): number {
  const c = text.charAt(i);
  if (c === '"') return skipString(text, i);
  if (c !== '{' && c !== '[') {
    let j = i;
    while (j < text.length && !',}] \t\n\r'.includes(text.charAt(j))) j++;
    return j > i ? j : -1;
  }
  for (let j = i, depth = 0; j < text.length; j++) {
    const ch = text.charAt(j);
    if (ch === '"') {
      j = skipString(text, j) - 1;
      if (j < 0) return -1;
    } else if (ch === '{' || ch === '[') depth++;
    else if ((ch === '}' || ch === ']') && --depth === 0) return j + 1;
  }
  return -1;
}

/** The string value that starts at `i` as JSON.parse reads it (escapes too), or undefined. */
export function stringAt(text: string, i: number, maxLength = 1000): string | undefined {
  const end = skipString(text, i);
  if (end < 0 || end - i > maxLength) return undefined;
  try {
    return JSON.parse(text.slice(i, end)) as string;
  } catch {
    return undefined;
  }
}

/** The non-negative integer that starts at `i`, or undefined. */
export function uintAt(text: string, i: number): number | undefined {
  const digits = /^\d{1,16}(?![\d.eE])/.exec(text.slice(i, i + 17))?.[0];
  return digits === undefined ? undefined : Number(digits);
}

/**
 * Walk the members of the object at `start` (after any space) in order, calling `visit` with each
 * key as JSON.parse reads it and the index of its value. False when the text there is not an object.
 */
export function eachMember(text: string, start: number, visit: (key: string, valueAt: number) => void): boolean {
  let i = skipSpace(text, start);
  if (text.charAt(i) !== '{') return false;
  i = skipSpace(text, i + 1);
  if (text.charAt(i) === '}') return true;
  for (;;) {
    const key = stringAt(text, i, Infinity);
    if (key === undefined) return false;
    i = skipSpace(text, skipString(text, i));
    if (text.charAt(i) !== ':') return false;
    const valueAt = skipSpace(text, i + 1);
    const after = skipValue(text, valueAt);
    if (after < 0) return false;
    visit(key, valueAt);
    i = skipSpace(text, after);
    if (text.charAt(i) === '}') return true;
    if (text.charAt(i) !== ',') return false;
    i = skipSpace(text, i + 1);
  }
}

/** Where the value JSON.parse would give `key` of the object at `start` begins (its last copy), or -1. */
export function memberAt(text: string, start: number, key: string): number {
  let at = -1;
  return eachMember(text, start, (k, v) => void (k === key && (at = v))) ? at : -1;
}

/** Call `visit` with the start of each element of the array at `start`; false when the text there is not an array. */
export function eachElement(text: string, start: number, visit: (valueAt: number) => void): boolean {
  let i = skipSpace(text, start);
  if (text.charAt(i) !== '[') return false;
  i = skipSpace(text, i + 1);
  if (text.charAt(i) === ']') return true;
  for (;;) {
    const after = skipValue(text, i);
    if (after < 0) return false;
    visit(i);
    i = skipSpace(text, after);
    if (text.charAt(i) === ']') return true;
    if (text.charAt(i) !== ',') return false;
    i = skipSpace(text, i + 1);
  }
}
