// The web shell's service worker, one per build (build.mjs writes the config below). It pins the
// build's assets in its own cache, keeps the rollback builds' caches, and serves pinned assets
// cache-first so a tab keeps running the build it loaded until it is promoted. manifest.json,
// sw.js and config.json always go to the network. It activates only when the page posts
// SKIP_WAITING (promotion), or on first install when no build controls the page yet.
/* global self, caches, fetch, Request, URL */
// build.mjs replaces the next line with this build's values.
const CONFIG = { buildId: 'unbuilt', cacheName: 'khala-web-shell::unbuilt', pinnedAssets: [], keepCaches: [] };

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CONFIG.cacheName);
      // `reload`: bypass the HTTP cache, so a pinned asset is this deploy's bytes.
      await cache.addAll(CONFIG.pinnedAssets.map((url) => new Request(url, { cache: 'reload' })));
      // The very first build takes over at once; later ones wait for the page's SKIP_WAITING.
      if (!self.registration.active) await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      // Keep this build's cache and the rollback caches; drop every other web-shell build.
      for (const name of await caches.keys()) {
        if (name.startsWith('khala-web-shell::') && !CONFIG.keepCaches.includes(name)) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') void self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  const path = event.request.mode === 'navigate' ? '/' : url.pathname;
  if (!CONFIG.pinnedAssets.includes(path)) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CONFIG.cacheName);
      return (await cache.match(path)) ?? fetch(event.request);
    })(),
  );
});
