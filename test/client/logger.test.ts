import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ReferenceServer } from '../../src/server/index.js';
import { SyncClient } from '../../src/client/sync-client.js';
import { createLog, type LogLevel, type SyncLogger } from '../../src/client/logger.js';
import { SecretScrubber } from '../../src/errors/secret-scrubber.js';
import { createMemoryStore } from '../../src/watermarks/memory-store.js';
import { publishRange, record, RUNS, server, until, type Recorded } from './harness.js';
import { httpSnapshotSource } from '../../src/http.js';

let srv: ReferenceServer;
const open: Recorded[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const r of open.splice(0)) await r.client.close();
  await srv?.close();
});

type Line = [LogLevel, string, Record<string, unknown> | undefined];
function recordingLogger(lines: Line[]): SyncLogger {
  const at = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) => void lines.push([level, message, fields]);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

async function mint(url: string): Promise<string> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const body = (await res.json()) as { data?: { token: string }; token?: string };
  return body.data?.token ?? body.token!;
}

describe('logger option', () => {
  it('logs lifecycle, stale recovery, reconnects and errors at their levels, with no token in any line', async () => {
    srv = await server();
    publishRange(srv, RUNS, 50, 5);
    srv.prune(RUNS, 40);
    const store = createMemoryStore();
    await store.commit({ topic: RUNS, watermark: 5, documents: [] });
    const tokens: string[] = [];
    let failNext = false;
    // After the channel drops, one mint fails with a message that quotes the last token (a careless backend).
    const token = async (): Promise<string> => {
      if (failNext) {
        failNext = false;
        throw new Error(`mint failed; previous token was ${tokens[0]}`);
      }
      const t = await mint(srv.tokenUrl);
      tokens.unshift(t);
      return t;
    };
    const lines: Line[] = [];
    const r = record(srv, { topics: [RUNS], store, snapshot: httpSnapshotSource({ baseUrl: srv.snapshotUrl }), token, logger: recordingLogger(lines), logLevel: 'debug' });
    open.push(r);
    await r.client.connect();
    await r.client.whenLive();
    const has = (level: LogLevel, text: string): boolean => lines.some(([l, m]) => l === level && m.includes(text));
    failNext = true;
    srv.faults.phxErrorAll();
    await until(() => has('warn', 'token_provider_failed'), 'a failed mint');
    await r.client.whenLive();
    expect(has('debug', 'status connecting')).toBe(true);
    expect(has('info', 'status live')).toBe(true);
    expect(has('warn', `${RUNS} cursor stale, recovering`)).toBe(true);
    expect(has('info', `${RUNS} bootstrapped from snapshot`)).toBe(true);
    expect(has('info', `${RUNS} caught up`)).toBe(true);
    expect(has('warn', 'channel_closed')).toBe(true);
    expect(has('warn', 'token_provider_failed')).toBe(true);
    expect(has('info', 'reconnect 1 in')).toBe(true);
    const failed = lines.find(([, m]) => m.includes('token_provider_failed'))!;
    expect(failed[1]).toMatch(/previous token was \[redacted/);
    expect(failed[2]).toMatchObject({ code: 'token_provider_failed' });
    const text = JSON.stringify(lines);
    expect(tokens.length).toBeGreaterThan(1);
    for (const t of tokens) expect(text).not.toContain(t);
  });

  it('is silent by default: a whole session writes nothing to the console', async () => {
    const spies = (['debug', 'info', 'warn', 'error', 'log'] as const).map((m) => vi.spyOn(console, m));
    srv = await server();
    publishRange(srv, RUNS, 3);
    const r = record(srv, { topics: [RUNS, 'runtime.unknown'] });
    open.push(r);
    await r.client.connect();
    await r.client.whenLive(RUNS);
    await until(() => r.errors.length > 0, 'forbidden_topic');
    for (const s of spies) expect(s).not.toHaveBeenCalled();
  });

  it('drops lines below logLevel, survives a throwing logger, and refuses a bad logger option', () => {
    const lines: Line[] = [];
    const log = createLog(recordingLogger(lines), 'warn', new SecretScrubber())!;
    log('debug', 'd');
    log('info', 'i');
    log('warn', 'w');
    log('error', 'e');
    expect(lines.map(([l]) => l)).toEqual(['warn', 'error']);
    const boom = (): never => {
      throw new Error('logger down');
    };
    createLog({ debug: boom, info: boom, warn: boom, error: boom }, 'debug', new SecretScrubber())!('error', 'x');
    expect(createLog(undefined, 'debug', new SecretScrubber())).toBeUndefined();
    const bad = (options: object) => () => new SyncClient({ url: 'ws://127.0.0.1:1', token: 't0ken', ...options });
    expect(bad({ logger: { info: () => undefined } })).toThrow(/invalid option logger/);
    expect(bad({ logger: console, logLevel: 'verbose' })).toThrow(/invalid option logLevel/);
  });
});
