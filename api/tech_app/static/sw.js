// Offline shell for /tech: the app's assets are cached; pages come from the network, and the
// last copy of a page is shown when the network is gone (then the page's script queues actions).
const CACHE = "fieldhand-tech-v1";
const SHELL = [
  "/tech/offline",
  "/tech/static/tech.css",
  "/tech/static/tech.js",
  "/tech/static/icon.svg",
  "/tech/static/plotly.min.js",
  "/tech/manifest.json",
];
const PAGES = ["/tech/offers", "/tech/today", "/tech/shifts", "/tech/money"];

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

self.addEventListener("message", (event) => {
  if (event.data === "signed-out") event.waitUntil(caches.delete(CACHE));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const path = new URL(request.url).pathname;
  if (request.mode === "navigate") {
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok && PAGES.includes(path)) {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put(path, copy));
          }
          return response;
        })
        .catch(() => caches.match(path).then((hit) => hit || caches.match("/tech/offline")))
    );
    return;
  }
  if (SHELL.includes(path)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
});
