import { randomHex } from '../auth.js';
import type { JsonObject } from '../../util/json.js';

/** Token lifetimes of the reference Spacetime server's `POST /api/sync/token`. */
export interface TokenLifetime {
  /** `expires_in`, seconds (may be fractional here, for fast tests). */
  ttlSeconds: number;
  /** `refresh_after_in`, seconds. */
  refreshAfterSeconds: number;
}

/** OA's rule (SPACETIME_PROTOCOL §2.6): refresh 30 s before expiry, and never sooner than 1 s (or the TTL itself when shorter). */
export function tokenLifetime(ttlSeconds = 300, refreshAfterSeconds?: number): TokenLifetime {
  return { ttlSeconds, refreshAfterSeconds: refreshAfterSeconds ?? Math.min(ttlSeconds, Math.max(ttlSeconds - 30, 1)) };
}

const MINTED = /^st_[0-9a-f]{32}_(\d{1,16})$/;

/**
 * A test credential that carries its own expiry (`st_<random>_<expires at, ms>`): the reference server
 * signs nothing, and a stateless form means it remembers nothing per token. Not a JWT.
 */
export function mintToken(lifetime: TokenLifetime, now = Date.now()): { token: string; body: JsonObject } {
  const expiresAt = now + Math.round(lifetime.ttlSeconds * 1000);
  const token = `st_${randomHex(16)}_${expiresAt}`;
  const iso = (ms: number): string => new Date(ms).toISOString();
  return {
    token,
    body: {
      token,
      token_type: 'Bearer',
      transport: 'spacetime_ws',
      protocol_version: 'spacetime.sync.v1',
      expires_in: lifetime.ttlSeconds,
      refresh_after_in: lifetime.refreshAfterSeconds,
      issued_at: iso(now),
      refresh_after: iso(now + Math.round(lifetime.refreshAfterSeconds * 1000)),
      expires_at: iso(expiresAt),
    },
  };
}

/**
 * False for a token this server minted whose expiry has passed. Checked at upgrade only, as the real
 * server does (§5 rule 10): a socket opened with a token that later expires stays open.
 */
export function tokenUnexpired(token: string | undefined, now = Date.now()): boolean {
  const m = token === undefined ? null : MINTED.exec(token);
  return m === null || Number(m[1]) > now;
}
