import { ErrorCodes } from '../errors/codes.js';
import { payloadHashBase64 } from '../hash/payload-hash.js';
import { SnapshotError } from '../errors/snapshot-error.js';
import { isJsonObject } from '../util/json.js';
import { getJson, sharedToken, type HttpRetryOptions } from './http-fetch.js';
import type { Hydrator, SnapshotPage, SnapshotRequest, SnapshotSource } from './snapshot-source.js';
import { snapshotDoc, snapshotPage } from './snapshot-checks.js';
import { runCheck } from '../util/shape.js';
import { checkHttpOptions, HTTP_DEFAULTS } from '../http/http-options.js';

/** Options of {@link httpSnapshotSource}. */
export interface HttpSnapshotOptions extends HttpRetryOptions {
  /** Base URL; pages are read from `{baseUrl}/{urlencoded topic}`. Required. */
  baseUrl: string;
  /** Page size asked for. Default 500. */
  pageSize?: number;
  /** Restarts allowed when the snapshot generation moves mid-pagination. Default 3. */
  maxRestarts?: number;
  /**
   * Most pages one generation may have. A snapshot with more pages, or one that repeats a
   * `next_page_token`, fails with `bad_snapshot` (the topic fails) before that page is asked for,
   * instead of paging forever. Default 10 000 (5 million documents at the page size of 500).
   */
  maxPages?: number;
}

function joinUrl(base: string, ...parts: string[]): string {
  return `${base.replace(/\/+$/, '')}/${parts.map(encodeURIComponent).join('/')}`;
}

/**
 * The HTTP snapshot source (SDK_CONTRACTS §1), for the client's `snapshot` option: paginated GETs
 * pinned to one generation. Its options are checked when it is made (see `checkHttpOptions`). Each
 * page is yielded as soon as it is valid, so the caller holds one page at a time (plus the next
 * one, already requested). A page whose head differs from the first page's, or a 410, restarts
 * from the first page; the restarted generation's pages name its new head, which tells the caller
 * to drop what it had (readSnapshot's `restart`). One token serves every page of a read: a new one
 * is minted only after a 401.
 */
export function httpSnapshotSource(options: HttpSnapshotOptions): SnapshotSource {
  checkHttpOptions('httpSnapshotSource', 'baseUrl', options, 'snapshot URL');
  return async function* snapshot(topic, request): AsyncIterable<SnapshotPage> {
    const maxRestarts = options.maxRestarts ?? HTTP_DEFAULTS.maxRestarts;
    // One token for every page of this read: a fresh one only after a 401.
    const token = sharedToken(request.token);
    const pageUrl = (pageToken: string | null | undefined): string => {
      const url = new URL(joinUrl(options.baseUrl, topic));
      url.searchParams.set('limit', String(options.pageSize ?? HTTP_DEFAULTS.pageSize));
      if (pageToken) url.searchParams.set('page_token', pageToken);
      return url.toString();
    };
    for (let restart = 0; restart <= maxRestarts; restart++) {
      let head: number | undefined;
      /** Pages of this generation handed out so far. */
      let pages = 0;
      const ahead = new PageAhead(request.signal);
      const guard = new PaginationGuard(topic, options.maxPages ?? HTTP_DEFAULTS.maxPages);
      let pageToken: string | null | undefined;
      let moved = false;
      try {
        let response = getJson(pageUrl(undefined), token, ahead.signal, options, topic);
        do {
          const { status, body } = await response;
          if (status === 410) {
            moved = true;
            break;
          }
          // Ask for the next page before validating this one: the server builds it meanwhile (the
          // request sequence is the same; a page that turns out bad or moved cancels it).
          const next = isJsonObject(body) ? body['next_page_token'] : undefined;
          if (typeof next === 'string' && next !== '') {
            guard.check(next, pages + 1);
            response = ahead.track(getJson(pageUrl(next), token, ahead.signal, options, topic));
          }
          const page = runCheck(snapshotPage, body);
          if (!page.ok || page.value.topic !== topic) {
            throw new SnapshotError(ErrorCodes.BAD_SNAPSHOT, `snapshot page for ${topic} is not a valid openagents.sync.snapshot.v1 page`, { topic });
          }
          if (head !== undefined && page.value.head_watermark !== head) {
            moved = true;
            break;
          }
          head = page.value.head_watermark;
          pages++;
          pageToken = page.value.next_page_token;
          const arrived: SnapshotPage = {
            topic,
            headWatermark: page.value.head_watermark,
            docs: page.value.docs.map((d) => ({ docKey: d.doc_key, docVersion: d.doc_version, payload: d.payload, payloadHash: d.payload_hash ?? null })),
          };
          try {
            request.onPage?.(arrived);
          } catch {
            /* a hint only: the page is handled when yielded */
          }
          yield arrived;
        } while (pageToken);
      } finally {
        ahead.cancel();
      }
      if (!moved) return;
    }
    throw new SnapshotError(ErrorCodes.SNAPSHOT_FAILED, `snapshot generation of ${topic} kept moving (${maxRestarts} restarts)`, { topic, retryable: true });
  };
}

/**
 * Stops a server that pages forever: a `next_page_token` seen before in this generation's read
 * (a loop, however long its cycle) or a page count past the limit is `bad_snapshot`. Checked before
 * the next page is asked for, so a looping server costs at most `maxPages` requests. Tokens are
 * remembered as SHA-256 digests: up to `maxPages` (10 000) of them, each as long as a server likes.
 */
export class PaginationGuard {
  private readonly seen = new Set<string>();

  readonly #topic: string;
  readonly #maxPages: number;

  constructor(
    topic: string,
    maxPages: number,
  ) {
    this.#topic = topic;
    this.#maxPages = maxPages;
  }

  /** `next` is the token page number `page` (1-based) names. */
  check(next: string, page: number): void {
    const key = payloadHashBase64(next);
    if (this.seen.has(key)) throw this.#bad(`snapshot of ${this.#topic} repeats a next_page_token (page ${page})`);
    if (page >= this.#maxPages) throw this.#bad(`snapshot of ${this.#topic} has more than ${this.#maxPages} pages`);
    this.seen.add(key);
  }

  #bad(message: string): SnapshotError {
    return new SnapshotError(ErrorCodes.BAD_SNAPSHOT, message, { topic: this.#topic, details: { maxPages: this.#maxPages } });
  }
}

/**
 * The request for the next page, sent before the current one is validated: its own abort signal
 * (following the client's), so an early exit cancels it, and its failure is only reported if it
 * is awaited.
 */
class PageAhead {
  readonly #controller = new AbortController();
  readonly #unlink: () => void;

  constructor(parent: AbortSignal) {
    const onAbort = (): void => this.#controller.abort(parent.reason);
    if (parent.aborted) onAbort();
    else parent.addEventListener('abort', onAbort, { once: true });
    this.#unlink = () => parent.removeEventListener('abort', onAbort);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  track<T>(request: Promise<T>): Promise<T> {
    request.catch(() => undefined); // awaited later, or dropped by cancel()
    return request;
  }

  cancel(): void {
    this.#unlink();
    this.#controller.abort(new SnapshotError(ErrorCodes.SNAPSHOT_FAILED, 'snapshot read ended', { retryable: true }));
  }
}

/** Options of {@link httpHydrator}. */
export interface HttpHydratorOptions extends HttpRetryOptions {
  /** Base URL; documents are read from `{baseUrl}/{topic}/{docKey}`. Required. */
  baseUrl: string;
}

/**
 * The HTTP hydrator (SDK_CONTRACTS §2), for the client's `hydrator` option. Its options are checked
 * when it is made. Hydrations in flight at the same time share one token (a new one after a 401).
 */
export function httpHydrator(options: HttpHydratorOptions): Hydrator {
  checkHttpOptions('httpHydrator', 'baseUrl', options, 'hydration URL');
  // Hydrations in flight at once share a token (keyed by the client's token getter, so two clients
  // sharing this hydrator never send each other's); it is forgotten when the last one ends.
  const shares = new Map<SnapshotRequest['token'], { users: number; token: (fresh: boolean) => Promise<string> }>();
  return async (topic, docKey, request) => {
    const share = shares.get(request.token) ?? { users: 0, token: sharedToken(request.token) };
    shares.set(request.token, share);
    share.users++;
    const { body } = await getJson(joinUrl(options.baseUrl, topic, docKey), share.token, request.signal, options, topic).finally(() => {
      if (--share.users === 0) shares.delete(request.token);
    });
    const doc = runCheck(snapshotDoc, body);
    if (!doc.ok || doc.value.doc_key !== docKey) {
      throw new SnapshotError(ErrorCodes.HYDRATION_FAILED, `hydration response for ${docKey} has the wrong shape`, { topic });
    }
    return { docKey, docVersion: doc.value.doc_version, payload: doc.value.payload, payloadHash: doc.value.payload_hash ?? null };
  };
}
