/**
 * Cross-origin isolation for the exported page from any static file server, so that the models
 * run in WebAssembly threads: `isolate()` registers the folder's service worker (`sw.js`, which
 * adds COOP and COEP to the folder's responses) and reloads the page once, the first time, so
 * that the page is loaded through it. Where service workers are unavailable (plain http on an
 * address other than localhost, file://, a browser that refuses them) or the reload did not
 * isolate the page, the page goes on as it is: the models run in one thread.
 */

// set before the one reload to the first navigation's time origin; 'gave-up' once it failed
const KEY = 'seqdoodle:isolation';
const WAIT_MS = 5_000;

/**
 * @param {string} [swUrl='sw.js'] the service worker, relative to the page.
 * @returns {Promise<{isolated: boolean, reloading: boolean, reason: string, since: number}>}
 *   `reloading`: the page is being reloaded (start nothing); `reason`: why it is not isolated;
 *   `since`: the time origin (ms since the epoch) of the first navigation, before any reload.
 */
export async function isolate(swUrl = 'sw.js') {
  const store = sessionStore();
  const mark = store?.getItem(KEY) ?? null;
  const since = Number(mark) || performance.timeOrigin;
  const result = (isolated, reason, reloading = false) => ({ isolated, reloading, reason, since });
  if (self.crossOriginIsolated) {
    store?.removeItem(KEY);
    return result(true, '');
  }
  const sw = navigator.serviceWorker;
  if (!self.isSecureContext || !sw) return result(false, 'service workers need https or localhost');
  if (!store) return result(false, 'no session storage to reload once only');
  if (mark !== null) {
    store.setItem(KEY, 'gave-up');
    return result(false, 'the service worker did not isolate the page');
  }
  try {
    await activated(await sw.register(new URL(swUrl, document.baseURI)));
  } catch (err) {
    return result(false, `no service worker: ${err.message || err}`);
  }
  store.setItem(KEY, String(performance.timeOrigin));
  window.location.reload();
  return result(false, 'reloading', true);
}

/** Resolves once `registration` has an active worker; rejects on failure or after WAIT_MS. */
function activated(registration) {
  return new Promise((resolve, reject) => {
    if (registration?.active) return resolve();
    const worker = registration?.installing || registration?.waiting;
    if (!worker) return reject(new Error('none was registered'));
    setTimeout(() => reject(new Error('it did not start')), WAIT_MS); // no-op once settled
    worker.addEventListener('statechange', () => {
      if (worker.state === 'redundant') reject(new Error('it did not install'));
      if (registration.active) resolve();
    });
    return undefined;
  });
}

function sessionStore() {
  try {
    return window.sessionStorage; // throws where storage is blocked
  } catch {
    return null;
  }
}
