// The streamed replay (src/server/replay.ts streamReplay): a backlog longer than one event-loop turn
// goes out in the same batches and order as before, before the subscribe reply, with later client
// frames handled after that reply and live events neither lost nor duplicated.
import { describe, expect, it } from 'vitest';
import { REPLAY_BATCHES_PER_TURN } from '../../src/server/replay.js';
import { TestClient, startServer, type Frame } from './helpers.js';

const RUNS = 'runtime.run_summaries';
const BATCH = 10;
const BACKLOG = BATCH * REPLAY_BATCHES_PER_TURN * 3 + 7; // several turns and a partial last batch

function watermarks(frames: Frame[]): number[] {
  return frames.filter((f) => f[3] === 'sync:update_batch').flatMap((f) => (f[4].updates as Array<{ watermark: number }>).map((u) => u.watermark));
}

/** A server holding BACKLOG events and a joined client; `start` marks where its frames begin. */
async function joinedOverBacklog() {
  const server = await startServer({ doubleEmission: false, singleEmission: 'legacy' });
  for (let i = 0; i < BACKLOG; i++) server.publish(RUNS, [{ docKey: `d${i % 50}`, payload: { i } }]);
  const client = await TestClient.connect(server);
  await client.join();
  return { server, client, start: client.mark() };
}

describe('streamed subscribe replay', () => {
  it('sends every batch before the reply and handles a later request only after it', async () => {
    const { client, start } = await joinedOverBacklog();
    const subRef = client.push('sync:subscribe', { topics: [RUNS], resume_after: { [RUNS]: 0 }, replay_batch_size: BATCH });
    const hbRef = client.push('sync:heartbeat', {});
    const hb = await client.reply(hbRef, 10_000);
    const frames = client.frames.slice(start);
    const subAt = frames.findIndex((f) => f[1] === subRef && f[3] === 'phx_reply');
    const hbAt = frames.indexOf(hb);
    expect(subAt).toBeGreaterThan(0);
    expect(hbAt).toBeGreaterThan(subAt);
    const before = frames.slice(0, subAt);
    expect(watermarks(before)).toEqual(Array.from({ length: BACKLOG }, (_, i) => i + 1));
    const batches = before.filter((f) => f[3] === 'sync:update_batch');
    expect(batches).toHaveLength(Math.ceil(BACKLOG / BATCH));
    expect(batches.map((b) => b[4].replay_complete)).toEqual(batches.map((_, i) => i === batches.length - 1));
    expect(frames[subAt]![4].response.current_watermarks).toEqual([{ topic: RUNS, watermark: BACKLOG }]);
    expect(hb[4].response.watermarks).toEqual([{ topic: RUNS, watermark: BACKLOG }]);
  });

  it('delivers events published during the replay exactly once, in order', async () => {
    const { server, client, start } = await joinedOverBacklog();
    client.push('sync:subscribe', { topics: [RUNS], resume_after: { [RUNS]: 0 }, replay_batch_size: BATCH });
    // Publishes land between the replay's event-loop turns (and after it, through the live drain).
    const extra = 40;
    for (let i = 0; i < extra; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      server.publish(RUNS, [{ docKey: `live${i}`, payload: { i } }]);
    }
    const total = BACKLOG + extra;
    await client.waitFor(() => watermarks(client.frames.slice(start)).at(-1) === total, start, 10_000);
    expect(watermarks(client.frames.slice(start))).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  });

  it('stops streaming when the channel ends mid-replay', async () => {
    const { client, start } = await joinedOverBacklog();
    const subRef = client.push('sync:subscribe', { topics: [RUNS], resume_after: { [RUNS]: 0 }, replay_batch_size: BATCH });
    // A rejoin on the same socket closes the previous channel instance (phx_close), here mid-replay.
    await client.waitFor((f) => f[3] === 'sync:update_batch', start, 10_000);
    await client.join();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const frames = client.frames.slice(start);
    expect(frames.some((f) => f[1] === subRef && f[3] === 'phx_reply')).toBe(false);
    expect(watermarks(frames).length).toBeLessThan(BACKLOG);
  });
});
