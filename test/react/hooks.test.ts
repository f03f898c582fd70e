// @vitest-environment jsdom
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { act, createElement, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { z } from 'zod';
import { SyncClient } from '../../src/client/sync-client.js';
import type { ReferenceServer } from '../../src/server/index.js';
import { useDocument, useDocuments, useSyncStatus, type SyncStatusView } from '../../src/react.js';
import type { TypedDocument } from '../../src/client/topic-schemas.js';
import { EVENTS, publishRange, RUNS, server, until } from '../client/harness.js';
import { tokenEndpoint } from '../../src/http.js';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let srv: ReferenceServer | undefined;
let root: Root | undefined;
const clients: SyncClient<never>[] = [];
afterEach(async () => {
  act(() => root?.unmount());
  root = undefined;
  for (const c of clients.splice(0)) await c.close();
  await srv?.close();
});

const Run = z.object({ i: z.number(), text: z.string() });

function newClient() {
  const client = new SyncClient({ url: srv!.url, token: tokenEndpoint({ url: srv!.tokenUrl }), reconnectDelay: () => 20, topics: [RUNS, EVENTS], schemas: { [RUNS]: Run } });
  clients.push(client as unknown as SyncClient<never>);
  return client;
}

function mount(node: ReactNode): void {
  const el = document.createElement('div');
  document.body.append(el);
  root = createRoot(el);
  act(() => root!.render(node));
}

/** Let the client work (socket frames, commits) inside act, until `ok()`. */
async function settle(ok: () => boolean, what: string): Promise<void> {
  await act(async () => {
    await until(ok, what);
    await new Promise((resolve) => setTimeout(resolve, 30));
  });
}

describe('khala-sync/react over a real socket', () => {
  it('useDocuments / useDocument / useSyncStatus render the client state and re-render only when what they read changed', async () => {
    srv = await server();
    publishRange(srv, RUNS, 3, 3);
    const client = newClient();
    const renders = { list: 0, doc: 0, status: 0 };
    const seen: { list?: readonly TypedDocument<{ i: number; text: string }>[]; doc?: TypedDocument<{ i: number; text: string }> | undefined; status?: SyncStatusView } = {};
    function List() {
      renders.list++;
      seen.list = useDocuments(client, RUNS);
      expectTypeOf(seen.list).toEqualTypeOf<readonly TypedDocument<{ i: number; text: string }>[]>();
      return null;
    }
    function Doc() {
      renders.doc++;
      seen.doc = useDocument(client, RUNS, 'doc:1');
      return null;
    }
    function Status() {
      renders.status++;
      seen.status = useSyncStatus(client);
      return null;
    }
    mount(createElement('div', null, createElement(List), createElement(Doc), createElement(Status)));
    expect(seen.status!.status).toBe('idle');
    await act(async () => {
      await client.connect();
      await client.whenLive();
    });
    expect(seen.list!.map((d) => d.docKey).sort()).toEqual(['doc:0', 'doc:1', 'doc:2']);
    expect(seen.doc!.payload).toEqual({ i: 1, text: 'é日本🙂' });
    expect(seen.status).toMatchObject({ status: 'live', topics: { [RUNS]: { phase: 'live', watermark: 3 } } });

    // Another document of the topic: the list and the status re-render, doc:1 does not.
    let before = { ...renders };
    srv.publish(RUNS, [{ docKey: 'doc:2', payload: { i: 20, text: 'x' } }]);
    await settle(() => client.getWatermark(RUNS) === 4, 'doc:2 update');
    expect(renders.list).toBe(before.list + 1);
    expect(renders.doc).toBe(before.doc);
    expect(renders.status).toBe(before.status + 1);

    // doc:1 itself: its hook re-renders with the new body.
    before = { ...renders };
    srv.publish(RUNS, [{ docKey: 'doc:1', payload: { i: 10, text: 'y' } }]);
    await settle(() => client.getWatermark(RUNS) === 5, 'doc:1 update');
    expect(renders.doc).toBe(before.doc + 1);
    expect(seen.doc!.payload).toEqual({ i: 10, text: 'y' });

    // Another topic: only the status (its watermark) changes.
    before = { ...renders };
    srv.publish(EVENTS, [{ docKey: 'e', payload: { n: 1 } }]);
    await settle(() => client.getWatermark(EVENTS) === 1, 'events update');
    expect(renders).toEqual({ ...before, status: before.status + 1 });

    // A change notification that alters nothing any hook reads: no render at all.
    before = { ...renders };
    await act(async () => {
      await client.unsubscribe('runtime.not_subscribed');
    });
    expect(renders).toEqual(before);
  });

  it('useSyncStatus follows a stop: upgrade_required', async () => {
    srv = await server({ compatibility: { enforce: true, protocolVersion: 'khala.ws.v1', minClientBuildId: '20990101T000000Z', maxClientBuildId: null, minSchemaVersion: 1, maxSchemaVersion: 1 } });
    const client = newClient();
    const statuses: string[] = [];
    function Status() {
      const view = useSyncStatus(client);
      if (statuses.at(-1) !== view.status) statuses.push(view.status);
      return null;
    }
    mount(createElement(Status));
    await act(async () => {
      await client.connect();
    });
    await settle(() => client.status === 'upgrade_required', 'stop');
    expect(statuses[0]).toBe('idle');
    expect(statuses.at(-1)).toBe('upgrade_required');
  });
});
