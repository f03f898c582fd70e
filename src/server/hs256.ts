import { createHmac, timingSafeEqual } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { isJsonObject, safeJsonParse, type JsonObject } from '../util/json.js';

// HS256 compact JWS (RFC 7515/7519) with node:crypto, for the reference server's tokens (§4.3).
// Only what the server needs: sign a JSON header + payload, read a header, verify a signature in
// constant time. The server is Node-only, so no WebCrypto detour (and no dependency for clients).

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function decodeSegment(segment: string): JsonObject | undefined {
  if (!BASE64URL.test(segment)) return undefined;
  const parsed = safeJsonParse(Buffer.from(segment, 'base64url').toString('utf8'));
  return parsed.ok && isJsonObject(parsed.value) ? parsed.value : undefined;
}

function mac(key: Uint8Array, signingInput: string): Buffer {
  return createHmac('sha256', key).update(signingInput).digest();
}

/** Sign `payload` under `header` (which must say `alg: 'HS256'`) with `key`; returns the compact token. */
export function signHs256(header: Record<string, unknown>, payload: Record<string, unknown>, key: Uint8Array): string {
  const input = `${encodeSegment(header)}.${encodeSegment(payload)}`;
  return `${input}.${mac(key, input).toString('base64url')}`;
}

/** The protected header of a compact token, or undefined when it is not three segments with a JSON-object header. */
export function readHeader(token: string): JsonObject | undefined {
  const parts = token.split('.');
  return parts.length === 3 ? decodeSegment(parts[0]!) : undefined;
}

/** The payload of a compact token, or undefined when it is not a JSON object. Says nothing about the signature. */
export function readPayload(token: string): JsonObject | undefined {
  const parts = token.split('.');
  return parts.length === 3 ? decodeSegment(parts[1]!) : undefined;
}

/** True when `token` says `alg: 'HS256'` and its signature under `key` is valid (compared in constant time). */
export function verifyHs256(token: string, key: Uint8Array): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  const [h, p, s] = parts as [string, string, string];
  if (readHeader(token)?.['alg'] !== 'HS256' || !BASE64URL.test(s)) return false;
  const given = Buffer.from(s, 'base64url');
  const expected = mac(key, `${h}.${p}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
