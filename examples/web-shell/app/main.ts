// The web shell: two topics' live documents, connection status, replay progress, this tab's
// leader/follower role and the build-skew state, on IndexedDB and the browser's own WebSocket,
// against the reference server. Sync starts only once the build check says this build may run.
import { BrowserSync, checkBuild, onUpgradeRequired, type BuildGateOptions } from 'khala-sync/browser';
import { render, type ShellView } from './view.js';
import { httpSnapshotSource, tokenEndpoint } from 'khala-sync/http';

declare const __WEB_SHELL_BUILD_ID__: string;

/** /config.json, written by the static server. */
interface ShellConfig {
  url: string;
  tokenUrl: string;
  snapshotUrl: string;
  topics: string[];
  /** Default `'khala-web-shell'`. */
  dbName?: string;
  /** Default true: one socket for all tabs. */
  multiTab?: boolean;
  /** Default `'auto'`. */
  election?: 'auto' | 'web-locks' | 'lease';
  /** How often a running tab re-reads manifest.json, ms. Default 60 000. */
  manifestPollMs?: number;
  /** Bounded wait for the new service worker, ms. Default 4000. */
  promoteTimeoutMs?: number;
}

/** What the drills read: `window.webShell`. */
export interface WebShellHandle {
  buildId: string;
  view(): ShellView;
  /** Watermarks this tab's own client applied since the page loaded, per topic, in order. */
  applied: Record<string, number[]>;
  /** Watermarks relayed to this tab by the leader, per topic, in order. */
  relayed: Record<string, number[]>;
}

declare global {
  interface Window {
    webShell?: WebShellHandle;
  }
}

const buildId = __WEB_SHELL_BUILD_ID__;
const config = (await (await fetch('/config.json', { cache: 'no-store' })).json()) as ShellConfig;
const perTopic = (): Record<string, number[]> => Object.fromEntries(config.topics.map((t) => [t, []]));
const applied = perTopic();
const relayed = perTopic();
const shell = { skew: 'checking', banner: '' };
let sync: BrowserSync | undefined;

function view(): ShellView {
  const heads = sync?.serverHeads() ?? {};
  return {
    buildId,
    status: sync === undefined ? 'not started' : sync.online ? sync.status : 'offline',
    role: sync?.role ?? '-',
    skew: shell.skew,
    banner: shell.banner,
    topics: config.topics.map((topic) => ({
      topic,
      phase: sync?.topicPhase(topic) ?? 'pending',
      watermark: sync?.getWatermark(topic),
      // A heartbeat's head is a moment old: never show it below what this tab already has.
      head: heads[topic] === undefined ? undefined : Math.max(heads[topic], sync?.getWatermark(topic) ?? 0),
      appliedThisLoad: (applied[topic]?.length ?? 0) + (relayed[topic]?.length ?? 0),
      documents: (sync?.listDocuments(topic) ?? []).map((d) => ({ docKey: d.docKey, docVersion: d.docVersion, watermark: d.watermark, payload: d.payload })),
    })),
  };
}

let scheduled = false;
function refresh(): void {
  if (scheduled) return;
  scheduled = true;
  // A timer rather than requestAnimationFrame: background tabs render too, when shown again.
  setTimeout(() => {
    scheduled = false;
    render(view());
  }, 16);
}

const gate: BuildGateOptions = {
  currentBuildId: buildId,
  protocolVersion: 'khala.ws.v1',
  schemaVersion: 1,
  timeoutMs: config.promoteTimeoutMs ?? 4000,
  onState(state, reason) {
    shell.skew = state;
    shell.banner =
      state === 'hard_refresh_required'
        ? `This page is build ${buildId}, which the deployment no longer accepts (${reason}). Reload the page (Ctrl+Shift+R) to get the current build.`
        : state === 'promoting' || state === 'reloading'
          ? `A new build is deployed (${reason}); switching to it…`
          : '';
    refresh();
  },
};

/** A running tab found skew (poll, wake) or the server refused the build: stop syncing unless the page moves on. */
async function blocked(result: { state: string }): Promise<void> {
  if (result.state === 'none') return;
  const s = sync;
  sync = undefined;
  await s?.close();
  refresh();
}

window.webShell = { buildId, view, applied, relayed };
render(view());
if ('serviceWorker' in navigator) await navigator.serviceWorker.register('/sw.js').catch(() => undefined);

const first = await checkBuild(gate);
if (first.state === 'none') {
  sync = new BrowserSync({
    client: {
      url: config.url,
      token: tokenEndpoint({ url: config.tokenUrl }),
      snapshot: httpSnapshotSource({ baseUrl: config.snapshotUrl }),
      topics: config.topics,
      clientInfo: { clientBuildId: buildId },
      // Heartbeats carry the server's head watermarks, which the progress bars show.
      heartbeatIntervalMs: 5_000,
    },
    dbName: config.dbName ?? 'khala-web-shell',
    multiTab: config.multiTab ?? true,
    election: config.election ?? 'auto',
  });
  sync.on('updates', (batch, { relayed: fromLeader }) => (fromLeader ? relayed : applied)[batch.topic]?.push(...batch.updates.map((u) => u.watermark)));
  sync.on('change', refresh);
  sync.on('status', (status) => {
    if (status === 'upgrade_required') void onUpgradeRequired(gate).then(blocked);
  });
  await sync.start();
  const recheck = (): void => {
    if (sync !== undefined && shell.skew === 'none') void checkBuild(gate).then(blocked);
  };
  setInterval(recheck, config.manifestPollMs ?? 60_000);
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && recheck());
}
refresh();
