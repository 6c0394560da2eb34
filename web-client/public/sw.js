// cocreate's service worker: keeps the app shell (this page and its scripts and styles) so that
// the board opens again without network; the board's content comes from IndexedDB (y-indexeddb).
// Network first, so a new version is picked up whenever the server can be reached.
const CACHE = 'cocreate-shell-v1'

// The page and the hashed assets it names (found in its HTML, so this file needs no build step).
async function precache () {
  const cache = await caches.open(CACHE)
  const res = await fetch('/', { cache: 'no-cache' })
  const html = await res.clone().text()
  await cache.put('/', res)
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1])
  await cache.addAll(assets)
}

self.addEventListener('install', (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()))
})

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()))
})

self.addEventListener('fetch', (event) => {
  const req = event.request
  const url = new URL(req.url)
  if (req.method !== 'GET' || url.origin !== self.location.origin) return
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/ws/')) return
  const key = req.mode === 'navigate' ? '/' : req
  event.respondWith(
    fetch(req).then((res) => {
      if (res.ok) {
        const copy = res.clone()
        caches.open(CACHE).then((c) => c.put(key, copy))
      }
      return res
    }).catch(() => caches.match(key).then((hit) => hit || Response.error()))
  )
})
