/**
 * A response's `Retry-After` in ms, at most `cap`, or undefined when it has none: a server cannot
 * park the client for a day. Only its two HTTP forms count, delay-seconds (digits) and an HTTP date
 * (every form has hh:mm:ss): the engine's lenient parsers read `-5` as a date in 2001 (no wait at
 * all, so no backoff) and `0x10` as 16 s. Anything else leaves the caller's own delay.
 */
export function retryAfterMs(res: Response, cap: number): number | undefined {
  const h = res.headers.get('retry-after')?.trim() ?? '';
  if (/^\d+$/.test(h)) return Math.min(Number(h) * 1000, cap);
  const at = /\d\d:\d\d:\d\d/.test(h) ? Date.parse(h) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.min(Math.max(0, at - Date.now()), cap);
}
