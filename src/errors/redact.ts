// Tokens travel in the socket URL's query string, so any URL or message that could carry one is
// scrubbed before it reaches an error, a log line or CLI output.
const TOKEN_PARAM = /([?&](?:token|access_token|jwt)=)[^&#\s"']*/gi;
// A JWT (group 1), else the rest of a dot-free run that starts like one. A run that fails as a JWT
// is consumed whole: a later `eyJ` in it would fail too (its first segment is shorter), and trying
// each one scanned the run again — a server string of `-eyJ` repeated made redaction quadratic
// (1 MB: minutes). Segments are bounded so a multi-MB run never deepens the backtrack stack (16 MB
// threw RangeError); a real token is far shorter (MAX_TOKEN_CHARS).
const JWT_LIKE = /\b(eyJ[A-Za-z0-9_-]{5,65536}\.[A-Za-z0-9_-]{5,65536}\.[A-Za-z0-9_-]*)|\beyJ[A-Za-z0-9_-]*/g;
const BEARER = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;

/** Remove anything that looks like a credential from `text`. */
export function redact(text: string): string {
  return text
    .replace(TOKEN_PARAM, '$1[redacted]')
    .replace(BEARER, '$1[redacted]')
    .replace(JWT_LIKE, (run, jwt: string | undefined) => (jwt === undefined ? run : '[redacted-jwt]'));
}
