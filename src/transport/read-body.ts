import { utf8ByteLength } from './utf8-bytes.js';

/** Default cap on one HTTP response body (snapshot page, hydration, token endpoint), bytes: 64 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * The response body as text, or `undefined` when it is larger than `maxBytes` (the body is then
 * cancelled). `Response.text()` would buffer whatever a server sends: a hostile or broken endpoint
 * streaming without end would take the host's memory with it. A declared `Content-Length` above the
 * cap is refused before a byte is read; otherwise bytes are counted as they arrive.
 */
export async function readBodyText(res: Response, maxBytes: number): Promise<string | undefined> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  const body = res.body;
  if (Number.isFinite(declared) && declared > maxBytes) {
    await body?.cancel().catch(() => undefined);
    return undefined;
  }
  // A hand-made Response (tests, custom fetch) may carry no stream; its text is already in memory.
  if (body === null || typeof body?.getReader !== 'function') {
    const text = await res.text();
    return utf8ByteLength(text, maxBytes) > maxBytes ? undefined : text;
  }
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parts: string[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    parts.push(decoder.decode(value, { stream: true }));
  }
  parts.push(decoder.decode());
  return parts.join('');
}
