// Renders the shell's state into the page. Pure DOM writes from one plain object, so the drills
// can read the same object (window.webShell.view()) that the screenshot shows.

/** One topic as the page shows it. */
export interface TopicView {
  topic: string;
  /** Replay phase of the topic (`pending`, `replaying`, `live`, …). */
  phase: string;
  watermark: number | undefined;
  /** Highest watermark the server reported, when known (heartbeat). */
  head: number | undefined;
  /** Updates applied (or relayed to this tab) since the page loaded. */
  appliedThisLoad: number;
  documents: readonly { docKey: string; docVersion: number; watermark: number; payload: unknown }[];
}

/** Everything the page shows. */
export interface ShellView {
  buildId: string;
  /** Connection status, or `offline`. */
  status: string;
  /** `leader`, `follower`, `single`, or `-` before the election. */
  role: string;
  /** Build-skew state: `checking`, `none`, `promoting`, `reloading`, `hard_refresh_required`, `upgrade_required`. */
  skew: string;
  /** Why the page is blocked, if it is. */
  banner: string;
  topics: TopicView[];
}

const byId = (id: string): HTMLElement => document.getElementById(id)!;

function pill(id: string, value: string): void {
  const el = byId(id);
  el.textContent = value;
  el.dataset['state'] = value;
}

function summary(payload: unknown): string {
  if (payload === null || typeof payload !== 'object') return JSON.stringify(payload);
  const p = payload as Record<string, unknown>;
  return String(p['status'] ?? p['state'] ?? JSON.stringify(payload).slice(0, 40));
}

function topicSection(t: TopicView): HTMLElement {
  const section = document.createElement('section');
  section.dataset['topic'] = t.topic;
  const head = t.head ?? t.watermark ?? 0;
  const newest = [...t.documents].sort((a, b) => b.watermark - a.watermark).slice(0, 8);
  section.innerHTML = `
    <h2></h2>
    <div>phase <span class="pill" data-state="${t.phase}">${t.phase}</span> · watermark <b class="wm">${t.watermark ?? '-'}</b>${t.head !== undefined ? ` of ${t.head}` : ''} · ${t.documents.length} documents · ${t.appliedThisLoad} applied since load</div>
    <progress max="${Math.max(head, 1)}" value="${t.watermark ?? 0}"></progress>
    <table><tbody></tbody></table>`;
  section.querySelector('h2')!.textContent = t.topic;
  const body = section.querySelector('tbody')!;
  for (const d of newest) {
    const row = body.insertRow();
    for (const text of [d.docKey, `v${d.docVersion}`, `@${d.watermark}`, summary(d.payload)]) row.insertCell().textContent = text;
  }
  return section;
}

/** Replace the page's content with `view`. */
export function render(view: ShellView): void {
  byId('build').textContent = view.buildId;
  pill('status', view.status);
  pill('role', view.role);
  pill('skew', view.skew);
  byId('banner').textContent = view.banner;
  byId('topics').replaceChildren(...view.topics.map(topicSection));
}
