import { describe, expect, it } from 'vitest';
import { until } from '../client/harness.js';
import { watchedClient, watchHost } from './bad-input-table.js';
import { hostileServer, joinOk, push, type HostileServer } from './hostile-server.js';

// Subscribe refusals whose fields name no topic of the request they answer. First, `stale_cursor`
// answers whose fields do not say which topic went stale. The server checks freshness only for
// topics sent with a cursor (KHALA_PROTOCOL §2.2), so a stale answer to a request that sent none,
// or that names only topics the request did not carry, cannot be acted on as written; resending
// the same request at once would get the same answer, in a loop (12,000 subscribes a second
// before the fix). Each must end in a bounded way: one `stale` event, one
// recovery, and a second stale answer fails the topic (`stale_cursor_loop`, SPEC.md R6).
const TOPIC = 'runtime.run_summaries';
const cleanups = watchHost();

/** A server that answers the first `okFirst` subscribes ok (applying watermark 1), every later one `reply`. */
async function staleAfter(okFirst: number, reply: Record<string, unknown>): Promise<HostileServer & { subscribes: () => number }> {
  let subscribes = 0;
  const srv = await hostileServer((frame, socket) => {
    if (joinOk(frame, socket)) return;
    const [joinRef, ref, topic, event] = frame;
    if (event !== 'sync:subscribe') return;
    if (subscribes++ < okFirst) {
      push(socket, [joinRef, null, topic, 'sync:update_batch', { updates: [{ topic: TOPIC, doc_key: 'd', doc_version: 1, payload: {}, watermark: 1 }], replay_complete: true }]);
      push(socket, [joinRef, ref, topic, 'phx_reply', { status: 'ok', response: {} }]);
    } else {
      push(socket, [joinRef, ref, topic, 'phx_reply', { status: 'error', response: reply }]);
    }
  });
  cleanups.push(() => srv.close());
  return Object.assign(srv, { subscribes: () => subscribes });
}

const REPLIES: Array<[string, Record<string, unknown>]> = [
  ['without stale_topics', { code: 'stale_cursor' }],
  ['with an empty stale_topics', { code: 'stale_cursor', full_resync_required: true, stale_topics: [] }],
  ['naming only a topic the request did not carry', { code: 'stale_cursor', stale_topics: [{ topic: 'runtime.other', retention_floor: 5 }] }],
];

describe('a stale_cursor reply that names no topic the request could be stale for', () => {
  for (const [name, reply] of REPLIES) {
    it(`${name}, to a first subscribe without a cursor: one stale, then stale_cursor_loop; no subscribe loop`, async () => {
      const srv = await staleAfter(0, reply);
      const { client, errors } = watchedClient(cleanups, { url: srv.url });
      const stale: string[] = [];
      client.on('stale', (s) => stale.push(s.topic));
      await client.connect();
      await until(() => client.status === 'failed', 'topic failed', 3000);
      await new Promise((r) => setTimeout(r, 100));
      expect(errors.map((e) => [e.code, e.topic])).toEqual([['stale_cursor_loop', TOPIC]]);
      expect(stale).toEqual([TOPIC]);
      expect(srv.subscribes()).toBe(2);
      expect(srv.accepted).toBe(1);
    });

    it(`${name}, to the cursor-less resubscribe of resync(): stale_cursor_loop, the cursor kept; no subscribe loop`, async () => {
      const srv = await staleAfter(1, reply);
      const { client, errors } = watchedClient(cleanups, { url: srv.url });
      await client.connect();
      await until(() => client.status === 'live' && client.getWatermark(TOPIC) === 1, 'live at 1');
      client.resync(TOPIC);
      await until(() => client.status === 'failed', 'topic failed', 3000);
      await new Promise((r) => setTimeout(r, 100));
      expect(errors.map((e) => [e.code, e.topic])).toEqual([['stale_cursor_loop', TOPIC]]);
      expect(srv.subscribes()).toBe(2);
      expect(client.getWatermark(TOPIC)).toBe(1);
    });
  }
});

// The same for `forbidden_topic`: the reply refuses the request, so a `forbidden_topics` list that
// names none of its topics cannot mean "the rest may be subscribed again" (264 subscribes in the
// property run that found it, test/property/hostile-khala-server.property.test.ts).
describe('a forbidden_topic reply whose forbidden_topics names none of the request\'s topics', () => {
  it('fails the request\'s topics (one forbidden_topic each), no resubscribe, no reconnect', async () => {
    const srv = await staleAfter(0, { code: 'forbidden_topic', forbidden_topics: ['runtime.other'] });
    const { client, errors } = watchedClient(cleanups, { url: srv.url });
    await client.connect();
    await until(() => client.status === 'failed', 'topic failed', 3000);
    await new Promise((r) => setTimeout(r, 100));
    expect(errors.map((e) => [e.code, e.topic])).toEqual([['forbidden_topic', TOPIC]]);
    expect(srv.subscribes()).toBe(1);
    expect(srv.accepted).toBe(1);
  });
});
