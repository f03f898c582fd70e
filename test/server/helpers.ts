import WebSocket from 'ws';
import { afterEach } from 'vitest';
import { startReferenceServer } from '../../src/server/index.js';
import type { ReferenceServer, ReferenceServerOptions } from '../../src/server/index.js';

/** A received Phoenix frame; payload typed loosely for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Frame = [string | null, string | null, string, string, any];

const started: ReferenceServer[] = [];
const clients: TestClient[] = [];

/** Start a server that is closed after the current test. */
export async function startServer(options?: ReferenceServerOptions): Promise<ReferenceServer> {
  const server = await startReferenceServer(options);
  started.push(server);
  return server;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  await Promise.all(started.splice(0).map((s) => s.close()));
});

/** Decode a KhalaFrame's `payload_bytes`: base64 → bytes → UTF-8 → JSON (§2.5). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function decodePayloadBytes(b64: string): any {
  return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(b64, 'base64')));
}

/** Resolve the HTTP status an upgrade attempt gets (101 when accepted). */
export function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => {
      resolve(101);
      ws.terminate();
    });
    ws.on('error', (err) => reject(err));
  });
}

/** Socket URL with a token and extra query params. */
export function socketUrl(server: ReferenceServer, token: string | undefined, extra: Record<string, string> = {}): string {
  const u = new URL(server.url);
  if (token !== undefined) u.searchParams.set('token', token);
  if (!('vsn' in extra)) u.searchParams.set('vsn', '2.0.0');
  for (const [k, v] of Object.entries(extra)) u.searchParams.set(k, v);
  return u.toString();
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A raw `ws` client speaking Phoenix V2 frames, recording everything it receives. */
export class TestClient {
  readonly frames: Frame[] = [];
  readonly rawTexts: string[] = [];
  closeCode: number | undefined;
  private ref = 0;
  joinRef: string | null = null;
  private listeners = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString();
      this.rawTexts.push(text);
      try {
        this.frames.push(JSON.parse(text) as Frame);
      } catch {
        /* raw garbage from pushRaw: kept in rawTexts only */
      }
      for (const l of [...this.listeners]) l();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      for (const l of [...this.listeners]) l();
    });
  }

  static async connect(server: ReferenceServer, token?: string, extra: Record<string, string> = {}): Promise<TestClient> {
    const t = token ?? (await server.mintToken());
    const ws = new WebSocket(socketUrl(server, t, extra));
    const client = new TestClient(ws);
    clients.push(client);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused ${res.statusCode}`)));
    });
    return client;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  nextRef(): string {
    this.ref += 1;
    return String(this.ref);
  }

  send(frame: unknown[]): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Push a channel event; returns its ref. */
  push(event: string, payload: object = {}, topic = 'sync:v1'): string {
    const ref = this.nextRef();
    this.send([this.joinRef, ref, topic, event, payload]);
    return ref;
  }

  /** Join `sync:v1` phoenix.js-style (join_ref = ref) unless `legacy` (null join_ref). */
  async join(opts: { legacy?: boolean; topic?: string } = {}): Promise<Frame> {
    const ref = this.nextRef();
    const joinRef = opts.legacy ? null : ref;
    this.send([joinRef, ref, opts.topic ?? 'sync:v1', 'phx_join', {}]);
    const reply = await this.reply(ref);
    if (reply[4].status === 'ok') this.joinRef = joinRef;
    return reply;
  }

  /** Push and wait for the reply. */
  async request(event: string, payload: object = {}, topic = 'sync:v1'): Promise<Frame> {
    return this.reply(this.push(event, payload, topic));
  }

  reply(ref: string, timeoutMs = 3000): Promise<Frame> {
    return this.waitFor((f) => f[1] === ref && f[3] === 'phx_reply', 0, timeoutMs);
  }

  /** Index to pass as `since` so only later frames match. */
  mark(): number {
    return this.frames.length;
  }

  /** Frames with `event` received since `since`. */
  events(event: string, since = 0): Frame[] {
    return this.frames.slice(since).filter((f) => f[3] === event);
  }

  waitFor(pred: (f: Frame) => boolean, since = 0, timeoutMs = 3000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.frames.slice(since).find(pred);
        if (found) {
          cleanup();
          resolve(found);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for frame; got ${JSON.stringify(this.frames.slice(since)).slice(0, 800)}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      const listener = (): void => void check();
      this.listeners.add(listener);
      check();
    });
  }

  waitForClose(timeoutMs = 3000): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.closeCode !== undefined) return resolve(this.closeCode);
      const timer = setTimeout(() => reject(new Error('socket did not close')), timeoutMs);
      this.ws.once('close', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  terminate(): void {
    this.ws.terminate();
  }
}
