// The page side of test/browser/react-chromium.test.ts: khala-sync/react hooks rendered by
// react-dom in Chromium, counting renders per component.
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { SyncClient } from '../../src/index.js';
import { useDocument, useDocuments, useSyncStatus } from '../../src/react.js';
import { tokenEndpoint } from '../../src/http.js';

/** Render counts and what each component last rendered. */
export interface ReactPageState {
  renders: { list: number; doc: number; status: number };
  status: string;
  watermarks: Record<string, number | undefined>;
  listKeys: string[];
  docText: string | undefined;
  /** Text content of the rendered tree. */
  dom: string;
}

declare global {
  interface Window {
    khalaReact?: { start(url: string, tokenUrl: string, topics: readonly string[]): Promise<void>; state(): ReactPageState; close(): Promise<void> };
  }
}

const renders = { list: 0, doc: 0, status: 0 };
let client: SyncClient<{ 'runtime.run_summaries': { i: number; text: string } }> | undefined;
const last: Omit<ReactPageState, 'renders' | 'dom'> = { status: '', watermarks: {}, listKeys: [], docText: undefined };

function List({ c }: { c: NonNullable<typeof client> }) {
  renders.list++;
  const docs = useDocuments(c, 'runtime.run_summaries');
  last.listKeys = docs.map((d) => d.docKey).sort();
  return createElement('ul', null, ...docs.map((d) => createElement('li', { key: d.docKey }, `${d.docKey}=${d.payload?.i}`)));
}

function Doc({ c }: { c: NonNullable<typeof client> }) {
  renders.doc++;
  const doc = useDocument(c, 'runtime.run_summaries', 'doc:1');
  last.docText = doc?.payload?.text;
  return createElement('p', null, doc?.payload?.text ?? '-');
}

function Status({ c }: { c: NonNullable<typeof client> }) {
  renders.status++;
  const view = useSyncStatus(c);
  last.status = view.status;
  last.watermarks = Object.fromEntries(Object.entries(view.topics).map(([t, v]) => [t, v.watermark]));
  return createElement('h1', null, view.status);
}

window.khalaReact = {
  async start(url, tokenUrl, topics) {
    client = new SyncClient({ url, token: tokenEndpoint({ url: tokenUrl }), topics: [...topics] });
    const el = document.createElement('div');
    el.id = 'root';
    document.body.append(el);
    createRoot(el).render(createElement('main', null, createElement(Status, { c: client }), createElement(List, { c: client }), createElement(Doc, { c: client })));
    await client.connect();
    await client.whenLive();
  },
  state: () => ({ renders: { ...renders }, ...last, dom: document.getElementById('root')?.textContent ?? '' }),
  close: async () => client?.close(),
};
