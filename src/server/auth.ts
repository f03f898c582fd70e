import type { JsonObject } from '../util/json.js';
import { readHeader, readPayload, signHs256, verifyHs256 } from './hs256.js';
import type { ResolvedOptions } from './options.js';
import type { MintClaims } from './types.js';

/** `oa_claims_version` this server issues and requires (§4.2). */
export const CLAIMS_VERSION = 'oa_sync_claims_v1';
/** How far in the future `iat`/`nbf` may lie (§4.3). */
const FUTURE_SKEW_SECONDS = 30;

/** The parts of a verified token the server acts on. */
export interface VerifiedToken {
  sessionId: string;
  deviceId: string;
  orgId: string;
  /** Normalized `oa_sync_scopes` (trimmed, de-duplicated, order kept). */
  scopes: string[];
  claims: JsonObject;
}

/** Result of minting. */
export interface MintedToken {
  token: string;
  kid: string;
  jti: string;
  issuedAt: number;
  expiresAt: number;
  scopes: string[];
  sessionId: string;
  deviceId: string;
  userId: string | number;
  orgId: string;
}

/** Why a token was refused; never sent to a client (the upgrade answers a bare 403, §1.1). */
export type TokenFailure =
  | 'malformed' | 'unsupported_alg' | 'missing_kid' | 'unknown_kid' | 'bad_signature' | 'missing_claim'
  | 'bad_issuer' | 'bad_audience' | 'bad_claims_version' | 'expired' | 'not_yet_valid' | 'too_old';

/** Random lowercase hex of `bytes` bytes. */
export function randomHex(bytes: number): string {
  const b = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Trim, drop empties and de-duplicate, keeping order; accepts an array or a comma-separated string (§4.2). */
export function normalizeScopes(raw: unknown): string[] {
  const items = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw : [];
  const out: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string') continue;
    const s = item.trim();
    if (s !== '' && !out.includes(s)) out.push(s);
  }
  return out;
}

const nonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/** HS256 keyring with current and previous keys (§4.3). */
export class TokenAuthority {
  private readonly keys = new Map<string, Uint8Array>();
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly options: Pick<ResolvedOptions, 'signingKeys' | 'issuer' | 'audience' | 'maxAgeSeconds'>,
    private readonly defaultScopes: () => string[],
  ) {
    const { current, previous } = options.signingKeys;
    this.keys.set(current.kid, this.encoder.encode(current.secret));
    if (previous) this.keys.set(previous.kid, this.encoder.encode(previous.secret));
  }

  async mint(claims: MintClaims = {}): Promise<MintedToken> {
    const which = claims.kid ?? 'current';
    const key = which === 'previous' ? this.options.signingKeys.previous : this.options.signingKeys.current;
    if (!key) throw new Error('mintToken: no previous signing key is configured');
    const ttl = claims.ttlSeconds ?? 300;
    if (!Number.isSafeInteger(ttl) || ttl <= 0) throw new RangeError('mintToken: ttlSeconds must be a positive integer');
    const now = Math.floor(Date.now() / 1000);
    let iat = now + (claims.iatOffsetSeconds ?? 0);
    let exp = iat + ttl;
    if (claims.expired) {
      exp = now - 1;
      iat = exp - ttl;
    }
    const userId = claims.userId ?? 'user_local';
    const orgId = 'org_local';
    const scopes = normalizeScopes(claims.scopes ?? this.defaultScopes());
    const sessionId = claims.sessionId ?? `sess_${randomHex(8)}`;
    const deviceId = claims.deviceId ?? 'device_local';
    const jti = `sync_${randomHex(16)}`;
    const payload: Record<string, unknown> = {
      iss: this.options.issuer,
      aud: this.options.audience,
      sub: `user:${userId}`,
      iat,
      nbf: iat,
      exp,
      jti,
      oa_user_id: userId,
      oa_org_id: orgId,
      oa_session_id: sessionId,
      oa_device_id: deviceId,
      oa_sync_scopes: scopes,
      oa_claims_version: CLAIMS_VERSION,
    };
    if (claims.client_build_id !== undefined) payload.oa_client_build_id = claims.client_build_id;
    const token = signHs256({ alg: 'HS256', typ: 'JWT', kid: key.kid }, payload, this.encoder.encode(key.secret));
    return { token, kid: key.kid, jti, issuedAt: iat, expiresAt: exp, scopes, sessionId, deviceId, userId, orgId };
  }

  /** Verify signature and claims; never throws. */
  async verify(token: string | undefined | null): Promise<{ ok: true; token: VerifiedToken } | { ok: false; reason: TokenFailure }> {
    if (!token || token.length > 16 * 1024) return { ok: false, reason: 'malformed' };
    const header = readHeader(token);
    if (header === undefined) return { ok: false, reason: 'malformed' };
    if (header['alg'] !== 'HS256') return { ok: false, reason: 'unsupported_alg' };
    const kid = header['kid'];
    if (typeof kid !== 'string' || kid === '') return { ok: false, reason: 'missing_kid' };
    const key = this.keys.get(kid);
    if (!key) return { ok: false, reason: 'unknown_kid' };
    // verifyHs256 compares HMACs in constant time (§4.3).
    if (!verifyHs256(token, key)) return { ok: false, reason: 'bad_signature' };
    const claims = readPayload(token);
    if (claims === undefined) return { ok: false, reason: 'malformed' };
    return this.checkClaims(claims);
  }

  private checkClaims(c: JsonObject): { ok: true; token: VerifiedToken } | { ok: false; reason: TokenFailure } {
    const { iat, exp, nbf } = c;
    if (typeof iat !== 'number' || typeof exp !== 'number') return { ok: false, reason: 'missing_claim' };
    for (const name of ['sub', 'jti', 'oa_org_id', 'oa_session_id', 'oa_device_id']) {
      if (!nonEmptyString(c[name])) return { ok: false, reason: 'missing_claim' };
    }
    const scopes = normalizeScopes(c.oa_sync_scopes);
    if (scopes.length === 0) return { ok: false, reason: 'missing_claim' };
    if (c.iss !== this.options.issuer) return { ok: false, reason: 'bad_issuer' };
    const aud = c.aud;
    if (!(aud === this.options.audience || (Array.isArray(aud) && aud.includes(this.options.audience)))) {
      return { ok: false, reason: 'bad_audience' };
    }
    if (c.oa_claims_version !== CLAIMS_VERSION) return { ok: false, reason: 'bad_claims_version' };
    const now = Date.now() / 1000;
    if (exp <= now) return { ok: false, reason: 'expired' };
    if (exp <= iat) return { ok: false, reason: 'malformed' };
    if (iat > now + FUTURE_SKEW_SECONDS) return { ok: false, reason: 'not_yet_valid' };
    if (typeof nbf === 'number' && nbf > now + FUTURE_SKEW_SECONDS) return { ok: false, reason: 'not_yet_valid' };
    // The Rust runtime caps age since iat even while exp is later (§4.3).
    if (this.options.maxAgeSeconds > 0 && now - iat > this.options.maxAgeSeconds) return { ok: false, reason: 'too_old' };
    return {
      ok: true,
      token: {
        sessionId: c.oa_session_id as string,
        deviceId: c.oa_device_id as string,
        orgId: c.oa_org_id as string,
        scopes,
        claims: c,
      },
    };
  }
}
