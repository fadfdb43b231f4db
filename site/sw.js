// caplab's service worker: keeps the page and every asset of this build
// so that a reload works without a network. The build (site/sitebuild)
// fills ASSETS with the hashed names and VERSION with their hash; a new
// build is a new worker with a new cache, and the old cache is dropped
// when it takes over.
//
// Only GET requests for this build's assets and navigations to the page
// itself ("/" and share links "/s/{id}") are answered here; everything
// else (the API, live orgs, the relay) goes to the network untouched.

const VERSION = 'dev';
const ASSETS = [];
const CACHE = `caplab-${VERSION}`;
const PAGE = /^\/(s\/[A-Za-z0-9_-]{1,128}\/?)?$/;

self.addEventListener('install', (event) => {
  // The page registers the worker after its first load, so the assets
  // come from the HTTP cache, not the network.
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('caplab-') && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === 'navigate') {
    if (!PAGE.test(url.pathname)) return;
    // The network first (the page is revalidated on every load), this
    // build's copy when there is no network.
    event.respondWith(fetch(req).catch(() => caches.open(CACHE).then((c) => c.match('/', { ignoreVary: true })).then((r) => r || Response.error())));
    return;
  }
  if (!ASSETS.includes(url.pathname)) return;
  // Hashed names never change: the cached copy is the same file.
  event.respondWith(caches.open(CACHE).then((c) => c.match(req, { ignoreVary: true })).then((r) => r || fetch(req)));
});
