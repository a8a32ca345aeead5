// Offline shell: the app's own assets are cached; a page that cannot be fetched shows /app/offline.
const CACHE = "fieldhand-app-v2";
const SHELL = ["/app/offline", "/app/static/app.css", "/app/static/app.js", "/app/static/icon.svg", "/app/manifest.json"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    // Order pages are private and live: always from the network, never cached.
    event.respondWith(fetch(request).catch(() => caches.match("/app/offline")));
    return;
  }
  if (SHELL.includes(new URL(request.url).pathname)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
});
