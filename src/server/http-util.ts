import type { IncomingMessage, ServerResponse } from 'node:http';
import { safeJsonParse } from '../util/json.js';
import type { JsonValue } from '../util/json.js';

/** Outcome of reading a JSON request body. */
export type BodyResult = { ok: true; value: JsonValue | undefined } | { ok: false; status: 400 | 413 };

/** Write a JSON response; responses are never cached since they may carry tokens or live state. */
export function sendJson(res: ServerResponse, status: number, body: JsonValue, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** `{"message", "error": {"code", "message"}}`, the control-service error shape (§4.1). */
export function sendError(res: ServerResponse, status: number, code: string, message: string, headers?: Record<string, string>): void {
  sendJson(res, status, { message, error: { code, message } }, headers);
}

/** The bearer credential of `Authorization`, or undefined. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}

/**
 * Read and parse a JSON body of at most `limit` bytes. An empty body is `undefined`. Oversized bodies
 * stop being buffered at once, so a large upload cannot exhaust memory.
 */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      resolve({ ok: false, status: 413 });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        resolve({ ok: false, status: 413 });
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => {
      if (!done) resolve({ ok: false, status: 400 });
      done = true;
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve({ ok: true, value: undefined });
      const parsed = safeJsonParse(text);
      resolve(parsed.ok ? { ok: true, value: parsed.value } : { ok: false, status: 400 });
    });
  });
}
