/**
 * A response's `Retry-After` (delta seconds or an HTTP date) in ms, at most `cap`, or undefined
 * when it has none or none that reads as either: a server cannot park the client for a day.
 */
export function retryAfterMs(res: Response, cap: number): number | undefined {
  const h = res.headers.get('retry-after');
  if (h === null || h.trim() === '') return undefined;
  const secs = Number(h);
  if (Number.isFinite(secs) && secs >= 0) return Math.min(secs * 1000, cap);
  const at = Date.parse(h);
  return Number.isNaN(at) ? undefined : Math.min(Math.max(0, at - Date.now()), cap);
}
