import type { IncomingMessage, ServerResponse } from 'node:http';
import { safeJsonParse, isJsonObject, type JsonObject, type JsonValue } from '../../util/json.js';
import { bearerToken, sendError, sendJson } from '../http-util.js';
import type { EventTable } from './event-table.js';
import { mintToken, type TokenLifetime } from './token-ledger.js';

/** Paths of the Spacetime server's HTTP endpoints. */
export const SPACETIME_HTTP_PATHS = Object.freeze({ snapshot: '/sync/snapshot', token: '/api/sync/token' });

/** Snapshot format of SDK_CONTRACTS §1. */
const SNAPSHOT_FORMAT = 'openagents.sync.snapshot.v1';
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

/** What the endpoints need. */
export interface HttpDeps {
  table: EventTable;
  verifyToken(token: string | undefined): boolean;
  /** A status to answer instead of a snapshot (fault switch), consumed per request. */
  takeSnapshotFault(): number | undefined;
  /** Lifetimes of minted tokens. */
  tokenLifetime: TokenLifetime;
  /** A status to answer instead of a token (fault switch), consumed per request. */
  takeTokenFault(): number | undefined;
  /** Counts minted tokens. */
  minted(): void;
}

function pageToken(head: number, offset: number): string {
  return Buffer.from(JSON.stringify({ h: head, o: offset })).toString('base64url');
}

function readPageToken(text: string): { head: number; offset: number } | undefined {
  if (text.length > 512 || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  const parsed = safeJsonParse(Buffer.from(text, 'base64url').toString('utf8'));
  if (!parsed.ok || !isJsonObject(parsed.value)) return undefined;
  const { h, o } = parsed.value;
  if (typeof h !== 'number' || typeof o !== 'number' || !Number.isSafeInteger(h) || !Number.isSafeInteger(o) || h < 0 || o < 0) return undefined;
  return { head: h, offset: o };
}

/**
 * `GET /sync/snapshot/{stream}` (SDK_CONTRACTS §1) over the stream's full history: each event is a
 * document (`doc_key` = idempotency key, `doc_version` = seq). Rows never change once written, so a
 * generation is simply "every row with seq ≤ head": a page token carries the head and stays valid
 * however far the stream moves on (no 410 needed).
 */
function snapshot(deps: HttpDeps, stream: string, url: URL, res: ServerResponse): void {
  if (!deps.table.has(stream)) return sendError(res, 404, 'unknown_topic', 'no such stream');
  const limitParam = Number(url.searchParams.get('limit') ?? DEFAULT_PAGE);
  const limit = Number.isSafeInteger(limitParam) && limitParam > 0 ? Math.min(limitParam, MAX_PAGE) : DEFAULT_PAGE;
  const tokenText = url.searchParams.get('page_token');
  const journal = deps.table.stream(stream);
  let head = journal.head;
  let offset = 0;
  if (tokenText !== null && tokenText !== '') {
    const t = readPageToken(tokenText);
    if (t === undefined || t.head > journal.head) return sendError(res, 400, 'invalid_request', 'bad page_token');
    head = t.head;
    offset = t.offset;
  }
  const rows = journal.historyUpTo(head);
  const docs: JsonValue[] = rows.slice(offset, offset + limit).map((r) => {
    const parsed = safeJsonParse(r.payload_json);
    const doc: JsonObject = { doc_key: r.idempotency_key, doc_version: r.seq, payload: parsed.ok ? parsed.value : null };
    if (r.payload_hash !== '') doc['payload_hash'] = r.payload_hash;
    return doc;
  });
  const next = offset + docs.length;
  sendJson(res, 200, {
    format: SNAPSHOT_FORMAT,
    schema_version: 1,
    topic: stream,
    head_watermark: head,
    docs,
    next_page_token: next < rows.length ? pageToken(head, next) : null,
  });
}

/** The request handler for the snapshot and token endpoints. */
export function createHttpHandler(deps: HttpDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'POST' && url.pathname === SPACETIME_HTTP_PATHS.token) {
      req.resume();
      const fault = deps.takeTokenFault();
      if (fault !== undefined) return sendError(res, fault, 'injected', 'injected token failure');
      deps.minted();
      // The §2.6 response fields a client reads; the credential itself is a test token (nothing signed).
      return sendJson(res, 200, { data: mintToken(deps.tokenLifetime).body });
    }
    const prefix = `${SPACETIME_HTTP_PATHS.snapshot}/`;
    if (req.method === 'GET' && url.pathname.startsWith(prefix)) {
      if (!deps.verifyToken(bearerToken(req))) return sendError(res, 401, 'unauthorized', 'sync token missing or invalid');
      const fault = deps.takeSnapshotFault();
      if (fault !== undefined) return sendError(res, fault, 'injected', 'injected snapshot failure');
      let stream: string;
      try {
        stream = decodeURIComponent(url.pathname.slice(prefix.length));
      } catch {
        return sendError(res, 400, 'invalid_request', 'bad stream id');
      }
      return snapshot(deps, stream, url, res);
    }
    sendError(res, 404, 'not_found', 'no such endpoint');
  };
}
