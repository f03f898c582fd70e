import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { CloseInfo } from '../../src/transport/transport.js';
import { webSocketTransport } from '../../src/transport/websocket-transport.js';
import { createMemoryNetwork } from '../../src/transport/memory-transport.js';
import { assertSecureUrl } from '../../src/transport/secure-url.js';
import { isLoopbackHost } from '../../src/util/loopback.js';

let http: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
  http = undefined;
});

async function listen(onUpgrade: (wss: WebSocketServer) => void, refuse?: number): Promise<string> {
  http = createServer();
  const wss = new WebSocketServer({ noServer: true });
  http.on('upgrade', (req, socket, head) => {
    if (refuse) {
      socket.end(`HTTP/1.1 ${refuse} Forbidden\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  onUpgrade(wss);
  await new Promise<void>((r) => http!.listen(0, '127.0.0.1', () => r()));
  return `ws://127.0.0.1:${(http!.address() as AddressInfo).port}/x`;
}

function open(url: string) {
  const got: string[] = [];
  let opened = false;
  let closed: CloseInfo | undefined;
  let closes = 0;
  const t = webSocketTransport(url, { onOpen: () => (opened = true), onMessage: (text) => got.push(text), onClose: (i) => ((closed = i), closes++) }, {});
  return { t, got, isOpen: () => opened, closed: () => closed, closes: () => closes };
}

const until = async (ok: () => boolean) => {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(ok()).toBe(true);
};

describe('webSocketTransport', () => {
  it('delivers text and binary frames as UTF-8 text and sends text', async () => {
    const url = await listen((wss) =>
      wss.on('connection', (ws) => {
        ws.send('plain é');
        ws.send(Buffer.from('binary 日本 🙂', 'utf8'), { binary: true });
        ws.on('message', (m) => ws.send(`echo:${m.toString()}`));
      }),
    );
    const c = open(url);
    await until(c.isOpen);
    c.t.send('hi');
    await until(() => c.got.length === 3);
    expect(c.got).toEqual(['plain é', 'binary 日本 🙂', 'echo:hi']);
    c.t.close(1000, 'done');
    expect(c.closed()).toEqual({ code: 1000, reason: 'done' });
  });

  it('reports the HTTP status of a refused upgrade, exactly once', async () => {
    const url = await listen(() => undefined, 403);
    const c = open(url);
    await until(() => c.closed() !== undefined);
    await new Promise((r) => setTimeout(r, 50));
    expect(c.closed()?.httpStatus).toBe(403);
    expect(c.closes()).toBe(1);
    expect(c.isOpen()).toBe(false);
  });

  it('reports a server-side close with its code', async () => {
    const url = await listen((wss) => wss.on('connection', (ws) => ws.close(4001, 'bye')));
    const c = open(url);
    await until(() => c.closed() !== undefined);
    expect(c.closed()).toMatchObject({ code: 4001, reason: 'bye' });
  });
});

describe('memory network', () => {
  it('pairs a client transport with a peer, both directions, and refuses on demand', async () => {
    const net = createMemoryNetwork({ accept: (u) => (u.includes('deny') ? { refuse: 403 } : 'accept') });
    const got: string[] = [];
    let closed: CloseInfo | undefined;
    const t = net.factory('mem://ok', { onOpen: () => t.send('from-client'), onMessage: (m) => got.push(m), onClose: (i) => (closed = i) }, {});
    await until(() => net.peers[0]?.sent.length === 1);
    net.peers[0]!.push('from-server');
    await until(() => got.length === 1);
    net.peers[0]!.close(4000, 'x');
    await until(() => closed !== undefined);
    expect([got, net.peers[0]!.sent, closed]).toEqual([['from-server'], ['from-client'], { code: 4000, reason: 'x' }]);
    let refused: CloseInfo | undefined;
    net.factory('mem://deny', { onOpen: () => undefined, onMessage: () => undefined, onClose: (i) => (refused = i) }, {});
    await until(() => refused !== undefined);
    expect(refused?.httpStatus).toBe(403);
  });
});

describe('clear-text guard', () => {
  it('allows loopback and TLS, refuses ws:// elsewhere unless opted in', () => {
    for (const h of ['localhost', '127.0.0.1', '127.9.9.9', '[::1]', 'app.localhost']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['10.0.0.1', 'example.com', '128.0.0.1']) expect(isLoopbackHost(h)).toBe(false);
    expect(() => assertSecureUrl('wss://example.com/x?token=abc', false)).not.toThrow();
    expect(() => assertSecureUrl('ws://127.0.0.1:1/x', false)).not.toThrow();
    expect(() => assertSecureUrl('ws://example.com/x?token=SECRET', true)).not.toThrow();
    let message = '';
    try {
      assertSecureUrl('ws://example.com/x?token=SECRET', false);
    } catch (e) {
      message = (e as Error).message;
      expect((e as { code: string }).code).toBe('insecure_transport');
    }
    expect(message).not.toContain('SECRET');
    expect(message).toContain('example.com');
  });
});
