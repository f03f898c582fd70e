import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SyncClient } from '../../src/client/sync-client.js';
import { clientTelemetry } from '../../src/observability/client-telemetry.js';
import type { KhalaSyncError } from '../../src/errors/index.js';
import { until } from '../client/harness.js';
import { ensureBuilt, startCli } from '../cli/built-cli.js';
import { hostileServer, joinOk, push, type HostileServer } from './hostile-server.js';
import { json, recordingServer } from './recording-server.js';
import { tokenEndpoint } from '../../src/http.js';

// An opaque (non-JWT) token with characters that URL-encoding changes: the server echoes it back
// raw, URL-encoded and inside nested payload fields, on every error path a server controls.
const TOKEN = 'opaque/Secret+Token=42 x';
const FORMS = [TOKEN, encodeURIComponent(TOKEN), encodeURIComponent(TOKEN).replace(/%20/g, '+')];
const TOPIC = 'runtime.run_summaries';

let srv: HostileServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});
beforeAll(() => ensureBuilt(), 120_000);

/** A server that refuses the join (retryably) once, then pushes errors that quote the token. */
async function echoingServer(): Promise<HostileServer> {
  let joins = 0;
  return hostileServer((frame, socket, query) => {
    const token = query.get('token') ?? '';
    const [joinRef, ref, topic, event] = frame;
    const echo = { said: token, encoded: encodeURIComponent(token), nested: { list: [token, { [token]: token }] } };
    if (event === 'phx_join' && joins++ === 0) {
      push(socket, [joinRef, ref, topic, 'phx_reply', { status: 'error', response: { code: `bad_${token}`, message: `token ${token} / ${encodeURIComponent(token)} rejected`, ...echo } }]);
      return;
    }
    if (joinOk(frame, socket)) return;
    if (event === 'sync:subscribe') {
      push(socket, [joinRef, ref, topic, 'phx_reply', { status: 'error', response: { code: 'bad_subscription', message: `no ${token}`, ...echo } }]);
      push(socket, [null, null, topic, 'sync:error', { code: `internal ${token}`, message: `echo ${encodeURIComponent(token)}`, ...echo }]);
      push(socket, [null, null, topic, `sync:${token}`, { x: token }]);
    }
  });
}

function leaks(text: string): string[] {
  return FORMS.filter((f) => text.includes(f));
}

describe('the exact token the client sent never comes back out', () => {
  it('errors (message, code, details, cause, stack, toJSON), status reasons and telemetry are scrubbed', async () => {
    srv = await echoingServer();
    const client = new SyncClient({ url: srv.url, token: TOKEN, topics: [TOPIC], reconnectDelay: () => 20, telemetry: clientTelemetry() });
    const errors: KhalaSyncError[] = [];
    const seen: unknown[] = [];
    client.on('error', (e) => errors.push(e));
    client.on('status', (s, reason) => seen.push(['status', s, reason]));
    client.on('telemetry', (t) => seen.push(t));
    await client.connect();
    await until(() => errors.some((e) => e.code === 'internal' || e.code.startsWith('internal')) && errors.length >= 3, 'echoed errors');
    await client.close();
    expect(srv.queries[0]!.get('token')).toBe(TOKEN); // the server really had it to echo
    const surfaced = JSON.stringify([
      errors.map((e) => ({ message: e.message, code: e.code, details: e.details, stack: e.stack, json: e.toJSON(), cause: String(e.cause) })),
      seen,
    ]);
    expect(surfaced).toContain('[redacted]');
    expect(leaks(surfaced)).toEqual([]);
  });

  it('a minted token is scrubbed as well (function source)', async () => {
    srv = await echoingServer();
    let n = 0;
    const client = new SyncClient({ url: srv.url, token: () => `${TOKEN}-${++n}`, topics: [TOPIC], reconnectDelay: () => 20 });
    const errors: KhalaSyncError[] = [];
    client.on('error', (e) => errors.push(e));
    await client.connect();
    await until(() => errors.length >= 3, 'echoed errors');
    await client.close();
    const text = JSON.stringify(errors.map((e) => [e.message, e.code, e.details, e.toJSON()]));
    expect(text).not.toContain(`${TOKEN}-1`);
    expect(text).not.toContain(encodeURIComponent(`${TOKEN}-1`));
  });

  it("the token endpoint's header values are scrubbed too (the plug-in's secrets, learned at construction)", async () => {
    const SESSION = 'app-session-opaque-77';
    srv = await hostileServer((frame, socket) => {
      if (joinOk(frame, socket)) return;
      if (frame[3] === 'sync:subscribe') push(socket, [null, null, frame[2], 'sync:error', { code: 'internal', message: `session ${SESSION} (${encodeURIComponent(`x ${SESSION}`)})`, said: SESSION }]);
    });
    const mint = await recordingServer((_req, res) => json(res, 200, { token: 'minted-token-1234' }));
    try {
      const token = tokenEndpoint({ url: `${mint.origin}/token`, headers: { authorization: `Session ${SESSION}` } });
      expect(token.secrets).toEqual([`Session ${SESSION}`, SESSION]);
      const client = new SyncClient({ url: srv.url, token, topics: [TOPIC], reconnectDelay: () => 20 });
      const errors: KhalaSyncError[] = [];
      client.on('error', (e) => errors.push(e));
      await client.connect();
      await until(() => errors.length >= 1, 'echoed error');
      await client.close();
      expect(mint.requests[0]!.headers.authorization).toBe(`Session ${SESSION}`);
      const text = JSON.stringify(errors.map((e) => [e.message, e.code, e.details, e.stack, e.toJSON()]));
      expect(text).toContain('[redacted]');
      expect(text).not.toContain(SESSION);
    } finally {
      await mint.close();
    }
  });

  it('tail prints none of it (stdout and stderr)', async () => {
    srv = await echoingServer();
    const run = startCli(['tail', '--url', srv.url, '--token', TOKEN, '--topic', TOPIC, '--idle-exit', '1500']);
    await run.exited;
    const out = run.stdout() + run.stderr();
    expect(out).toContain('"type":"error"');
    expect(leaks(out)).toEqual([]);
  });
});
