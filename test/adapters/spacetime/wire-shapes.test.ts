import { describe, expect, it } from 'vitest';
import { identityToken, multiApplied as serverMultiApplied, subscriptionError, transactionUpdate } from '../../../src/server/spacetime/server-frames.js';
import { readFixture } from '../../fixtures.js';
import { multiApplied, objRow, arrRow, table, txUpdate } from './session-harness.js';

// No frame captured from a running SpacetimeDB is vendored (test/fixtures/README.md, "Spacetime
// frames"). The lane's tests run on frames built in code in the SpacetimeDB v1 JSON shapes of
// docs/protocol/spacetime.md §1.3–§1.5, by two writers: the reference server (server-frames.ts)
// and the session tests' builders (session-harness.ts). This file pins both to the documented
// field sets, so a test that claims wire fidelity cannot drift to a shape of our own.

/** §1.5: the fields of each server message the lane reads, exactly. */
const FIELDS = {
  IdentityToken: ['connection_id', 'identity', 'token'],
  SubscribeMultiApplied: ['query_id', 'request_id', 'total_host_execution_duration_micros', 'update'],
  SubscriptionError: ['error', 'query_id', 'request_id', 'table_id', 'total_host_execution_duration_micros'],
  TransactionUpdate: ['caller_connection_id', 'caller_identity', 'energy_quanta_used', 'reducer_call', 'status', 'timestamp', 'total_host_execution_duration'],
} as const;
const TABLE_UPDATE = ['num_rows', 'table_id', 'table_name', 'updates'];

/** The one tag of an externally tagged message (§1.3 rule 1) and its sorted field names. */
function shape(text: string): { tag: string; fields: string[]; body: Record<string, unknown> } {
  const msg = JSON.parse(text) as Record<string, Record<string, unknown>>;
  const tags = Object.keys(msg);
  expect(tags).toHaveLength(1);
  const body = msg[tags[0]!]!;
  return { tag: tags[0]!, fields: Object.keys(body).sort(), body };
}

function tables(update: unknown): Array<Record<string, unknown>> {
  return (update as { tables: Array<Record<string, unknown>> }).tables;
}

describe('Spacetime wire shapes: both frame writers follow docs/protocol/spacetime.md §1.5', () => {
  const rows = { table: 'sync_event', updates: [{ deletes: [], inserts: [objRow('s', 1)] }] };

  it('IdentityToken: identity and connection_id special products; the u128 connection id is a bare number above 2^53', () => {
    const text = identityToken('0xc2003d59aa', 'tok', '215482719061187203577396146612849307742');
    expect(shape(text).fields).toEqual(FIELDS.IdentityToken);
    expect(text).toContain('"connection_id":{"__connection_id__":215482719061187203577396146612849307742}');
    expect(shape(text).body['identity']).toEqual({ __identity__: '0xc2003d59aa' });
  });

  it('SubscribeMultiApplied: same fields from the server and the test builders; TableUpdate/QueryUpdate with rows as JSON strings', () => {
    for (const text of [serverMultiApplied(3, 8, [rows]), JSON.stringify(multiApplied(3, 8, [table('sync_event', [objRow('s', 1)])]))]) {
      const { tag, fields, body } = shape(text);
      expect([tag, fields]).toEqual(['SubscribeMultiApplied', FIELDS.SubscribeMultiApplied]);
      expect(body['query_id']).toEqual({ id: 8 });
      const t = tables(body['update'])[0]!;
      expect(Object.keys(t).sort()).toEqual(TABLE_UPDATE);
      const q = (t['updates'] as Array<Record<string, unknown>>)[0]!;
      expect(Object.keys(q).sort()).toEqual(['deletes', 'inserts']);
      expect(typeof (q['inserts'] as unknown[])[0]).toBe('string'); // §1.3 rule 7: rows are strings
    }
  });

  it('TransactionUpdate: same fields from both writers; status is an externally tagged Committed; delta rows positional', () => {
    const server = transactionUpdate([{ table: 'sync_event', updates: [{ deletes: [], inserts: [arrRow('s', 2)] }] }], '7');
    for (const text of [server, JSON.stringify(txUpdate([table('sync_event', [arrRow('s', 2)])]))]) {
      const { tag, fields, body } = shape(text);
      expect([tag, fields]).toEqual(['TransactionUpdate', FIELDS.TransactionUpdate]);
      const status = body['status'] as Record<string, unknown>;
      expect(Object.keys(status)).toEqual(['Committed']);
      const row = JSON.parse(((tables(status['Committed'])[0]!['updates'] as Array<{ inserts: string[] }>)[0]!.inserts[0])!) as unknown;
      expect(Array.isArray(row)).toBe(true);
      expect(Object.keys(body['timestamp'] as object)).toEqual(['__timestamp_micros_since_unix_epoch__']);
      expect(Object.keys(body['total_host_execution_duration'] as object)).toEqual(['__time_duration_micros__']);
    }
  });

  it('SubscriptionError: Options as {"some": v} / {"none": []} (§1.3 rule 4)', () => {
    const { fields, body } = shape(subscriptionError(3, undefined, 'no such table'));
    expect(fields).toEqual(FIELDS.SubscriptionError);
    expect(body['request_id']).toEqual({ some: 3 });
    expect(body['query_id']).toEqual({ none: [] });
  });

  it('the vendored spacetime-era golden frames are our own SyncFrame envelope: no frame is a tagged ServerMessage', () => {
    const golden = readFixture<{ frames: Array<{ frame: Record<string, unknown> }> }>('spacetime-era/spacetime-ws-golden.json');
    for (const { frame } of golden.frames) {
      expect(Object.keys(frame).sort()).toEqual(['kind', 'payload_bytes', 'schema_version', 'seq', 'topic']);
      expect(Object.keys(frame).some((k) => k in FIELDS)).toBe(false);
    }
  });
});
