import { base64ToBytes, utf8Decode } from '../../hash/encoding.js';
import { safeJsonParse, type JsonValue } from '../../util/json.js';
import { quote } from '../validate.js';

/** Why {@link decodeBase64Json} refused its input. */
export type Base64JsonFailure = 'base64' | 'utf8' | 'syntax' | 'forbidden_key' | 'json_too_deep';

/** Result of {@link decodeBase64Json}: data, never an exception. */
export type Base64JsonResult =
  | { ok: true; value: JsonValue }
  | { ok: false; reason: Base64JsonFailure; message: string };

/**
 * Decode standard base64 → bytes → strict UTF-8 → safe JSON, as `KhalaFrame.payload_bytes` and
 * string-form `Update.payload` require (KHALA_PROTOCOL §2.5, §14.3). `atob` alone would yield a
 * Latin-1 string and corrupt non-ASCII text, and a lenient UTF-8 decoder would silently turn bad
 * bytes into U+FFFD, so every step refuses instead of guessing.
 */
export function decodeBase64Json(text: string): Base64JsonResult {
  const bytes = base64ToBytes(text);
  if (bytes === undefined) return { ok: false, reason: 'base64', message: 'not standard base64' };
  const decoded = utf8Decode(bytes);
  if (decoded === undefined) return { ok: false, reason: 'utf8', message: 'bytes are not valid UTF-8' };
  const parsed = safeJsonParse(decoded);
  if (!parsed.ok) {
    return { ok: false, reason: parsed.reason, message: parsed.reason !== 'syntax' ? parsed.message : `not JSON (${quote(parsed.message, 120)})` };
  }
  return { ok: true, value: parsed.value };
}
