import { describe, expect, it } from 'vitest';
import type { LaneNotice } from '../../src/index.js';
import { ErrorCodes } from '../../src/errors/index.js';
import type { SpacetimeServer } from '../../src/server/index.js';
import { publishN, range, seqsOf, stClient, stTestBed, STREAM_A, STREAM_B, until, type StRecorded } from '../adapters/spacetime/client-helpers.js';

const bed = stTestBed();
let srv: SpacetimeServer | undefined;

const CLIENT_ID = 'desktop-main';

function acking(s: SpacetimeServer, topics: string[], ack: { timeoutMs?: number } = {}): { r: StRecorded; notices: LaneNotice[] } {
  const r = stClient(s, { topics }, { checkpointAck: { clientId: CLIENT_ID, retryDelay: () => 30, ...ack } });
  bed.track(r);
  const notices: LaneNotice[] = [];
  r.client.on('notice', (n) => notices.push(n));
  return { r, notices };
}

function checkpointOf(s: SpacetimeServer, stream: string): number | undefined {
  return s.checkpoints().find((c) => c.checkpoint_key === `${CLIENT_ID}:${stream}`)?.last_applied_seq;
}

/** A TransactionUpdate for our reducer with the given request id and caller connection id (raw u128 digits). */
function reducerReply(requestId: number, connectionId: string, status: object = { Committed: { tables: [] } }): string {
  const body = JSON.stringify({
    TransactionUpdate: {
      status,
      timestamp: { __timestamp_micros_since_unix_epoch__: 1 },
      caller_identity: { __identity__: '0x1' },
      caller_connection_id: { __connection_id__: 0 },
      reducer_call: { reducer_name: 'ack_stream_checkpoint', reducer_id: 7, args: '[]', request_id: requestId },
      energy_quanta_used: { quanta: 1 },
      total_host_execution_duration: { __time_duration_micros__: 1 },
    },
  });
  return body.replace('"__connection_id__":0', `"__connection_id__":${connectionId}`);
}

/** The same u128 with its last digit changed: equal to it once both went through a lossy number. */
function nearTwin(id: string): string {
  const last = Number(id.at(-1));
  return `${id.slice(0, -1)}${(last + 1) % 10}`;
}

describe('Spacetime checkpoint acks via ack_stream_checkpoint (opt-in, §2.1)', () => {
  it('off by default: no reducer is ever called', async () => {
    srv = await bed.start();
    publishN(srv, STREAM_A, 5);
    const r = stClient(srv, { topics: [STREAM_A] });
    bed.track(r);
    await r.client.connect();
    await until(() => r.client.getWatermark(STREAM_A) === 5 && r.client.status === 'live', 'live');
    publishN(srv, STREAM_A, 3);
    await until(() => r.client.getWatermark(STREAM_A) === 8, 'delta');
    expect(srv.checkpointCalls()).toEqual([]);
  });

  it('after local commits the server checkpoint follows the watermark per stream, coalesced (far fewer calls than batches)', async () => {
    srv = await bed.start();
    publishN(srv, STREAM_A, 30);
    publishN(srv, STREAM_B, 3);
    const { r } = acking(srv, [STREAM_A, STREAM_B]);
    await r.client.connect();
    await until(() => r.client.status === 'live', 'live');
    for (let i = 0; i < 40; i++) publishN(srv, STREAM_A, 1);
    await until(() => checkpointOf(srv!, STREAM_A) === 70 && checkpointOf(srv!, STREAM_B) === 3, 'checkpoints follow');
    const calls = srv.checkpointCalls().filter((c) => c.stream === STREAM_A);
    expect(calls.length).toBeLessThan(40);
    // Each call carries a newer watermark than the one before: never a step back.
    expect(calls.map((c) => c.seq)).toEqual([...calls.map((c) => c.seq)].sort((a, b) => a - b));
    expect(seqsOf(r, STREAM_A)).toEqual(range(1, 70));
    // Every call the server committed is answered and counted once (the last replies may still be on their way).
    await until(() => r.client.getMetrics().checkpointAcks === srv!.checkpointCalls().length, 'every reply counted');
    expect(r.errors).toEqual([]);
  });

  it('a failed ack is reported, retried, and never blocks delivery', async () => {
    srv = await bed.start();
    publishN(srv, STREAM_A, 3);
    srv.faults.reducerFaults({ kind: 'fail', error: 'checkpoint store unavailable' }, { kind: 'fail', error: 'checkpoint store unavailable' });
    const { r, notices } = acking(srv, [STREAM_A]);
    await r.client.connect();
    await until(() => r.client.getWatermark(STREAM_A) === 3, 'delivered while acks fail');
    publishN(srv, STREAM_A, 2);
    await until(() => checkpointOf(srv!, STREAM_A) === 5, 'acked after retries');
    expect(seqsOf(r, STREAM_A)).toEqual(range(1, 5));
    expect(r.errors.map((e) => e.code)).toEqual([ErrorCodes.CHECKPOINT_ACK_FAILED, ErrorCodes.CHECKPOINT_ACK_FAILED]);
    expect(r.errors[0]!.message).toContain('checkpoint store unavailable');
    expect(notices.filter((n) => n.type === 'checkpoint_ack' && n.outcome === 'failed')).toHaveLength(2);
    expect(r.client.status).toBe('live');
  });

  it('a reply is ours only with our request_id AND our exact caller_connection_id: a lossy-equal id is ignored and counted', async () => {
    srv = await bed.start();
    publishN(srv, STREAM_A, 2);
    srv.faults.reducerFaults({ kind: 'drop' }); // the first ack stays pending
    const { r, notices } = acking(srv, [STREAM_A], { timeoutMs: 600 });
    await r.client.connect();
    await until(() => srv!.checkpointCalls().length === 1, 'first ack sent');
    const [pending] = srv.checkpointCalls();
    const [ours] = srv.connectionIds();
    expect(Number(nearTwin(ours!))).toBe(Number(ours)); // the trap: as numbers they are equal
    srv.faults.pushRaw(reducerReply(pending!.requestId, nearTwin(ours!)));
    srv.faults.pushRaw(reducerReply(pending!.requestId + 1000, ours!));
    await until(() => r.client.getMetrics().unmatchedReplies === 2, 'both ignored');
    expect(r.client.getMetrics().checkpointAcks).toBe(0);
    expect(notices.filter((n) => n.type === 'unmatched_reply')).toEqual([
      { type: 'unmatched_reply', kind: 'reducer', id: String(pending!.requestId) },
      { type: 'unmatched_reply', kind: 'reducer', id: String(pending!.requestId + 1000) },
    ]);
    // The real answer never comes: the ack times out and is retried on its own.
    await until(() => checkpointOf(srv!, STREAM_A) === 2, 'retried after the timeout', 5_000);
    expect(r.client.getMetrics().replyTimeouts).toBe(1);
    expect(r.errors.map((e) => e.code)).toEqual([ErrorCodes.CHECKPOINT_ACK_FAILED]);
  });
});
