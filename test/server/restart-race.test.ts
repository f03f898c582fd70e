// restart() while clients reconnect at once: a socket that upgrades during the 1012 close grace
// period must not keep the old listener alive (it used to: server.close() then waited for that
// socket forever, the new listener never came up, and every other client got ECONNREFUSED).
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js';

let server: ReferenceServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A raw upgraded socket that never answers the close handshake: restart waits its grace period. */
function stubbornSocket(srv: ReferenceServer, token: string): Promise<Socket> {
  const url = new URL(srv.url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(url.port), url.hostname, () => {
      s.write(
        `GET ${url.pathname}?token=${encodeURIComponent(token)}&vsn=2.0.0 HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
    });
    s.once('data', (d) => (d.toString().startsWith('HTTP/1.1 101') ? resolve(s) : reject(new Error(d.toString()))));
    s.on('error', () => undefined);
  });
}

describe('reference server restart', () => {
  it('completes, and serves new connections, even when a client reconnects during the close grace period', async () => {
    server = await startReferenceServer({ port: 0 });
    const srv = server;
    const token = await srv.mintToken();
    const stubborn = await stubbornSocket(srv, token);
    const opened: string[] = [];
    const eager = (label: string): WebSocket => {
      const ws = new WebSocket(`${srv.url}?token=${encodeURIComponent(token)}&vsn=2.0.0`);
      ws.on('open', () => opened.push(label));
      ws.on('error', () => undefined);
      return ws;
    };
    const first = eager('first');
    await new Promise((r) => first.once('open', r));
    // Reconnect the instant the server says "service restart", as a 0 ms jitter draw would.
    let again: WebSocket | undefined;
    first.once('close', () => (again = eager('again')));
    const restarted = await Promise.race([srv.restart().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 4000))]);
    expect(restarted).toBe(true);
    // The new listener accepts connections.
    const after = eager('after');
    await new Promise((r, j) => {
      after.once('open', r);
      after.once('error', j);
    });
    expect(opened).toContain('after');
    for (const ws of [first, again, after]) ws?.terminate();
    stubborn.destroy();
  }, 10_000);
});

describe('reference server restart and close called at any moment', () => {
  // A closed listener's handle is released a moment after its close callback.
  const listeners = async (): Promise<number> => {
    await new Promise((r) => setTimeout(r, 20));
    return process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
  };

  it('two concurrent restarts, and a close during a restart, leave one listener and then none', async () => {
    const before = await listeners();
    server = await startReferenceServer({ port: 0 });
    const srv = server;
    const outcomes = await Promise.allSettled([srv.restart(), srv.restart()]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(await listeners()).toBe(before + 1);
    const token = await srv.mintToken();
    const ws = new WebSocket(`${srv.url}?token=${encodeURIComponent(token)}&vsn=2.0.0`);
    await new Promise((r, j) => {
      ws.once('open', r);
      ws.once('error', j);
    });
    ws.terminate();
    const restarting = srv.restart();
    await srv.close();
    await expect(restarting).resolves.toBeUndefined();
    await expect(srv.restart()).rejects.toThrow('reference server is closed');
    expect(await listeners()).toBe(before);
  });
});
