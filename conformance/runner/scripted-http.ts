import type { HttpResponse, Json } from './vector.js';

type Answer = Exclude<HttpResponse, { deferred: true }>;

export const SNAPSHOT_BASE = 'https://snapshot.conformance.invalid/snapshots';
export const HYDRATE_BASE = 'https://hydrate.conformance.invalid/documents';

/** Answers requests from per-key scripts; a key with nothing left gets `fallback` (default 404). Deferred answers wait for the script. */
export class ScriptedHttp {
  readonly requests = new Map<string, number>();
  private readonly waiting = new Map<string, Array<(a: Answer) => void>>();

  constructor(
    private readonly scripts: Map<string, HttpResponse[]>,
    private readonly fallback: Answer = { status: 404, body: { code: 'not_found' } },
  ) {}

  /** Resolve the oldest deferred request of `key`; false when none is waiting. */
  answer(key: string, response: Answer): boolean {
    const queue = this.waiting.get(key);
    const next = queue?.shift();
    if (next === undefined) return false;
    next(response);
    return true;
  }

  /** A `fetch` whose key is derived from the URL by `keyOf`. Bodies are served without real streams, so everything settles on microtasks. */
  fetchFor(keyOf: (url: URL) => string): typeof fetch {
    return (async (input: string | URL | Request) => {
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      const key = keyOf(url);
      this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
      const script = this.scripts.get(key);
      const next = script?.shift() ?? this.fallback;
      const answer: Answer =
        'deferred' in next
          ? await new Promise<Answer>((resolve) => {
              const queue = this.waiting.get(key) ?? [];
              queue.push(resolve);
              this.waiting.set(key, queue);
            })
          : next;
      return fakeResponse(answer);
    }) as typeof fetch;
  }
}

function fakeResponse(a: Answer): Response {
  const headers = new Map(Object.entries(a.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const text = a.body === undefined ? '' : JSON.stringify(a.body as Json);
  const res = {
    status: a.status,
    ok: a.status >= 200 && a.status < 300,
    headers: { get: (name: string) => headers.get(name.toLowerCase()) ?? null },
    body: { cancel: async () => undefined },
    text: async () => text,
    json: async () => JSON.parse(text) as unknown,
  };
  return res as unknown as Response;
}

/** `{base}/{topic}` → topic. */
export function snapshotKey(url: URL): string {
  return decodeURIComponent(url.pathname.split('/').pop() ?? '');
}

/** `{base}/{topic}/{doc_key}` → `topic\u0000doc_key`. */
export function hydrateKey(url: URL): string {
  const parts = url.pathname.split('/');
  return `${decodeURIComponent(parts[parts.length - 2] ?? '')}\u0000${decodeURIComponent(parts[parts.length - 1] ?? '')}`;
}
