import { ErrorCodes } from '../../errors/codes.js';
import type { JsonObject } from '../../util/json.js';
import type { LaneSink } from '../lane.js';
import { validateShape } from '../validate.js';
import { heartbeatReply, joinOk, phxReply, subscribeOk, unsubscribeOk } from './checks.js';
import type { Check, Checked } from '../../util/shape.js';
import type { KhalaSyncError } from '../../errors/khala-sync-error.js';
import { normalizeServerError, wireEnum } from './error-normalize.js';
import { watermarkMap } from './watermark-map.js';

/** An outstanding request of a Khala session, looked up by the `ref` its `phx_reply` will carry. */
export type PendingRequest =
  | { kind: 'join' }
  | { kind: 'subscribe'; requestId: number; topics: string[] }
  | { kind: 'unsubscribe'; topics: string[] }
  | { kind: 'heartbeat' };

// The event each request is sent as, and the check of its ok response (§2.1-2.4).
const REQUESTS = {
  join: ['phx_join', joinOk],
  subscribe: ['sync:subscribe', subscribeOk],
  unsubscribe: ['sync:unsubscribe', unsubscribeOk],
  heartbeat: ['sync:heartbeat', heartbeatReply],
} as const;

/**
 * Tell `sink` what the `phx_reply` payload answering `request` means: the join's `ready` or
 * `joinFailed`, a subscribe's `subscribed` or `subscribeFailed`, a heartbeat's watermarks. The
 * session has already matched the reply to its request by `ref` and forgotten the request.
 */
export function deliverReply(sink: LaneSink, request: PendingRequest, payload: JsonObject): void {
  const [event, okCheck] = REQUESTS[request.kind];
  const context = `phx_reply to ${event}`;
  // Phoenix sends "ok"/"error"; an upper-case status is the same word, like every enum-like value.
  const status = payload['status'];
  const reply = validateShape(phxReply, typeof status === 'string' ? { ...payload, status: wireEnum(status) } : payload, context);
  if (!reply.ok) return unreadable(sink, request, reply.error);
  const { response } = reply.value;
  if (reply.value.status === 'error') {
    const error = normalizeServerError(response, `${context} response`);
    if (!error.ok) return unreadable(sink, request, error.error);
    if (request.kind === 'join') return sink.joinFailed(error.value);
    if (request.kind === 'subscribe') return sink.subscribeFailed(request.requestId, request.topics, error.value);
    // No dedicated sink call exists for a refused unsubscribe/heartbeat (bad_subscription,
    // unmatched topic after the channel died); report the server's word rather than lose it.
    return sink.serverError(error.value);
  }
  const ok = validateShape(okCheck as Check<OkResponse>, response, `${context} response`);
  if (!ok.ok) return unreadable(sink, request, ok.error);
  const v = ok.value;
  if (request.kind === 'join') sink.ready({ allowedTopics: v.allowed_topics ?? undefined });
  else if (request.kind === 'subscribe') sink.subscribed(request.requestId, request.topics, watermarkMap(v.current_watermarks!));
  else if (request.kind === 'heartbeat') sink.heartbeat(watermarkMap(v.watermarks!));
}

// Every ok response check's output, read as one shape (each request reads its own fields).
type OkResponse = Partial<Checked<typeof joinOk> & Checked<typeof heartbeatReply>>;

// A reply that cannot be read is reported, and the request it answered is lost: nothing will answer
// it again, so the core must hear (else a join waits out joinTimeoutMs and a subscribe's topics wait
// forever for a reply that already came), with the code already reported (`invalid_payload`).
function unreadable(sink: LaneSink, request: PendingRequest, error: KhalaSyncError): void {
  sink.protocolError(error);
  const lost = normalizeServerError({ code: ErrorCodes.INVALID_PAYLOAD }, '');
  if (!lost.ok) return;
  if (request.kind === 'subscribe') sink.subscribeFailed(request.requestId, request.topics, lost.value);
  else if (request.kind === 'join') sink.joinFailed(lost.value);
}
