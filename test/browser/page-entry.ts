// The page side of test/browser/chromium.test.ts. Bundled for the browser with esbuild; imports
// only the two browser entry points, so the bundle proves what an app bundler would pull in.
import { SyncClient } from '../../src/index.js';
import { createIndexedDbStore } from '../../src/indexeddb.js';
import { httpSnapshotSource, tokenEndpoint } from '../../src/http.js';

/** What the page saw, in order. Read from Node with `page.evaluate(() => window.khala!.record)`. */
export interface PageRecord {
  /** Watermarks of every `updates` event, across every client of this page load. */
  applied: number[];
  /** `caught_up` / `stale` / `bootstrap`, as they happened. */
  events: string[];
  /** Codes of `error` events. */
  errors: string[];
}

/** How the page builds a client. */
export interface PageClientOptions {
  url: string;
  /** A token minted in Node, or the mint endpoint (a cross-origin POST from the page). */
  token: string | { url: string };
  snapshotUrl: string;
  dbName: string;
  topic: string;
}

/** A document as compared with `server.documents(topic)`. */
export interface PageDocument {
  docKey: string;
  docVersion: number;
  payload: unknown;
}

/** The client's state as plain data. */
export interface PageView {
  status: string;
  watermark: number | undefined;
  documents: PageDocument[];
}

/** Installed as `window.khala` once the module has run. */
export interface PageHarness {
  record: PageRecord;
  /** New client on the IndexedDB store `dbName`; resolves with the cursor loaded from it. */
  open(options: PageClientOptions): Promise<number | undefined>;
  connect(): Promise<void>;
  view(topic: string): PageView;
  close(): Promise<void>;
  /** What a fresh IndexedDB store of `dbName` holds for `topic` (the client's own store is closed first). */
  stored(dbName: string, topic: string): Promise<{ watermark: number | undefined; documents: PageDocument[] }>;
  /** A bearer GET from the page; resolves with the status, or `'blocked: …'` when fetch rejects (CORS). */
  tryFetch(url: string, token: string): Promise<string>;
}

declare global {
  interface Window {
    khala?: PageHarness;
  }
}

const plain = (docs: readonly { docKey: string; docVersion: number; payload?: unknown }[]): PageDocument[] =>
  docs
    .map((d) => ({ docKey: d.docKey, docVersion: d.docVersion, payload: d.payload ?? null }))
    .sort((a, b) => (a.docKey < b.docKey ? -1 : a.docKey > b.docKey ? 1 : 0));

let client: SyncClient | undefined;
const record: PageRecord = { applied: [], events: [], errors: [] };

const harness: PageHarness = {
  record,
  async open(options) {
    const c = new SyncClient({
      url: options.url,
      token: typeof options.token === 'string' ? options.token : tokenEndpoint(options.token),
      topics: [options.topic],
      store: createIndexedDbStore({ dbName: options.dbName }),
      snapshot: httpSnapshotSource({ baseUrl: options.snapshotUrl }),
      reconnectDelay: () => 50,
    });
    c.on('updates', (batch) => record.applied.push(...batch.updates.map((u) => u.watermark)));
    c.on('caught_up', () => record.events.push('caught_up'));
    c.on('stale', () => record.events.push('stale'));
    c.on('bootstrap', () => record.events.push('bootstrap'));
    c.on('error', (e) => record.errors.push(e.code));
    client = c;
    await c.subscribe([]); // waits for the stored cursor to load
    return c.getWatermark(options.topic);
  },
  async connect() {
    await client?.connect();
  },
  view(topic) {
    return { status: client?.status ?? 'none', watermark: client?.getWatermark(topic), documents: plain(client?.listDocuments(topic) ?? []) };
  },
  async close() {
    await client?.close();
    client = undefined;
  },
  async stored(dbName, topic) {
    const store = createIndexedDbStore({ dbName });
    try {
      const contents = await store.load([topic]);
      return { watermark: contents.watermarks[topic], documents: plain(contents.documents) };
    } finally {
      await store.close();
    }
  },
  async tryFetch(url, token) {
    try {
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      return String(res.status);
    } catch (err) {
      return `blocked: ${err instanceof Error ? err.message : String(err)}`;
    }
  },
};

window.khala = harness;
