import { ErrorCodes } from '../../errors/codes.js';
import type { ProtocolError } from '../../errors/protocol-error.js';
import type { JsonObject } from '../../util/json.js';
import type { LaneSink } from '../lane.js';
import { validateShape } from '../validate.js';
import { heartbeatReply, joinOk, phxReply, subscribeOk, unsubscribeOk } from './checks.js';
import { normalizeServerError, wireEnum } from './error-normalize.js';
import { watermarkMap } from './watermark-map.js';

/** An outstanding request of a Khala session, looked up by the `ref` its `phx_reply` will carry. */
export type PendingRequest =
  | { kind: 'join' }
  | { kind: 'subscribe'; requestId: number; topics: string[] }
  | { kind: 'unsubscribe'; topics: string[] }
  | { kind: 'heartbeat' };

const REQUEST_EVENT: Record<PendingRequest['kind'], string> = {
  join: 'phx_join',
  subscribe: 'sync:subscribe',
  unsubscribe: 'sync:unsubscribe',
  heartbeat: 'sync:heartbeat',
};

/**
 * Tell `sink` what the `phx_reply` payload answering `request` means: the join's `ready` or
 * `joinFailed`, a subscribe's `subscribed` or `subscribeFailed`, a heartbeat's watermarks. The
 * session has already matched the reply to its request by `ref` and forgotten the request.
 */
export function deliverReply(sink: LaneSink, request: PendingRequest, payload: JsonObject): void {
  const context = `phx_reply to ${REQUEST_EVENT[request.kind]}`;
  // Phoenix sends "ok"/"error"; an upper-case status is the same word, like every enum-like value.
  const status = payload['status'];
  const reply = validateShape(phxReply, typeof status === 'string' ? { ...payload, status: wireEnum(status) } : payload, context);
  if (!reply.ok) return unreadable(sink, request, reply.error);
  const { response } = reply.value;

  if (reply.value.status === 'error') {
    const error = normalizeServerError(response, `${context} response`);
    if (!error.ok) return unreadable(sink, request, error.error);
    switch (request.kind) {
      case 'join':
        return sink.joinFailed(error.value);
      case 'subscribe':
        return sink.subscribeFailed(request.requestId, request.topics, error.value);
      default:
        // No dedicated sink call exists for a refused unsubscribe/heartbeat (bad_subscription,
        // unmatched topic after the channel died); report the server's word rather than lose it.
        return sink.serverError(error.value);
    }
  }

  switch (request.kind) {
    case 'join': {
      const ok = validateShape(joinOk, response, `${context} response`);
      if (!ok.ok) return unreadable(sink, request, ok.error);
      return sink.ready({ allowedTopics: ok.value.allowed_topics ?? undefined });
    }
    case 'subscribe': {
      const ok = validateShape(subscribeOk, response, `${context} response`);
      if (!ok.ok) return unreadable(sink, request, ok.error);
      return sink.subscribed(request.requestId, request.topics, watermarkMap(ok.value.current_watermarks));
    }
    case 'unsubscribe': {
      const ok = validateShape(unsubscribeOk, response, `${context} response`);
      if (!ok.ok) sink.protocolError(ok.error);
      return;
    }
    case 'heartbeat': {
      const ok = validateShape(heartbeatReply, response, `${context} response`);
      return ok.ok ? sink.heartbeat(watermarkMap(ok.value.watermarks)) : sink.protocolError(ok.error);
    }
  }
}

// A reply that cannot be read is reported, and the request it answered is lost: nothing will answer
// it again, so the core must hear (else a join waits out joinTimeoutMs and a subscribe's topics wait
// forever for a reply that already came), with the code already reported (`invalid_payload`).
function unreadable(sink: LaneSink, request: PendingRequest, error: ProtocolError): void {
  sink.protocolError(error);
  const lost = normalizeServerError({ code: ErrorCodes.INVALID_PAYLOAD }, '');
  if (!lost.ok) return;
  if (request.kind === 'subscribe') sink.subscribeFailed(request.requestId, request.topics, lost.value);
  else if (request.kind === 'join') sink.joinFailed(lost.value);
}
