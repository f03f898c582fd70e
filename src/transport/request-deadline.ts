/** A signal for one HTTP request: aborted when its caller's signal is, or when its time is up. */
export interface RequestDeadline {
  readonly signal: AbortSignal;
  /** True when the request was aborted because its time ran out (not by the caller). */
  expired(): boolean;
  /** Stop the clock and unlink from the caller's signal; call once the response body is read. */
  clear(): void;
}

/**
 * Bound one request (headers and body) by `timeoutMs` and by `parent` (the client closing). A
 * hand-made timer rather than `AbortSignal.timeout`, so the clock is cleared as soon as the body
 * is in and no timer outlives the request.
 */
export function requestDeadline(parent: AbortSignal | undefined, timeoutMs: number): RequestDeadline {
  const controller = new AbortController();
  let expired = false;
  const onAbort = (): void => controller.abort(parent?.reason);
  if (parent?.aborted) onAbort();
  else parent?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new Error(`no answer within ${timeoutMs} ms`));
  }, timeoutMs);
  return {
    signal: controller.signal,
    expired: () => expired,
    clear: () => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onAbort);
    },
  };
}
