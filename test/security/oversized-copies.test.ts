import { describe, expect, it } from 'vitest';
import { until } from '../client/harness.js';
import { TOPIC, watchedClient, watchHost } from './bad-input-table.js';
import { hostileServer, joinOk, push } from './hostile-server.js';

// A frame above maxFrameBytes is skipped unparsed, and a look at it names its topic so the core can
// resync that topic (SPEC.md A12). The look must read what JSON.parse would (a key given twice means
// its last value), and the server's two copies of every batch (`sync:update_batch`, `sync:frame`)
// must make one report (one recovery), not two; a frame copy of a batch that did fit makes none.
const cleanups = watchHost();
const OTHER = 'runtime.other';
const BIG = 'x'.repeat(5000);
const body = (n: number, topicJson: string): string => `{${topicJson},"doc_key":"d${n}","doc_version":${n},"payload":{"big":"${BIG}"},"watermark":${n}}`;
const updateBatch = (n: number, topicJson = `"topic":"${TOPIC}"`): string => `[null,null,"sync:v1","sync:update_batch",{"updates":[${body(n, topicJson)}],"replay_complete":true}]`;
const syncFrame = (n: number, head = `"topic":"${TOPIC}"`, batch = `{"updates":[${body(n, `"topic":"${TOPIC}"`)}]}`): string =>
  `[null,null,"sync:v1","sync:frame",{${head},"seq":${n},"kind":"KHALA_FRAME_KIND_UPDATE_BATCH","payload_bytes":"${Buffer.from(batch).toString('base64')}","schema_version":1}]`;

async function sending(frames: string[]) {
  const srv = await hostileServer((frame, socket) => {
    if (joinOk(frame, socket)) return;
    const [joinRef, ref, topic, event] = frame;
    if (event !== 'sync:subscribe') return;
    push(socket, [joinRef, ref, topic, 'phx_reply', { status: 'ok', response: { current_watermarks: [] } }]);
    for (const f of frames) socket.send(f);
    socket.send(`[null,null,"sync:v1","sync:update_batch",{"updates":[{"topic":"${TOPIC}","doc_key":"end","doc_version":1,"payload":{},"watermark":9}],"replay_complete":true}]`);
  });
  cleanups.push(() => srv.close());
  const { client, errors } = watchedClient(cleanups, { url: srv.url, maxFrameBytes: 4000 });
  await client.connect();
  await until(() => client.getWatermark(TOPIC) === 9, 'the last batch applied', 3000);
  return errors.filter((e) => e.code === 'frame_too_large').map((e) => e.topic);
}

describe('oversized frames', () => {
  it('name the topic JSON.parse would read when the key is given twice', async () => {
    expect(await sending([updateBatch(2, `"topic":"${OTHER}","topic":"${TOPIC}"`)])).toEqual([TOPIC]);
    expect(await sending([syncFrame(3, `"topic":"${OTHER}","seq":1,"topic":"${TOPIC}"`)])).toEqual([TOPIC]);
    // Escaped spellings of the key are the key too.
    expect(await sending([updateBatch(4, `"topic":"${OTHER}","\\u0074opic":"${TOPIC}"`)])).toEqual([TOPIC]);
  });

  it('name no topic when the frame is not whole JSON', async () => {
    expect(await sending([updateBatch(2).slice(0, -2)])).toEqual([undefined]);
  });

  it('both copies of one oversized batch: one report', async () => {
    expect(await sending([updateBatch(2), syncFrame(2)])).toEqual([TOPIC]);
    // Two different oversized batches stay two reports.
    expect(await sending([updateBatch(2), syncFrame(2), updateBatch(3), syncFrame(3)])).toEqual([TOPIC, TOPIC]);
  });

  it('a frame copy too large of a batch that fitted and applied: no report', async () => {
    const fits = `[null,null,"sync:v1","sync:update_batch",{"updates":[{"topic":"${TOPIC}","doc_key":"d2","doc_version":2,"payload":{},"watermark":2}],"replay_complete":true}]`;
    expect(await sending([fits, syncFrame(2)])).toEqual([]);
  });
});
