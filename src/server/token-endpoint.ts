import type { IncomingMessage, ServerResponse } from 'node:http';
import { isJsonObject } from '../util/json.js';
import type { JsonObject } from '../util/json.js';
import { CLAIMS_VERSION } from './auth.js';
import { readJsonBody, sendError, sendJson } from './http-util.js';
import type { ServerContext } from './server-context.js';

/** Allowed `ttl_seconds` range of the control service (§4.1). */
export const TOKEN_TTL_RANGE = Object.freeze({ min: 60, max: 900, default: 300 });

// §4.1: grants derived from scopes when none are requested. Informational only (§14 item 14).
const GRANT_SUFFIX: Record<string, (org: string, user: string) => string> = {
  'runtime.codex_worker_events': (org) => `org:${org}:worker_events`,
  'runtime.codex_worker_summaries': (org) => `org:${org}:workers`,
  'runtime.run_summaries': (_org, user) => `user:${user}:runs`,
};

/** `2026-02-21T07:44:00+00:00`, the control service's timestamp format. */
function isoSeconds(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

function invalid(res: ServerResponse, code: 'invalid_request' | 'invalid_scope', field: string, message: string): void {
  sendJson(res, 422, { message, error: { code, message }, errors: { [field]: [message] } });
}

/**
 * `POST /api/sync/token` (§4.1). Scopes are trimmed, de-duplicated and sorted; an empty list means
 * every catalog topic (a dev-server default, see docs/reference-server.md). The token never reaches a log.
 */
export async function handleTokenRequest(ctx: ServerContext, sessionId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJsonBody(req, 1024 * 1024);
  if (!body.ok) {
    return sendError(res, body.status, body.status === 413 ? 'payload_too_large' : 'invalid_request', 'unreadable body', { connection: 'close' });
  }
  const raw = body.value;
  if (raw !== undefined && !isJsonObject(raw)) return invalid(res, 'invalid_request', 'body', 'body must be a JSON object');
  const v: JsonObject = raw ?? {};

  let scopes: string[] = [];
  if (v.scopes !== undefined && v.scopes !== null) {
    if (!Array.isArray(v.scopes) || v.scopes.some((s) => typeof s !== 'string')) {
      return invalid(res, 'invalid_request', 'scopes', 'scopes must be an array of strings');
    }
    scopes = [...new Set((v.scopes as string[]).map((s) => s.trim()).filter((s) => s !== ''))].sort();
  }
  const unknown = scopes.filter((s) => !ctx.catalog.has(s));
  if (unknown.length > 0) return invalid(res, 'invalid_scope', 'scopes', `requested scopes are not allowed: ${unknown.join(', ')}`);
  if (scopes.length === 0) scopes = [...ctx.catalog.topics].sort();

  const ttl = v.ttl_seconds ?? TOKEN_TTL_RANGE.default;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < TOKEN_TTL_RANGE.min || ttl > TOKEN_TTL_RANGE.max) {
    return invalid(res, 'invalid_request', 'ttl_seconds', `ttl_seconds must be an integer between ${TOKEN_TTL_RANGE.min} and ${TOKEN_TTL_RANGE.max}`);
  }
  const deviceId = v.device_id ?? undefined;
  if (deviceId !== undefined && (typeof deviceId !== 'string' || deviceId.trim() === '' || deviceId.length > 256)) {
    return invalid(res, 'invalid_request', 'device_id', 'device_id must be a non-empty string');
  }

  const minted = await ctx.auth.mint({ scopes, ttlSeconds: ttl, sessionId, deviceId: deviceId?.trim() });
  const refreshAfterIn = ctx.options.tokenRefreshAfterSeconds ?? Math.max(ttl - 30, 1);
  const user = String(minted.userId);
  sendJson(res, 200, {
    data: {
      token: minted.token,
      token_type: 'Bearer',
      expires_in: ttl,
      issued_at: isoSeconds(minted.issuedAt),
      expires_at: isoSeconds(minted.expiresAt),
      issuer: ctx.options.issuer,
      audience: ctx.options.audience,
      subject: `user:${user}`,
      org_id: minted.orgId,
      claims_version: CLAIMS_VERSION,
      scopes: minted.scopes,
      granted_topics: minted.scopes
        .filter((s) => Object.prototype.hasOwnProperty.call(GRANT_SUFFIX, s))
        .map((s) => ({ topic: GRANT_SUFFIX[s]!(minted.orgId, user), required_scope: s })),
      kid: minted.kid,
      token_id: minted.jti,
      session_id: minted.sessionId,
      device_id: minted.deviceId,
      refresh_after_in: refreshAfterIn,
      refresh_after: isoSeconds(minted.issuedAt + refreshAfterIn),
    },
  });
}
