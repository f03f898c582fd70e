import { invalidOption } from '../errors/invalid-option.js';
import { assertSecureUrl } from '../transport/secure-url.js';
import { MAX_TIMER_MS } from '../util/timers.js';

/** What every `khala-sync/http` plug-in takes for its requests. */
export interface HttpOptions {
  /** `fetch` to use. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /**
   * Allow plain `http://` to a non-loopback host (the credential travels in clear). Default false:
   * such a URL is refused with `insecure_transport` when the plug-in is made, and every request
   * and redirect target is checked again.
   */
  allowInsecure?: boolean;
  /**
   * Time limit of one request, headers and body, ms; past it the request is aborted and fails with
   * `request_timeout` (snapshot and hydration requests are first retried with backoff). The client's
   * `close()` aborts every request in flight whatever this is. Default 30 000.
   */
  timeoutMs?: number;
  /** Longest `Retry-After` (seconds or HTTP date) of a 429/5xx answer honoured, ms; a longer one is cut to this. Default 60 000. */
  maxRetryAfterMs?: number;
  /**
   * Largest response body read, bytes. A larger one is cancelled unread and fails with
   * `response_too_large`: a snapshot read or hydration fails its topic (raise the cap, then
   * `resync()`), a token request is retried with the reconnect backoff. Default 64 MiB.
   */
  maxResponseBytes?: number;
}

/** Every default of the `khala-sync/http` plug-ins, in one place. */
export const HTTP_DEFAULTS = Object.freeze({
  timeoutMs: 30_000,
  maxRetryAfterMs: 60_000,
  maxResponseBytes: 64 * 1024 * 1024,
  allowInsecure: false,
  /** Attempts per snapshot or hydration request before giving up. */
  attempts: 5,
  /** Snapshot page size asked for. */
  pageSize: 500,
  /** Restarts of a snapshot read when its generation moves mid-pagination. */
  maxRestarts: 3,
  /**
   * Most pages one snapshot generation may have: 10 000 (5 million documents at the default page
   * size), far above any real topic, low enough that a server paging forever is stopped.
   */
  maxPages: 10_000,
});

const SAFE = Number.MAX_SAFE_INTEGER;

/** Numeric options: smallest and largest value, and whether only integers are allowed. */
const NUMBERS: ReadonlyArray<readonly [string, number, number, boolean]> = [
  ['timeoutMs', 1, MAX_TIMER_MS, false],
  ['maxRetryAfterMs', 0, MAX_TIMER_MS, false],
  ['maxResponseBytes', 1, SAFE, true],
  ['maxPages', 1, SAFE, true],
  ['pageSize', 1, SAFE, true],
  ['attempts', 1, 1000, true],
  ['maxRestarts', 0, 1000, true],
];


/**
 * Check a plug-in's options when it is made, so a mistake is one typed error at once instead of a
 * failed request later: `invalid_options` for a missing or non-http(s) URL or a bad number,
 * `insecure_transport` for a plain `http://` URL to a non-loopback host without `allowInsecure`.
 * `plugin` and `urlOption` name the option in the error (never its value: URLs can carry credentials).
 */
export function checkHttpOptions(plugin: string, urlOption: string, options: object | null | undefined, what: string): void {
  if (typeof options !== 'object' || options === null) throw invalidOption(plugin, 'expected an options object');
  const o = options as Record<string, unknown>;
  const url = o[urlOption];
  const name = `${plugin}.${urlOption}`;
  if (typeof url !== 'string' || url === '') throw invalidOption(name, 'expected a non-empty URL string');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidOption(name, 'not a valid absolute URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw invalidOption(name, `scheme ${parsed.protocol} is not https: or http:`);
  if (o['fetch'] !== undefined && typeof o['fetch'] !== 'function') throw invalidOption(`${plugin}.fetch`, 'expected a function');
  if (o['allowInsecure'] !== undefined && typeof o['allowInsecure'] !== 'boolean') throw invalidOption(`${plugin}.allowInsecure`, 'expected a boolean');
  for (const [f, min, max, integer] of NUMBERS) {
    const value = o[f];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value >= min && value <= max)) throw invalidOption(`${plugin}.${f}`, `expected a number from ${min} to ${max}`);
    if (integer && !Number.isSafeInteger(value)) throw invalidOption(`${plugin}.${f}`, 'expected an integer');
  }
  assertSecureUrl(parsed, o['allowInsecure'] === true, what);
}
