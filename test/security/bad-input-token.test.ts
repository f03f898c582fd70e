import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { httpSnapshotSource } from '../../src/bootstrap/http-snapshot-source.js';
import { tokenEndpoint as mintAt } from '../../src/http.js';
import { SyncClient } from '../../src/client/sync-client.js';
import type { TokenSource } from '../../src/client/token-provider.js';
import type { KhalaSyncError } from '../../src/errors/index.js';
import { until } from '../client/harness.js';
import { ensureBuilt, startCli } from '../cli/built-cli.js';
import { watchHost } from './bad-input-table.js';
import { hostileServer, joinOk } from './hostile-server.js';

// Tokens a token function or a token endpoint gets wrong: control characters (CR LF would split the
// `Authorization` header, and `fetch` quotes the header in its error), DEL, non-ASCII, a trailing
// space. Each is refused before it is used (`token_provider_failed`, retried with backoff): no
// socket is dialled, no HTTP request carries it, and no error, log line or CLI output contains any
// part of it (every bad token carries the marker `s3cr3t`).
const TOPIC = 'runtime.run_summaries';
const MARK = 's3cr3t';
const cleanups = watchHost();
beforeAll(() => ensureBuilt(), 120_000);

const BAD: Array<[string, string]> = [
  ['CR LF (a header injection)', `${MARK}-a\r\nX-Injected: 1`],
  ['LF', `${MARK}-b\nrest`],
  ['NUL', `${MARK}-c\u0000rest`],
  ['BEL (another C0 control)', `${MARK}-d\u0007rest`],
  ['tab', `${MARK}-e\trest`],
  ['DEL', `${MARK}-f\u007frest`],
  ['Latin-1 (é)', `${MARK}-g-é`],
  ['non-Latin-1 (€)', `${MARK}-h-€`],
  ['astral (emoji)', `${MARK}-i-\u{1F600}`],
  ['a trailing space', `${MARK}-j `],
];

/** A token endpoint on loopback answering `{"token": token}` (JSON escapes make any string valid). */
async function tokenEndpoint(token: string): Promise<{ url: string; posts: () => number }> {
  let posts = 0;
  const http = createServer((_req, res) => {
    posts++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { token } }));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => (http.closeAllConnections(), http.close(() => r()))));
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/api/sync/token`, posts: () => posts };
}

/** Everything a client surfaced, as one string to search. */
function surfaced(errors: KhalaSyncError[], logs: unknown[]): string {
  return JSON.stringify([errors.map((e) => ({ message: e.message, details: e.details, stack: e.stack, json: e.toJSON(), cause: String(e.cause) })), logs]);
}

async function refusedBy(source: (token: string) => Promise<TokenSource>, token: string): Promise<void> {
  const ws = await hostileServer((frame, socket) => void joinOk(frame, socket));
  cleanups.push(() => ws.close());
  const logs: unknown[] = [];
  const log = (...args: unknown[]): number => logs.push(args);
  const client = new SyncClient({ url: ws.url, token: await source(token), topics: [TOPIC], reconnectDelay: () => 20, logger: { debug: log, info: log, warn: log, error: log }, logLevel: 'debug' });
  cleanups.push(() => client.close());
  const errors: KhalaSyncError[] = [];
  client.on('error', (e) => errors.push(e));
  await client.connect();
  await until(() => errors.length >= 2, 'refused twice (retried with backoff)', 3000);
  expect(errors.map((e) => e.code)).toEqual(errors.map(() => 'token_provider_failed'));
  expect(errors[0]!.retryable).toBe(true);
  expect(ws.accepted).toBe(0);
  expect(surfaced(errors, logs)).not.toContain(MARK);
  expect(logs.length).toBeGreaterThan(0);
}

describe('a token with characters that cannot be sent', () => {
  for (const [name, token] of BAD) {
    it(`${name}, from a token endpoint: token_provider_failed, no socket, not in any error or log`, async () => {
      let endpoint: { posts: () => number } | undefined;
      await refusedBy(async (t) => {
        const e = await tokenEndpoint(t);
        endpoint = e;
        return mintAt({ url: e.url });
      }, token);
      expect(endpoint!.posts()).toBeGreaterThanOrEqual(2);
    });

    it(`${name}, from a token function: the same`, async () => {
      await refusedBy(async (t) => () => t, token);
    });
  }

  it('a fixed token is refused by the constructor (invalid_options naming the option, never the value)', () => {
    for (const [, token] of BAD) {
      let thrown: KhalaSyncError | undefined;
      try {
        new SyncClient({ url: 'ws://127.0.0.1:9/sync/socket/websocket', token, topics: [TOPIC] });
      } catch (err) {
        thrown = err as KhalaSyncError;
      }
      expect(thrown).toMatchObject({ code: 'invalid_options', details: { option: 'token' } });
      expect(JSON.stringify([thrown!.message, thrown!.toJSON()])).not.toContain(MARK);
    }
  });

  it('an httpSnapshotSource the app built with its own token function sends no request with it', async () => {
    let requests = 0;
    const http = createServer((_req, res) => void (requests++, res.writeHead(500).end()));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => (http.closeAllConnections(), http.close(() => r()))));
    const source = httpSnapshotSource({ baseUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}/sync/snapshot`, attempts: 1 });
    const read = async (): Promise<void> => {
      for await (const page of source(TOPIC, { signal: new AbortController().signal, token: async () => BAD[0]![1] })) void page;
    };
    const err = (await read().catch((e: unknown) => e)) as KhalaSyncError;
    expect(err.code).toBe('token_provider_failed');
    expect(JSON.stringify([err.message, err.toJSON(), err.stack])).not.toContain(MARK);
    expect(requests).toBe(0);
  });

  it('tail prints none of it (stdout and stderr) and dials no socket', async () => {
    const ws = await hostileServer((frame, socket) => void joinOk(frame, socket));
    cleanups.push(() => ws.close());
    const endpoint = await tokenEndpoint(BAD[0]![1]);
    const run = startCli(['tail', '--url', ws.url, '--token-url', endpoint.url, '--topic', TOPIC, '--idle-exit', '1500']);
    await run.exited;
    const out = run.stdout() + run.stderr();
    expect(out).toContain('token_provider_failed');
    expect(out).not.toContain(MARK);
    expect(ws.accepted).toBe(0);
  });
});
