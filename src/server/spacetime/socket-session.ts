import type { WebSocket } from 'ws';
import { callReducer, type CheckpointTable } from './checkpoint-reducer.js';
import { decodeClientMessage, type ClientMessage } from './client-message.js';
import { arrayRowText, headRow, objectRowText, rowMap, STREAM_HEAD_COLUMN_ORDER, SYNC_EVENT_COLUMN_ORDER, type EventTable, type RowMap } from './event-table.js';
import { initialSubscription, multiApplied, oneOffResponse, singleApplied, subscriptionError, transactionUpdate, transactionUpdateLight, type TableRows } from './server-frames.js';
import { columnsOf, matches, parseQuery, type SqlQuery } from './sql-subset.js';

/** Columns of each table the reference module has. */
export const TABLE_COLUMNS: Readonly<Record<string, readonly string[]>> = { sync_event: SYNC_EVENT_COLUMN_ORDER, stream_head: STREAM_HEAD_COLUMN_ORDER };

/** One committed transaction: rows inserted and deleted, per table. */
export interface TxChanges {
  inserts: Map<string, RowMap[]>;
  deletes: Map<string, RowMap[]>;
}

/** Settings and switches shared by every socket of a server. */
export interface SocketContext {
  table: EventTable;
  /** Send unless stalled; counts frames. */
  send(ws: WebSocket, text: string): void;
  /** Row form of transaction deltas: positional (the real server's) unless a test flips it. */
  deltaRowForm(): 'array' | 'object';
  /** The next subscribe to refuse with `SubscriptionError` (text), if any. */
  takeSubscribeFailure(): string | undefined;
  /** True when the next `OneOffQuery` is to go unanswered (fault switch), consumed per query. */
  takeOneOffDrop(): boolean;
  /** `stream_checkpoint` and the `ack_stream_checkpoint` fault script. */
  checkpoints: CheckpointTable;
  log(line: string): void;
}

type QuerySet = { kind: 'multi' | 'single' | 'legacy'; queries: Array<{ sql: string; query: SqlQuery }> };

const LEGACY_SET = -1;

function currentRows(ctx: SocketContext, table: string): RowMap[] {
  if (table === 'sync_event') return ctx.table.all().flatMap((s) => s.rows().map(rowMap));
  return ctx.table.all().map((s) => headRow(s.stream, s.head, s.updatedAt));
}

/** Validate one query against the module's tables; the error text follows the real server's form. */
function compile(sql: string): { ok: true; query: SqlQuery } | { ok: false; error: string } {
  const parsed = parseQuery(sql);
  if (!parsed.ok) return { ok: false, error: `${parsed.error}, executing: \`${sql}\`` };
  const columns = TABLE_COLUMNS[parsed.query.table];
  if (columns === undefined) return { ok: false, error: `no such table: \`${parsed.query.table}\`, executing: \`${sql}\`` };
  const bad = columnsOf(parsed.query.where).find((c) => !columns.includes(c));
  if (bad !== undefined) return { ok: false, error: `\`${bad}\` is not in scope, executing: \`${sql}\`` };
  return parsed;
}

/**
 * One client socket of the reference Spacetime server: decodes client messages strictly (a bad one
 * closes with 1011), keeps the socket's query sets, answers subscribe/unsubscribe/one-off requests
 * in order and sends each committed transaction's matching rows.
 */
export class SpacetimeSocketSession {
  private readonly sets = new Map<number, QuerySet>();

  constructor(
    private readonly ctx: SocketContext,
    readonly ws: WebSocket,
    readonly connectionId: string,
    private readonly light: boolean,
  ) {}

  /** Handle one inbound text frame. */
  receive(text: string): void {
    const decoded = decodeClientMessage(text);
    if (!decoded.ok) {
      this.ctx.log(`closing 1011: ${decoded.error}`);
      this.ws.close(1011, decoded.error.slice(0, 120));
      return;
    }
    this.handle(decoded.msg);
  }

  private send(text: string): void {
    this.ctx.send(this.ws, text);
  }

  private failed(text: string): void {
    this.send(transactionUpdate([], '0', text));
  }

  private handle(msg: ClientMessage): void {
    switch (msg.type) {
      case 'SubscribeMulti':
      case 'SubscribeSingle':
      case 'Subscribe': {
        const queryId = msg.type === 'Subscribe' ? LEGACY_SET : msg.queryId;
        if (msg.type !== 'Subscribe' && this.sets.has(queryId)) return this.failed(`Subscription with id ${queryId} already exists`);
        const refusal = this.ctx.takeSubscribeFailure();
        const sqls = msg.type === 'SubscribeSingle' ? [msg.query] : msg.queries;
        const compiled = sqls.map((sql) => ({ sql, c: compile(sql) }));
        const bad = compiled.find((q) => !q.c.ok);
        if (refusal !== undefined || bad !== undefined) {
          const error = refusal ?? (bad!.c as { error: string }).error;
          return this.send(subscriptionError(msg.requestId, msg.type === 'Subscribe' ? undefined : msg.queryId, error));
        }
        const set: QuerySet = { kind: msg.type === 'SubscribeMulti' ? 'multi' : msg.type === 'SubscribeSingle' ? 'single' : 'legacy', queries: compiled.map((q) => ({ sql: q.sql, query: (q.c as { query: SqlQuery }).query })) };
        this.sets.set(queryId, set);
        const tables = this.snapshotRows(set, false);
        if (msg.type === 'SubscribeMulti') return this.send(multiApplied(msg.requestId, queryId, tables));
        if (msg.type === 'SubscribeSingle') return this.send(singleApplied(msg.requestId, queryId, tables[0] ?? { table: set.queries[0]!.query.table, updates: [] }));
        return this.send(initialSubscription(msg.requestId, tables));
      }
      case 'Unsubscribe':
      case 'UnsubscribeMulti': {
        const set = this.sets.get(msg.queryId);
        if (set === undefined) return this.failed(`No subscription with id ${msg.queryId}`);
        this.sets.delete(msg.queryId);
        const tables = this.snapshotRows(set, true);
        if (msg.type === 'UnsubscribeMulti') return this.send(multiApplied(msg.requestId, msg.queryId, tables, true));
        return this.send(singleApplied(msg.requestId, msg.queryId, tables[0] ?? { table: set.queries[0]!.query.table, updates: [] }, true));
      }
      case 'OneOffQuery': {
        if (this.ctx.takeOneOffDrop()) return;
        const c = compile(msg.query);
        if (!c.ok) return this.send(oneOffResponse(msg.messageId, c.error, []));
        const order = TABLE_COLUMNS[c.query.table]!;
        const rows = currentRows(this.ctx, c.query.table).filter((r) => matches(c.query.where, r));
        return this.send(oneOffResponse(msg.messageId, undefined, [{ table: c.query.table, rows: rows.map((r) => objectRowText(r, order)) }]));
      }
      case 'CallReducer': {
        const reply = callReducer(this.ctx.checkpoints, msg, this.connectionId);
        return reply === undefined ? undefined : this.send(reply);
      }
      default:
        // The reference module has no procedures.
        return this.send(transactionUpdate([], this.connectionId, `No such procedure \`${msg.name.slice(0, 60)}\``));
    }
  }

  /** Current rows of a set's queries in object form: inserts on subscribe, deletes on unsubscribe. */
  private snapshotRows(set: QuerySet, asDeletes: boolean): TableRows[] {
    const byTable = new Map<string, TableRows>();
    for (const { query } of set.queries) {
      const order = TABLE_COLUMNS[query.table]!;
      const rows = currentRows(this.ctx, query.table)
        .filter((r) => matches(query.where, r))
        .map((r) => objectRowText(r, order));
      if (rows.length === 0) continue;
      let t = byTable.get(query.table);
      if (t === undefined) byTable.set(query.table, (t = { table: query.table, updates: [] }));
      t.updates.push(asDeletes ? { deletes: rows, inserts: [] } : { deletes: [], inserts: rows });
    }
    return [...byTable.values()];
  }

  /** Send the rows of a committed transaction that this socket's queries match (one QueryUpdate per query hit). */
  transaction(tx: TxChanges): void {
    const byTable = new Map<string, TableRows>();
    const form = this.ctx.deltaRowForm();
    for (const set of this.sets.values()) {
      for (const { query } of set.queries) {
        const order = TABLE_COLUMNS[query.table]!;
        const text = (r: RowMap): string => (form === 'array' ? arrayRowText(r, order) : objectRowText(r, order));
        const inserts = (tx.inserts.get(query.table) ?? []).filter((r) => matches(query.where, r)).map(text);
        const deletes = (tx.deletes.get(query.table) ?? []).filter((r) => matches(query.where, r)).map(text);
        if (inserts.length === 0 && deletes.length === 0) continue;
        let t = byTable.get(query.table);
        if (t === undefined) byTable.set(query.table, (t = { table: query.table, updates: [] }));
        t.updates.push({ deletes, inserts });
      }
    }
    if (byTable.size === 0) return;
    const tables = [...byTable.values()];
    this.send(this.light ? transactionUpdateLight(tables) : transactionUpdate(tables, '0'));
  }

  /** Live query set ids (tests). */
  queryIds(): number[] {
    return [...this.sets.keys()].filter((id) => id !== LEGACY_SET);
  }

  /** Drop every set, as the server does after a failed evaluation (`SubscriptionError` without ids). */
  dropAll(): void {
    this.sets.clear();
  }
}
