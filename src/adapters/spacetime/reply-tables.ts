import type { ProtocolError } from '../../errors/protocol-error.js';
import type { JsonValue } from '../../util/json.js';
import { validatePayload } from '../validate.js';
import { InitialSubscriptionSchema, MultiAppliedSchema, SingleAppliedSchema, type WireTableUpdate } from './schemas.js';

/** The reply tags that carry a query set's rows (§1.5), subscribe and unsubscribe alike. */
export type ReplyTag = 'SubscribeMultiApplied' | 'SubscribeApplied' | 'InitialSubscription' | 'UnsubscribeMultiApplied' | 'UnsubscribeApplied';

/**
 * Validate a reply and return its `request_id` and table updates, whatever its shape: `update.tables`
 * (multi), one `rows.table_rows` (single) or `database_update.tables` (legacy `Subscribe`).
 */
export function replyTables(tag: ReplyTag, body: JsonValue): { ok: true; requestId: number; tables: WireTableUpdate[] } | { ok: false; error: ProtocolError } {
  switch (tag) {
    case 'SubscribeMultiApplied':
    case 'UnsubscribeMultiApplied': {
      const v = validatePayload(MultiAppliedSchema, body, tag);
      return v.ok ? { ok: true, requestId: v.value.request_id, tables: v.value.update.tables } : v;
    }
    case 'SubscribeApplied':
    case 'UnsubscribeApplied': {
      const v = validatePayload(SingleAppliedSchema, body, tag);
      return v.ok ? { ok: true, requestId: v.value.request_id, tables: [v.value.rows.table_rows] } : v;
    }
    case 'InitialSubscription': {
      const v = validatePayload(InitialSubscriptionSchema, body, tag);
      return v.ok ? { ok: true, requestId: v.value.request_id, tables: v.value.database_update.tables } : v;
    }
  }
}
