import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createKhalaLane } from '../../src/adapters/khala/khala-lane.js';
import { createSpacetimeLane } from '../../src/adapters/spacetime/index.js';
import type { LaneSink } from '../../src/adapters/lane.js';
import { SyncClient } from '../../src/client/sync-client.js';
import type { SyncClientOptions } from '../../src/client/options.js';
import type { KhalaSyncError } from '../../src/errors/index.js';
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js';
import { webSocketTransport } from '../../src/transport/websocket-transport.js';
import { until } from '../client/harness.js';
import { ensureBuilt, startCli } from '../cli/built-cli.js';
import { hostileServer, joinOk, push, type HostileServer } from './hostile-server.js';
import { tokenEndpoint } from '../../src/http.js';

const TOPIC = 'runtime.run_summaries';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
beforeAll(() => ensureBuilt(), 120_000);

function watched(options: SyncClientOptions): { client: SyncClient; errors: KhalaSyncError[]; statuses: string[] } {
  const client = new SyncClient({ reconnectDelay: () => 20, ...options });
  const errors: KhalaSyncError[] = [];
  const statuses: string[] = [];
  client.on('error', (e) => errors.push(e));
  client.on('status', (s) => statuses.push(s));
  cleanups.push(() => client.close());
  return { client, errors, statuses };
}

async function server(script: Parameters<typeof hostileServer>[0]): Promise<HostileServer> {
  const srv = await hostileServer(script);
  cleanups.push(() => srv.close());
  return srv;
}

function batch(seq: number, payload: unknown): string {
  const update = { topic: TOPIC, doc_key: `d${seq}`, doc_version: seq, payload, watermark: seq };
  return JSON.stringify([null, null, 'sync:v1', 'sync:update_batch', { updates: [update], replay_complete: true, head_watermarks: [] }]);
}

/** Joins, answers subscribes, then sends `frames()`. */
function serving(frames: () => string[]): Parameters<typeof hostileServer>[0] {
  return (frame, socket) => {
    if (joinOk(frame, socket)) return;
    const [joinRef, ref, topic, event] = frame;
    if (event === 'sync:subscribe') {
      push(socket, [joinRef, ref, topic, 'phx_reply', { status: 'ok', response: { current_watermarks: [] } }]);
      for (const f of frames()) socket.send(f);
    }
  };
}

describe('maxFrameBytes counts UTF-8 bytes', () => {
  const cjk = '日本語'.repeat(700); // 2,100 UTF-16 units, 6,300 UTF-8 bytes

  it('over a real socket: a CJK frame under the limit in characters but over it in bytes is refused', async () => {
    const srv = await server(serving(() => [batch(1, { text: cjk }), batch(1, { ok: true })]));
    const w = watched({ url: srv.url, token: 't0ken', topics: [TOPIC], maxFrameBytes: 4000 });
    await w.client.connect();
    await until(() => w.client.getWatermark(TOPIC) === 1, 'small frame applied');
    const tooLarge = w.errors.filter((e) => e.code === 'frame_too_large');
    expect(tooLarge).toHaveLength(1);
    expect(tooLarge[0]!.details['byteLength']).toBeGreaterThan(6000);
    expect(w.client.getDocument(TOPIC, 'd1')?.payload).toEqual({ ok: true });
  });

  it('both lanes refuse by bytes even when a transport reports UTF-16 length', () => {
    const refused: string[] = [];
    const sink = new Proxy({}, { get: (_t, name) => (name === 'protocolError' ? (e: KhalaSyncError) => refused.push(e.code) : name === 'lastApplied' ? () => undefined : () => undefined) }) as LaneSink;
    const clientInfo = { client: 'x', clientBuildId: '20260101T000000Z', protocolVersion: 'khala.ws.v1', schemaVersion: 1 };
    for (const lane of [createKhalaLane(), createSpacetimeLane()]) {
      const session = lane.createSession({ send: () => undefined, sink, maxFrameBytes: 4000, clientInfo });
      session.start();
      const text = batch(1, { text: cjk });
      session.receive(text, text.length);
    }
    expect(refused).toEqual(['frame_too_large', 'frame_too_large']);
  });
});

describe('a frame the ws layer refuses (close 1009)', () => {
  it('surfaces as frame_too_large, and the client reconnects', async () => {
    let sent = 0;
    const srv = await server(serving(() => (sent++ === 0 ? [batch(1, { blob: 'x'.repeat(200_000) })] : [batch(1, { ok: true })])));
    const w = watched({ url: srv.url, token: 't0ken', topics: [TOPIC], maxFrameBytes: 4000 });
    await w.client.connect();
    await until(() => w.client.getWatermark(TOPIC) === 1, 'applied after reconnect');
    const tooLarge = w.errors.filter((e) => e.code === 'frame_too_large');
    expect(tooLarge.length).toBeGreaterThanOrEqual(1);
    expect(tooLarge[0]!.details).toMatchObject({ closeCode: 1009 });
    expect(srv.accepted).toBeGreaterThanOrEqual(2);
  });
});

describe('close reasons and closing errors', () => {
  for (const [name, code] of [
    ['200-character code', 'x'.repeat(200)],
    ['60 CJK characters (180 bytes)', '拒'.repeat(60)],
  ] as const) {
    it(`a join refused with a ${name} never leaves sockets open, before or after close()`, async () => {
      let maxOpen = 0;
      const srv = await server((frame, socket) => {
        const [joinRef, ref, topic, event] = frame;
        if (event === 'phx_join') push(socket, [joinRef, ref, topic, 'phx_reply', { status: 'error', response: { code } }]);
      });
      const w = watched({ url: srv.url, token: 't0ken', topics: [TOPIC] });
      await w.client.connect();
      const started = Date.now();
      while (Date.now() - started < 1000) {
        maxOpen = Math.max(maxOpen, srv.open());
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(srv.accepted).toBeGreaterThanOrEqual(3);
      expect(maxOpen).toBeLessThanOrEqual(2); // the one being closed and its replacement
      await w.client.close();
      await until(() => srv.open() === 0, 'every socket closed after close()', 1000);
    });
  }

  it('a transport error while closing (invalid code, oversized reason) still ends the socket', async () => {
    const reasons: string[] = [];
    const srv = await server(() => undefined);
    const wss = (srv as unknown as { open(): number }).open;
    for (const [code, reason] of [
      [1005, 'x'],
      [4000, 'é'.repeat(200)],
    ] as const) {
      const closed = new Promise<void>((resolve) => {
        const t = webSocketTransport(srv.url, { onOpen: () => t.close(code, reason), onMessage: () => undefined, onClose: (info) => (reasons.push(info.reason), resolve()) }, {});
      });
      await closed;
      await until(() => wss() === 0, 'server saw the socket end', 2000);
    }
    expect(reasons).toHaveLength(2);
  });
});

/** The stalling server in its own process, so this process only holds the client's handles. */
async function stallingServer(): Promise<{ url: string; child: ChildProcess }> {
  const script = fileURLToPath(new URL('./fixtures/stalling-server.mjs', import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
  cleanups.push(() => void child.kill());
  const port = await new Promise<string>((resolve) => child.stdout!.on('data', (d: Buffer) => /PORT (\d+)/.test(String(d)) && resolve(/PORT (\d+)/.exec(String(d))![1]!)));
  return { url: `ws://127.0.0.1:${port}/sync/socket/websocket`, child };
}

function handles(): string[] {
  return process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'PipeWrap' && r !== 'ProcessWrap').sort();
}

describe('close() releases every socket and timer', () => {
  it('even when the peer never answers the close handshake', async () => {
    const { url } = await stallingServer();
    await new Promise((r) => setTimeout(r, 50));
    const before = handles();
    const w = watched({ url, token: 't0ken', topics: [TOPIC], heartbeatIntervalMs: 50, deadAfterMs: 60_000 });
    await w.client.connect();
    await until(() => w.client.getWatermark(TOPIC) === 1 && w.client.status === 'live', 'live');
    await w.client.close();
    await new Promise((r) => setTimeout(r, 20));
    expect(handles()).toEqual(before);
  });
});

describe('tail exits within 1 s of its exit condition', () => {
  it('--max-updates against a peer that never answers the close handshake', async () => {
    const { url } = await stallingServer();
    const run = startCli(['tail', '--url', url, '--token', 't0ken', '--topic', TOPIC, '--max-updates', '1']);
    let printedAt = 0;
    run.child.stdout!.on('data', () => {
      if (printedAt === 0 && run.stdout().includes('"type":"update"')) printedAt = Date.now();
    });
    expect(await run.exited).toBe(0);
    expect(printedAt).toBeGreaterThan(0);
    expect(Date.now() - printedAt).toBeLessThan(1000);
  });
});

describe('status when every subscribed topic has failed', () => {
  let srv: ReferenceServer;
  it('is failed (not replaying, not live); tail --until-caught-up exits 1', async () => {
    srv = await startReferenceServer({ port: 0 });
    cleanups.push(() => srv.close());
    const w = watched({ url: srv.url, token: tokenEndpoint({ url: srv.tokenUrl }), topics: ['runtime.not_a_topic', 'runtime.nor_this'] });
    await w.client.connect();
    await until(() => w.client.status === 'failed', 'failed');
    expect(w.client.getSnapshot().status).toBe('failed');
    const run = startCli(['tail', '--url', srv.url, '--token-url', srv.tokenUrl, '--topic', 'runtime.not_a_topic', '--until-caught-up']);
    expect(await run.exited).toBe(1);
  });

  it('one failed topic among live ones keeps the status live', async () => {
    srv = await startReferenceServer({ port: 0 });
    cleanups.push(() => srv.close());
    const w = watched({ url: srv.url, token: tokenEndpoint({ url: srv.tokenUrl }), topics: ['runtime.not_a_topic', TOPIC] });
    await w.client.connect();
    await until(() => w.client.status === 'live', 'live');
  });
});
