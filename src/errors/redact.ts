// Tokens travel in the socket URL's query string, so any URL or message that could carry one is
// scrubbed before it reaches an error, a log line or CLI output.
const TOKEN_PARAM = /([?&](?:token|access_token|jwt)=)[^&#\s"']*/gi;
const JWT_LIKE = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const BEARER = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;

/** Remove anything that looks like a credential from `text`. */
export function redact(text: string): string {
  return text.replace(TOKEN_PARAM, '$1[redacted]').replace(BEARER, '$1[redacted]').replace(JWT_LIKE, '[redacted-jwt]');
}
