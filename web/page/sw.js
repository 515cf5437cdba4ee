/**
 * The exported folder's service worker (copied to `sw.js` beside index.html, so its scope is the
 * folder). It re-serves the folder's own responses with the two headers that make the page
 * cross-origin isolated, which WebAssembly threads (SharedArrayBuffer) need and which a plain
 * static file server does not send:
 *
 *   Cross-Origin-Opener-Policy: same-origin
 *   Cross-Origin-Embedder-Policy: require-corp
 *
 * Only documents and worker scripts need them (the page and `js/worker.js`, which onnxruntime's
 * threads load too); everything else the page loads is under the folder, same-origin, so
 * `require-corp` blocks nothing and it goes straight to the network, as do requests outside the
 * folder (the page makes none). Nothing is cached here: the responses are the server's (through
 * the browser's HTTP cache), headers added. Registered by `page/isolate.js`, which reloads the
 * page once when it first takes control.
 *
 * A service worker outlives the folder: when a page is opened and the server no longer has this
 * script (another site served from the same address), it unregisters itself and adds nothing.
 */

const HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// the requests whose responses decide isolation; the rest is left to the network
const DESTINATIONS = new Set(['document', 'iframe', 'worker', 'sharedworker']);

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || !DESTINATIONS.has(request.destination)) return;
  if (!request.url.startsWith(self.registration.scope)) return;
  event.respondWith(isolated(request));
});

async function isolated(request) {
  const here = request.mode === 'navigate' ? stillServed() : Promise.resolve(true);
  const response = await fetch(request);
  if (!(await here)) {
    await self.registration.unregister();
    return response;
  }
  // opaque answers (a redirected navigation) go back as they are: their headers are not ours
  if (response.type === 'opaque' || response.type === 'opaqueredirect' || response.status === 0) {
    return response;
  }
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(HEADERS)) headers.set(name, value);
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}

/** Whether the server still has this script (unknown, e.g. offline: yes). */
async function stillServed() {
  try {
    const response = await fetch(self.location.href, { cache: 'no-cache' });
    return response.ok;
  } catch {
    return true;
  }
}
