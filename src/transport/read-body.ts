import { utf8ByteLength } from './utf8-bytes.js';

/** A body read as text, or why it was not: larger than the cap, or bytes that are not UTF-8. */
export type BodyText = { ok: true; text: string } | { ok: false; reason: 'too_large' | 'not_utf8' };

const TOO_LARGE: BodyText = { ok: false, reason: 'too_large' };
const NOT_UTF8: BodyText = { ok: false, reason: 'not_utf8' };

/**
 * The response body as text, or why not: `too_large` when it is larger than `maxBytes` (the body is
 * then cancelled), `not_utf8` when its bytes are not UTF-8 (a lenient decode would hand on a
 * document or a token with U+FFFD in place of what the server sent). `Response.text()` would buffer whatever a server sends: a hostile or broken endpoint
 * streaming without end would take the host's memory with it. A declared `Content-Length` above the
 * cap is refused before a byte is read; otherwise bytes are counted as they arrive.
 */
export async function readBodyText(res: Response, maxBytes: number): Promise<BodyText> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  const body = res.body;
  if (Number.isFinite(declared) && declared > maxBytes) {
    await body?.cancel().catch(() => undefined);
    return TOO_LARGE;
  }
  // A hand-made Response (tests, custom fetch) may carry no stream; its text is already in memory,
  // decoded by whoever made it.
  if (body === null || typeof body?.getReader !== 'function') {
    const text = await res.text();
    return utf8ByteLength(text, maxBytes) > maxBytes ? TOO_LARGE : { ok: true, text };
  }
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const reader = body.getReader();
  const parts: string[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return TOO_LARGE;
    }
    const part = decodeAll(decoder, value, true);
    if (!part.ok) {
      await reader.cancel().catch(() => undefined);
      return part;
    }
    parts.push(part.text);
  }
  const last = decodeAll(decoder, undefined);
  if (!last.ok) return last;
  parts.push(last.text);
  return { ok: true, text: parts.join('') };
}

function decodeAll(decoder: TextDecoder, bytes: Uint8Array | undefined, stream = false): BodyText {
  try {
    return { ok: true, text: decoder.decode(bytes, { stream }) };
  } catch {
    return NOT_UTF8;
  }
}
