/**
 * What a wake-up probe found: `alive` (a frame arrived in time), `dead` (none did: a zombie socket,
 * which the client then replaces), `not_connected` (no joined socket to probe; the connection is
 * already dialling, backing off or stopped). The probe itself is the connection's (connection.ts).
 */
export type ProbeResult = 'alive' | 'dead' | 'not_connected';
