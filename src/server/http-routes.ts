import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { isLoopbackHost } from '../util/loopback.js';
import { isJsonObject } from '../util/json.js';
import type { JsonValue } from '../util/json.js';
import type { VerifiedToken } from './auth.js';
import { bearerToken, readJsonBody, sendError, sendJson } from './http-util.js';
import { handleTokenRequest } from './token-endpoint.js';
import type { ServerContext } from './server-context.js';
import type { SnapshotStore } from './snapshot-store.js';
import type { JournalEntry, PublishInput } from './types.js';

/** Paths of the HTTP endpoints (SDK_CONTRACTS §1–§2, §4.1). */
export const HTTP_PATHS = Object.freeze({
  token: '/api/sync/token',
  publish: '/api/publish',
  snapshot: '/sync/snapshot',
  documents: '/sync/documents',
});

/** What the routes need besides the shared context. */
export interface HttpRouteDeps {
  ctx: ServerContext;
  snapshots: SnapshotStore;
  publish(topic: string, inputs: PublishInput[]): JournalEntry[];
  /** Session id of tokens minted over HTTP: stable, so revoking it also refuses re-minted tokens (§3.2). */
  httpSessionId: string;
}

function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  // Hashing first gives equal lengths, which timingSafeEqual needs, without leaking the length.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Control-token gate for the mint and publish endpoints; open when no control token is configured. */
function controlAllowed(deps: HttpRouteDeps, req: IncomingMessage, res: ServerResponse): boolean {
  const expected = deps.ctx.options.controlToken;
  if (expected === undefined || sameSecret(bearerToken(req), expected)) return true;
  sendError(res, 401, 'unauthenticated', 'a valid control token is required');
  return false;
}

/** Verify the sync token of a snapshot/hydration request; answers 401 itself on failure. */
async function syncTokenFor(deps: HttpRouteDeps, req: IncomingMessage, res: ServerResponse): Promise<VerifiedToken | undefined> {
  const result = await deps.ctx.auth.verify(bearerToken(req));
  if (result.ok && !deps.ctx.revoked.has(result.token.sessionId)) return result.token;
  sendError(res, 401, 'unauthorized', 'sync token missing, invalid or revoked');
  return undefined;
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

async function handlePublish(deps: HttpRouteDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!controlAllowed(deps, req, res)) return;
  const body = await readJsonBody(req, 1024 * 1024);
  if (!body.ok) return sendError(res, body.status, body.status === 413 ? 'payload_too_large' : 'invalid_request', 'unreadable body', { connection: 'close' });
  const v = body.value;
  if (!isJsonObject(v) || typeof v.topic !== 'string' || !Array.isArray(v.updates)) {
    return sendError(res, 422, 'invalid_request', 'expected {topic, updates:[...]}');
  }
  if (!deps.ctx.catalog.has(v.topic)) return sendError(res, 422, 'invalid_request', 'unknown topic');
  const inputs: PublishInput[] = [];
  for (const u of v.updates) {
    if (!isJsonObject(u) || typeof u.doc_key !== 'string' || !('payload' in u)) {
      return sendError(res, 422, 'invalid_request', 'each update needs doc_key and payload');
    }
    const docVersion = u.doc_version;
    if (docVersion !== undefined && docVersion !== null && typeof docVersion !== 'number') {
      return sendError(res, 422, 'invalid_request', 'doc_version must be an integer');
    }
    inputs.push({ docKey: u.doc_key, docVersion: docVersion ?? undefined, payload: u.payload as JsonValue, pointer: u.pointer === true });
  }
  let entries: JournalEntry[];
  try {
    entries = deps.publish(v.topic, inputs);
  } catch (err) {
    return sendError(res, 422, 'invalid_request', err instanceof Error ? err.message : 'invalid update');
  }
  sendJson(res, 200, { watermarks: entries.map((e) => e.watermark) });
}

async function handleSnapshot(deps: HttpRouteDeps, req: IncomingMessage, res: ServerResponse, rest: string, query: URLSearchParams): Promise<void> {
  const { ctx } = deps;
  const injected = ctx.faults.snapshotStatus;
  if (injected) {
    injected.remaining -= 1;
    if (injected.remaining <= 0) ctx.faults.snapshotStatus = null;
    const headers: Record<string, string> = injected.retryAfterSeconds !== undefined ? { 'retry-after': String(injected.retryAfterSeconds) } : {};
    return sendError(res, injected.status, injected.status === 429 ? 'rate_limited' : 'injected_fault', 'injected snapshot failure', headers);
  }
  const topic = decodeSegment(rest);
  const token = await syncTokenFor(deps, req, res);
  if (!token) return;
  if (topic === undefined || topic.includes('/') || !ctx.catalog.policy(topic)?.snapshot) {
    return sendError(res, 404, 'unknown_topic', 'no snapshot for this topic');
  }
  if (!token.scopes.includes(topic)) return sendError(res, 403, 'forbidden_topic', 'topic not in token scopes');
  const pageSize = ctx.options.snapshotPageSize;
  const rawLimit = Number(query.get('limit'));
  const limit = Number.isSafeInteger(rawLimit) && rawLimit > 0 ? Math.min(rawLimit, pageSize) : pageSize;
  const result = deps.snapshots.page(topic, query.get('page_token'), limit);
  if (result.ok) return sendJson(res, 200, result.body);
  if (result.reason === 'expired') return sendJson(res, 410, { code: 'snapshot_expired' });
  sendError(res, 400, 'invalid_page_token', 'page_token is not valid for this topic');
}

async function handleDocument(deps: HttpRouteDeps, req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> {
  const token = await syncTokenFor(deps, req, res);
  if (!token) return;
  const slash = rest.indexOf('/');
  const topic = slash > 0 ? decodeSegment(rest.slice(0, slash)) : undefined;
  // doc keys contain '/' (runtime/run_summary:…); accept them encoded or raw.
  const docKey = slash > 0 ? decodeSegment(rest.slice(slash + 1)) : undefined;
  if (topic === undefined || docKey === undefined || docKey === '' || !deps.ctx.catalog.has(topic)) {
    return sendError(res, 404, 'not_found', 'unknown topic or document');
  }
  if (!token.scopes.includes(topic)) return sendError(res, 403, 'forbidden_topic', 'topic not in token scopes');
  const doc = deps.ctx.journal.topic(topic).document(docKey);
  if (!doc) return sendError(res, 404, 'not_found', 'unknown topic or document');
  sendJson(res, 200, { doc_key: docKey, doc_version: doc.docVersion, payload: doc.payload, payload_hash: doc.payloadHash, watermark: doc.watermark });
}

/** Request headers a browser may send cross-origin: the bearer token and the JSON body type. */
const CORS_ALLOW_HEADERS = 'authorization, content-type, accept';
/** How long a browser may cache a preflight answer, in seconds. */
const CORS_MAX_AGE_SECONDS = '600';

/** The one method an endpoint answers (besides the `OPTIONS` preflight), or undefined for no endpoint. */
function endpointMethod(path: string): 'GET' | 'POST' | undefined {
  if (path === HTTP_PATHS.token || path === HTTP_PATHS.publish) return 'POST';
  if (path.startsWith(`${HTTP_PATHS.snapshot}/`) || path.startsWith(`${HTTP_PATHS.documents}/`)) return 'GET';
  return undefined;
}

/**
 * Whether a browser page of `origin` may read responses (see `ReferenceServerOptions.corsOrigins`):
 * an exact entry, `'*'`, or `'loopback'` for an `http(s)` origin on a loopback host.
 */
export function corsAllows(allowed: readonly string[], origin: string): boolean {
  for (const entry of allowed) {
    if (entry === '*' || entry === origin) return true;
    if (entry !== 'loopback') continue;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      continue; // e.g. the opaque origin "null" of file:// pages and sandboxed frames
    }
    if ((url.protocol === 'http:' || url.protocol === 'https:') && url.origin === origin && isLoopbackHost(url.hostname)) return true;
  }
  return false;
}

/** The HTTP side of the server: token mint, publish, snapshot pages and document hydration. */
export function createRequestHandler(deps: HttpRouteDeps): RequestListener {
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const allowed = endpointMethod(path);
    // CORS headers go on every answer (errors too, so a page can read the status and body);
    // sendJson's writeHead merges them. Credentials are bearer headers, never cookies.
    const origin = req.headers.origin;
    const cors = typeof origin === 'string' && corsAllows(deps.ctx.options.corsOrigins, origin);
    res.setHeader('vary', 'Origin');
    if (cors) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-expose-headers', 'Retry-After');
    }
    if (allowed === undefined) return sendError(res, 404, 'not_found', 'no such endpoint');
    if (method === 'OPTIONS') {
      // A disallowed origin gets the plain answer without CORS headers, which the browser refuses.
      const headers: Record<string, string> = { allow: `${allowed}, OPTIONS`, 'content-length': '0' };
      if (cors) {
        headers['access-control-allow-methods'] = `${allowed}, OPTIONS`;
        headers['access-control-allow-headers'] = CORS_ALLOW_HEADERS;
        headers['access-control-max-age'] = CORS_MAX_AGE_SECONDS;
      }
      res.writeHead(204, headers);
      res.end();
      return;
    }
    if (method !== allowed) return sendError(res, 405, 'method_not_allowed', `use ${allowed}`, { allow: allowed });
    // A page on any site may send a "simple" cross-origin POST (text/plain, no preflight) to a
    // dev server on loopback; requiring JSON forces a preflight, which CORS then governs.
    if (allowed === 'POST' && !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      return sendError(res, 415, 'unsupported_media_type', 'send Content-Type: application/json');
    }
    if (path === HTTP_PATHS.token) {
      if (controlAllowed(deps, req, res)) await handleTokenRequest(deps.ctx, deps.httpSessionId, req, res);
    } else if (path === HTTP_PATHS.publish) {
      await handlePublish(deps, req, res);
    } else if (path.startsWith(`${HTTP_PATHS.snapshot}/`)) {
      await handleSnapshot(deps, req, res, path.slice(HTTP_PATHS.snapshot.length + 1), url.searchParams);
    } else {
      await handleDocument(deps, req, res, path.slice(HTTP_PATHS.documents.length + 1));
    }
  };
  return (req, res) => {
    route(req, res).catch(() => {
      // Error text could quote request content; a generic 500 is enough for a test server.
      if (!res.headersSent) sendError(res, 500, 'internal', 'internal error');
      else res.destroy();
    });
  };
}
