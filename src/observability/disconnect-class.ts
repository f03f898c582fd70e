/**
 * Normalized disconnect reasons of a health snapshot: the seven of KHALA_PROTOCOL §7.3 plus
 * `slow_consumer` (§8.3) and `upgrade_required` (§3.4), which the SDK tells apart.
 */
export type DisconnectClass = 'stream_closed' | 'token_refresh_due' | 'stale_cursor' | 'unauthorized' | 'forbidden' | 'network' | 'slow_consumer' | 'upgrade_required' | 'unknown';

// Checked in order on the lowercased reason; the first match wins. A class matches its own name or
// its pattern (a regular expression). The §7.3 order comes first so that text matching two classes
// lands where the desktop client put it; the SDK's own reasons (close codes, join and heartbeat
// timeouts, refused upgrades) are mapped after it.
const RULES: ReadonlyArray<readonly [DisconnectClass, string]> = [
  ['token_refresh_due', 'token refresh due'],
  ['stale_cursor', ''],
  // `auth_required` also matches `reauth_required`.
  ['unauthorized', '[ =]401|auth_required|upgrade_refused|sign_in_required|token_provider_failed'],
  ['forbidden', '[ =]403'],
  ['slow_consumer', ''],
  ['upgrade_required', 'unsupported_(protocol|schema)|client_too_old|subprotocol_mismatch|incompatible_server'],
  ['stream_closed', 'socket closed \\(1000\\)|phx_close|channel_closed|closed by server|subscription_error|transaction_failed|server_refused'],
  ['network', 'closed|connection reset|time(d )?out|i/?o error|connect_failed'],
];

/** Map a reconnect or stop reason (free text from the transport, server codes) to its class. */
export function classifyDisconnect(reason: string | undefined): DisconnectClass {
  const text = reason?.toLowerCase() ?? '';
  for (const [cls, pattern] of RULES) if (new RegExp(`${cls}|${pattern || cls}`).test(text)) return cls;
  return 'unknown';
}
