// A one-page static server for the Chromium tests: `/page.js` is the bundle, every other path the
// HTML page that loads it as a module.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Serve `bundle` on 127.0.0.1 (ephemeral port); resolves with the server and its page URL. */
export async function servePage(bundle: Buffer): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (req.url === '/page.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script type="module" src="/page.js"></script>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}
