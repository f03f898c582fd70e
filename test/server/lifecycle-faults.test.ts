import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startReferenceServer } from '../../src/server/index.js';
import { TestClient, sleep, startServer, upgradeStatus, socketUrl } from './helpers.js';

const RUNS = 'runtime.run_summaries';

async function live(server: Awaited<ReturnType<typeof startServer>>): Promise<TestClient> {
  const client = await TestClient.connect(server);
  await client.join();
  await client.request('sync:subscribe', { topics: [RUNS] });
  return client;
}

describe('restart and close', () => {
  it('restart closes sockets with 1012, listens on the same port and keeps the journal', async () => {
    const server = await startServer();
    server.publish(RUNS, [{ docKey: 'a', payload: { v: 1 } }, { docKey: 'b', payload: { v: 2 } }]);
    const client = await live(server);
    const port = server.port;
    await server.restart();
    expect(await client.waitForClose()).toBe(1012);
    expect(server.port).toBe(port);
    expect(server.head(RUNS)).toBe(2);
    const again = await TestClient.connect(server);
    await again.join();
    const reply = await again.request('sync:subscribe', { topics: [RUNS], resume_after: { [RUNS]: 1 } });
    expect(reply[4].response.current_watermarks).toEqual([{ topic: RUNS, watermark: 2 }]);
    expect(server.stats().connections).toBe(2);
    expect(server.stats().openConnections).toBe(1);
  });

  it('close terminates sockets, frees the port and leaves no timers behind', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate').length;
    const server = await startReferenceServer({ serverHeartbeatMs: 20 });
    const clients = [await live(server), await live(server)];
    server.publish(RUNS, [{ docKey: 'a', payload: {} }]);
    const port = server.port;
    await server.close();
    for (const c of clients) await c.waitForClose();
    await sleep(30);
    const after = process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate').length;
    expect(after).toBeLessThanOrEqual(before);
    // The port is free again.
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
    });
    await server.close(); // idempotent
  });
});

describe('fault switches', () => {
  it('dropConnections terminates sockets without a close frame', async () => {
    const server = await startServer();
    const client = await live(server);
    server.faults.dropConnections();
    expect(await client.waitForClose()).toBe(1006);
  });

  it('phxErrorAll / phxCloseAll end channels but keep sockets open', async () => {
    const server = await startServer();
    const a = await live(server);
    const b = await TestClient.connect(server); // not joined: gets nothing
    server.faults.phxErrorAll();
    expect(await a.waitFor((f) => f[3] === 'phx_error')).toEqual(['1', null, 'sync:v1', 'phx_error', {}]);
    server.faults.phxCloseAll(); // no channel left: no-op
    await a.join();
    server.faults.phxCloseAll();
    await a.waitFor((f) => f[3] === 'phx_close');
    expect(a.isOpen).toBe(true);
    await sleep(10);
    expect(b.frames).toHaveLength(0);
    server.publish(RUNS, [{ docKey: 'x', payload: {} }]);
    await sleep(20);
    expect(a.events('sync:update_batch')).toHaveLength(0);
  });

  it('stall discards everything while on; output resumes after', async () => {
    const server = await startServer({ serverHeartbeatMs: 20 });
    const client = await live(server);
    server.faults.stall(true);
    const since = client.mark();
    server.publish(RUNS, [{ docKey: 'x', payload: {} }]);
    client.push('sync:heartbeat');
    client.send([null, '99', 'phoenix', 'heartbeat', {}]);
    await sleep(80);
    expect(client.frames.length).toBe(since);
    expect(client.isOpen).toBe(true);
    server.faults.stall(false);
    const reply = await client.request('sync:heartbeat');
    expect(reply[4].status).toBe('ok');
    // The stalled batch was discarded, not queued.
    expect(client.events('sync:update_batch', since)).toHaveLength(0);
  });

  it('pushRaw sends the raw text to joined sockets only', async () => {
    const server = await startServer();
    const joined = await live(server);
    const idle = await TestClient.connect(server);
    server.faults.pushRaw('{not json');
    await sleep(20);
    expect(joined.rawTexts.at(-1)).toBe('{not json');
    expect(idle.rawTexts).toHaveLength(0);
  });

  it('a frame above 1 MiB closes the socket (1009); upgrades still work', async () => {
    const server = await startServer();
    const client = await TestClient.connect(server);
    client.ws.send('x'.repeat(1024 * 1024 + 1));
    expect(await client.waitForClose()).toBe(1009);
    expect(await upgradeStatus(socketUrl(server, await server.mintToken()))).toBe(101);
  });

  it('counts frames, joins and subscribes', async () => {
    const server = await startServer();
    const client = await live(server);
    expect(server.stats()).toMatchObject({ connections: 1, openConnections: 1, joins: 1, subscribes: 1, framesOut: client.frames.length });
  });
});
