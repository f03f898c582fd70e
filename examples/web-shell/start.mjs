// One command for the web-shell example: build it, start the reference server (`khala-sync serve`,
// publishing on runtime.run_summaries), publish on a second topic through the server's publish
// endpoint, and serve the page. Stops everything on Ctrl-C / SIGTERM.
//   node examples/web-shell/start.mjs [--port 5173] [--sync-port 4100]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildWebShell } from './build.mjs';
import { startWebShellServer } from './server.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = resolve(HERE, '../../bin/khala-sync.js');
const SECOND_TOPIC = 'runtime.codex_worker_summaries';

const { values } = parseArgs({ options: { port: { type: 'string', default: '5173' }, 'sync-port': { type: 'string', default: '4100' } } });
if (!existsSync(resolve(HERE, '../../dist/cli/main.js'))) {
  process.stderr.write('dist/ is missing: run `npm install` (or `npm run build`) in the repository first.\n');
  process.exit(1);
}

const built = await buildWebShell({ outDir: join(HERE, 'dist') });
const serve = spawn(process.execPath, [CLI, 'serve', '--port', values['sync-port'], '--seed', '30', '--publish-every', '1500'], { stdio: ['ignore', 'pipe', 'inherit'] });
const firstLine = await new Promise((resolveLine, reject) => {
  serve.once('exit', (code) => reject(new Error(`khala-sync serve exited with ${code}`)));
  createInterface({ input: serve.stdout }).once('line', resolveLine);
});
const endpoints = JSON.parse(firstLine);

let n = 0;
async function publishSecond() {
  n++;
  const update = { doc_key: `runtime/codex_worker_summary:worker_${n % 6}`, payload: { worker_id: `worker_${n % 6}`, status: n % 4 ? 'busy' : 'idle', tick: n } };
  await fetch(endpoints.publish_url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ topic: SECOND_TOPIC, updates: [update] }) }).catch(() => undefined);
}
for (let i = 0; i < 10; i++) await publishSecond();
const timer = setInterval(() => void publishSecond(), 2500);

const web = await startWebShellServer({
  root: built.outDir,
  port: Number(values.port),
  config: { url: endpoints.socket, tokenUrl: endpoints.token_url, snapshotUrl: endpoints.snapshot_url, topics: ['runtime.run_summaries', SECOND_TOPIC] },
});
process.stdout.write(`web shell build ${built.buildId}: open ${web.url}\n`);

async function stop() {
  clearInterval(timer);
  serve.kill('SIGTERM');
  await web.close();
  process.exit(0);
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
