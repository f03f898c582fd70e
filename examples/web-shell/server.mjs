// A small static server for one deployed build of the web shell. manifest.json, sw.js, the HTML
// and config.json are sent with `Cache-Control: no-cache, no-store, must-revalidate`, so a running
// tab always sees the deploy as it is now; hashed assets are immutable. `deploy(dir)` switches the
// served build at once (a canary or a rollback deploy in the drills).
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const NO_CACHE = 'no-cache, no-store, must-revalidate';
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.json': 'application/json; charset=utf-8', '.png': 'image/png' };
/** Paths that must never come from a cache: the skew check and the service-worker update read them. */
const ALWAYS_FRESH = new Set(['/', '/index.html', '/manifest.json', '/sw.js', '/config.json']);

/**
 * Serve `root` on `host:port` (default 127.0.0.1, ephemeral port). `config` is answered at
 * /config.json: where the page finds the sync server.
 * @param {import('./server.d.mts').WebShellServerOptions} options
 * @returns {Promise<import('./server.d.mts').WebShellServer>}
 */
export async function startWebShellServer(options) {
  let root = resolve(options.root);
  let config = options.config;
  const server = createServer((req, res) => {
    void answer(req.url ?? '/').then(
      ({ status, type, body, path }) => {
        res.writeHead(status, { 'content-type': type, 'cache-control': ALWAYS_FRESH.has(path) || status !== 200 ? NO_CACHE : 'public, max-age=31536000, immutable' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      () => res.writeHead(500, { 'cache-control': NO_CACHE }).end(),
    );
  });

  async function answer(rawUrl) {
    const path = new URL(rawUrl, 'http://localhost').pathname;
    if (path === '/config.json') return { status: 200, type: TYPES['.json'], body: JSON.stringify(config), path };
    const file = normalize(join(root, path === '/' ? 'index.html' : decodeURIComponent(path)));
    if (!file.startsWith(root + sep)) return { status: 404, type: 'text/plain', body: 'not found', path };
    try {
      return { status: 200, type: TYPES[extname(file)] ?? 'application/octet-stream', body: await readFile(file), path };
    } catch {
      return { status: 404, type: 'text/plain', body: 'not found', path };
    }
  }

  await new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolveListen);
  });
  const address = server.address();
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${address.port}/`,
    deploy(dir) {
      root = resolve(dir);
    },
    setConfig(next) {
      config = next;
    },
    close() {
      return new Promise((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    },
  };
}
