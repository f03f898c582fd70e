// Server → client frames of the v1 JSON protocol (SPACETIME_PROTOCOL §1.5), written as the real
// server writes them: externally tagged enums, rows as JSON strings, special products for identity,
// connection id (a bare u128 number, so the text is assembled by hand), timestamps and durations.

/** Table ids as a module would number them (the client must prefer `table_name`). */
export const TABLE_IDS: Readonly<Record<string, number>> = { sync_event: 4099, stream_head: 4100 };

/** One table's rows of a `DatabaseUpdate`: one `QueryUpdate` per query that hit the table. */
export interface TableRows {
  table: string;
  updates: Array<{ deletes: string[]; inserts: string[] }>;
}

function tableUpdate(t: TableRows): object {
  const numRows = t.updates.reduce((n, u) => n + u.deletes.length + u.inserts.length, 0);
  return { table_id: TABLE_IDS[t.table] ?? 4200, table_name: t.table, num_rows: numRows, updates: t.updates };
}

/** `DatabaseUpdate` JSON value. */
export function databaseUpdate(tables: TableRows[]): object {
  return { tables: tables.map(tableUpdate) };
}

const some = (v: unknown): object => ({ some: v });
const none = (): object => ({ none: [] });

/** `IdentityToken`; `connectionId` is a decimal u128 written as a bare JSON number. */
export function identityToken(identityHex: string, token: string, connectionId: string): string {
  const head = JSON.stringify({ IdentityToken: { identity: { __identity__: identityHex }, token, connection_id: { __connection_id__: 0 } } });
  return head.replace('"__connection_id__":0', `"__connection_id__":${connectionId}`);
}

/** `SubscribeMultiApplied` (or `UnsubscribeMultiApplied` with `unsubscribe`). */
export function multiApplied(requestId: number, queryId: number, tables: TableRows[], unsubscribe = false): string {
  const tag = unsubscribe ? 'UnsubscribeMultiApplied' : 'SubscribeMultiApplied';
  return JSON.stringify({ [tag]: { request_id: requestId, total_host_execution_duration_micros: 42, query_id: { id: queryId }, update: databaseUpdate(tables) } });
}

/** `SubscribeApplied` (or `UnsubscribeApplied`): one table under `rows`. */
export function singleApplied(requestId: number, queryId: number, t: TableRows, unsubscribe = false): string {
  const tag = unsubscribe ? 'UnsubscribeApplied' : 'SubscribeApplied';
  return JSON.stringify({ [tag]: { request_id: requestId, total_host_execution_duration_micros: 42, query_id: { id: queryId }, rows: { table_id: TABLE_IDS[t.table] ?? 4200, table_name: t.table, table_rows: tableUpdate(t) } } });
}

/** `InitialSubscription` (reply to the legacy `Subscribe`). */
export function initialSubscription(requestId: number, tables: TableRows[]): string {
  return JSON.stringify({ InitialSubscription: { database_update: databaseUpdate(tables), request_id: requestId, total_host_execution_duration: { __time_duration_micros__: 42 } } });
}

/** `SubscriptionError`; both ids absent means "from evaluating a transaction" (§1.6). */
export function subscriptionError(requestId: number | undefined, queryId: number | undefined, error: string): string {
  return JSON.stringify({
    SubscriptionError: {
      total_host_execution_duration_micros: 7,
      request_id: requestId === undefined ? none() : some(requestId),
      query_id: queryId === undefined ? none() : some(queryId),
      table_id: none(),
      error,
    },
  });
}

/** Identity of the (absent) reducer caller for published events. */
const PUBLISHER_IDENTITY = '0xc2003d59';

/** The `reducer_call` of a `TransactionUpdate`: which reducer ran, with what args, for which request. */
export interface ReducerCallInfo {
  name: string;
  id: number;
  /** The args as the caller sent them: a string holding a JSON array (§1.3 rule 8). */
  args: string;
  /** The caller's `request_id`; non-callers see it too (§1.6 "request_id leaks"). */
  requestId: number;
}

/** The publisher's `append_sync_event` call, as HTTP callers have it (request id 0). */
const APPEND_CALL: ReducerCallInfo = { name: 'append_sync_event', id: 6, args: '[]', requestId: 0 };
/** A request that failed outside the compiler: no reducer, id u32::MAX, request id 0 (§1.6). */
const NO_CALL: ReducerCallInfo = { name: '', id: 4294967295, args: '[]', requestId: 0 };

/**
 * `TransactionUpdate` with a `Committed` status (`failed` text → a `Failed` status, empty tables,
 * reducer `""` and id u32::MAX, as the server answers a request that failed outside the compiler).
 * `call` overrides the reducer metadata (a reducer the caller invoked over the socket).
 */
export function transactionUpdate(tables: TableRows[], callerConnectionId: string, failed?: string, call?: ReducerCallInfo): string {
  const status = failed === undefined ? { Committed: databaseUpdate(tables) } : { Failed: failed };
  const c = call ?? (failed === undefined ? APPEND_CALL : NO_CALL);
  const body = {
    TransactionUpdate: {
      status,
      timestamp: { __timestamp_micros_since_unix_epoch__: Date.now() * 1000 },
      caller_identity: { __identity__: PUBLISHER_IDENTITY },
      caller_connection_id: { __connection_id__: 0 },
      reducer_call: { reducer_name: c.name, reducer_id: c.id, args: c.args, request_id: c.requestId },
      // A request that failed before any reducer ran (request id 0) used no energy.
      energy_quanta_used: { quanta: failed === undefined || c.requestId !== 0 ? 2412000 : 0 },
      total_host_execution_duration: { __time_duration_micros__: 318 },
    },
  };
  return JSON.stringify(body).replace('"__connection_id__":0', `"__connection_id__":${callerConnectionId}`);
}

/** `TransactionUpdateLight` (non-callers with `light=true`). */
export function transactionUpdateLight(tables: TableRows[]): string {
  return JSON.stringify({ TransactionUpdateLight: { request_id: 0, update: databaseUpdate(tables) } });
}

/** `OneOffQueryResponse`. */
export function oneOffResponse(messageId: string, error: string | undefined, tables: Array<{ table: string; rows: string[] }>): string {
  return JSON.stringify({
    OneOffQueryResponse: {
      message_id: messageId,
      error: error === undefined ? none() : some(error),
      tables: tables.map((t) => ({ table_name: t.table, rows: t.rows })),
      total_host_execution_duration: { __time_duration_micros__: 11 },
    },
  });
}
