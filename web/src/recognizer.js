/**
 * `createRecognizer(bundleUrl)`: classify doodles in the browser with the models of a folder
 * written by `seqdoodle export RUN [RUN ...] --format web`. The models run in onnxruntime-web
 * (WebAssembly) inside a Web Worker, so the page's main thread (the drawing) never waits.
 *
 * @example
 *   const recognizer = await createRecognizer('./');
 *   const { models } = await recognizer.recognize([[xs, ys, ts], ...], { topK: 3 });
 *   models.cnn.top[0]      // {class: 'cat', probability: 0.91}
 *   models.ensemble.top    // when the bundle holds several models
 */

/** Whether this browser can run the models (WebAssembly and module workers). */
export function webAssemblyAvailable() {
  try {
    if (typeof WebAssembly !== 'object' || typeof WebAssembly.instantiate !== 'function') return false;
    // the smallest valid module: magic number and version
    return new WebAssembly.Module(Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0)) instanceof WebAssembly.Module;
  } catch {
    return false;
  }
}

/**
 * Load an exported bundle and start its models.
 *
 * @param {string|URL} [bundleUrl='./'] the folder holding `manifest.json` (relative to the page).
 * @param {{workerUrl?: string|URL, threads?: number, warmUp?: boolean}} [options] where
 *   `worker.js` is (defaults to beside this file); how many WebAssembly threads to run (defaults
 *   to min(4, cores)); whether the worker warms the models up once ready (default true: up to
 *   3 s of inferences on synthetic drawings while no request waits, so that the first guesses
 *   are not slow; a request waits behind one of them at most). Threads
 *   need a cross-origin isolated page (`crossOriginIsolated`, the page's own business: COOP and
 *   COEP headers, or the exported page's service worker); elsewhere the models run in one.
 * @returns {Promise<{manifest: object, models: string[], threads: number, isolated: boolean,
 *   warmed: Promise<{runs: number, ms: number}|null>,
 *   recognize: (drawing: Array, options?: {topK?: number, format?: 'auto'|'raw'|'simplified',
 *   bitmap?: boolean, probabilities?: boolean, models?: string[]}) => Promise<object>,
 *   close: () => void}>}
 *   `recognize` answers `{models: {name: {top: [{class, probability}], ms}, ensemble?: {top}},
 *   ms, bitmap?: Uint8Array(784), classes?}`; `format` says whether `drawing` is raw
 *   (`[[xs, ys, ts], ...]`, any scale, simplified first) or simplified (0..255 integers);
 *   `auto` decides as `seqdoodle` does; `models` runs only those (the ensemble pools them when
 *   there are several); `probabilities` adds every class's probability (manifest class order).
 *   `warmed` resolves when the warm-up ends (its inferences and ms since ready; null without).
 * @throws {Error} no WebAssembly, an unreadable manifest, or a model that does not load.
 */
export async function createRecognizer(bundleUrl = './', options = {}) {
  if (!webAssemblyAvailable()) {
    throw new Error('this browser cannot run WebAssembly, which the models need');
  }
  const base = new URL(String(bundleUrl).replace(/\/?$/, '/'), self.location.href).href;
  const response = await fetch(new URL('manifest.json', base));
  if (!response.ok) throw new Error(`manifest.json: HTTP ${response.status}`);
  const manifest = await response.json();
  const workerUrl = options.workerUrl ?? new URL('./worker.js', import.meta.url);
  const worker = new Worker(workerUrl, { type: 'module' });
  const pending = new Map();
  let nextId = 1;
  let ready;
  let warmedUp;
  const started = new Promise((resolve, reject) => { ready = { resolve, reject }; });
  const warmed = new Promise((resolve) => { warmedUp = resolve; });
  const warmUp = options.warmUp !== false;
  if (!warmUp) warmedUp(null);
  worker.onmessage = ({ data }) => {
    if (data.type === 'ready') return ready.resolve(data);
    if (data.type === 'warmed') return warmedUp({ runs: data.runs, ms: data.ms });
    const request = pending.get(data.id);
    if (data.type === 'error' && !request) return ready.reject(new Error(data.message));
    if (!request) return undefined;
    pending.delete(data.id);
    return data.type === 'result' ? request.resolve(data.result) : request.reject(new Error(data.message));
  };
  worker.onerror = (event) => {
    const err = new Error(`the recognizer's worker failed: ${event.message || 'unknown error'}`);
    ready.reject(err);
    pending.forEach((r) => r.reject(err));
    pending.clear();
  };
  worker.postMessage({ type: 'init', base, manifest, threads: options.threads, warmUp });
  const info = await started;
  return {
    manifest,
    models: manifest.models.map((m) => m.name),
    threads: info.threads,
    isolated: info.isolated,
    warmed,
    recognize(drawing, opts = {}) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ type: 'recognize', id, drawing, options: opts });
      });
    },
    close() { worker.terminate(); },
  };
}
