/**
 * The recognizer's Web Worker: loads onnxruntime-web (wasm) and one InferenceSession a model of
 * an exported bundle, and answers drawings with each model's and the ensemble's top k, off the
 * page's main thread. Spoken to by `recognizer.js` only:
 *
 *   -> {type: 'init', base, manifest, threads?, warmUp?}  <- {type: 'ready', backend, threads, isolated} | {type: 'error', id: 0, message}
 *   -> {type: 'recognize', id, drawing, options} <- {type: 'result', id, result} | {type: 'error', id, message}
 *   (after 'ready', unless warmUp is false)      <- {type: 'warmed', runs, ms}
 *
 * Requests are answered one at a time in order (a session runs one inference at a time).
 * After 'ready', while no request is waiting, the worker warms the models up in the background
 * on synthetic drawings (the browser is still compiling the hot WebAssembly code then, which
 * made the first guesses slow), then says 'warmed'. A request waits behind one warm-up
 * inference at most.
 * WebAssembly threads need a cross-origin isolated page (`self.crossOriginIsolated`): then
 * onnxruntime runs `threads` of them (default min(4, cores)), otherwise one.
 */

import * as ort from 'onnxruntime-web/wasm';
import { simplified, modelInput } from './preprocess.js';
import { poolProbs, reorder, topK } from './pool.js';
import { renderBitmap } from './render.js';

let manifest = null;
let sessions = null; // [{name, classes, preprocess, session, input, output}]
let queue = Promise.resolve();
let waiting = 0; // messages received and not answered yet

// Background warm-up after 'ready': one inference of one model on a synthetic drawing at a
// time, each queued only while no message waits, for WARM_MS or WARM_ROUNDS rounds of all models,
// whichever ends first; after a request it resumes once the worker has been idle for IDLE_MS.
const WARM_MS = 3000;
const WARM_ROUNDS = 100;
const IDLE_MS = 50;
let warm = null; // {started, runs, timer} while warming up

// onnxruntime's WebAssembly threads are workers running this same script, named 'em-pthread';
// their messages are onnxruntime's own (its code above set their handler)
const PTHREAD = typeof self.name === 'string' && self.name.startsWith('em-pthread');
if (!PTHREAD) {
  self.onmessage = (event) => {
    const msg = event.data;
    waiting++;
    queue = queue.then(() => handle(msg)).catch((err) => {
      self.postMessage({ type: 'error', id: msg.id ?? 0, message: oneLine(err) });
    }).finally(() => {
      if (--waiting === 0) warmLater(msg.type === 'init' ? 0 : IDLE_MS);
    });
  };
}

async function handle(msg) {
  if (msg.type === 'init') return init(msg);
  if (msg.type === 'recognize') {
    const result = await recognize(msg.drawing, msg.options || {});
    return self.postMessage({ type: 'result', id: msg.id, result });
  }
  throw new Error(`unknown message ${JSON.stringify(msg.type)}`);
}

async function init({ base, manifest: m, threads: wanted, warmUp = true }) {
  manifest = m;
  const isolated = self.crossOriginIsolated === true;
  const cores = navigator.hardwareConcurrency || 1;
  const asked = Number.isInteger(wanted) && wanted > 0 ? wanted : Math.min(4, cores);
  ort.env.wasm.numThreads = isolated ? asked : 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = { wasm: new URL(m.runtime.wasm, base).href };
  ort.env.logLevel = 'error';
  sessions = [];
  for (const model of m.models) {
    const url = new URL(model.file, base).href;
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${model.file}: HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    await checkSha256(bytes, model.sha256, model.file);
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: ['wasm'],
      graphOptimizationLevel: 'all',
    });
    sessions.push({
      name: model.name,
      classes: model.classes,
      preprocess: model.preprocess,
      session,
      input: session.inputNames[0],
      output: session.outputNames[0],
    });
  }
  // onnxruntime falls back to 1 where threads do not work, and says so in numThreads
  self.postMessage({ type: 'ready', backend: 'wasm', threads: ort.env.wasm.numThreads, isolated });
  if (warmUp) warm = { started: performance.now(), runs: 0, timer: null };
}

/** Queue the next warm-up inference `delay` ms from now, unless a message is waiting then. */
function warmLater(delay = 0) {
  if (!warm || warm.timer !== null) return;
  warm.timer = setTimeout(() => {
    if (!warm) return;
    warm.timer = null;
    if (waiting === 0) queue = queue.then(warmOnce).catch(() => warmDone());
  }, delay);
}

async function warmOnce() {
  if (!warm || waiting > 0) return; // the last answered message queues the next one
  const round = Math.floor(warm.runs / sessions.length);
  if (round >= WARM_ROUNDS || performance.now() - warm.started > WARM_MS) return warmDone();
  const s = sessions[warm.runs % sessions.length];
  const { data, dims } = modelInput(simplified(syntheticDrawing(round), 'raw'), s.preprocess);
  await s.session.run({ [s.input]: new ort.Tensor('float32', data, dims) });
  warm.runs++;
  return warmLater(0);
}

function warmDone() {
  if (!warm) return;
  self.postMessage({ type: 'warmed', runs: warm.runs, ms: performance.now() - warm.started });
  warm = null;
}

/** A raw drawing (CSS pixels, ms), a little different each round: a loop, two wavy lines, a dot. */
function syntheticDrawing(round) {
  const r = 60 + (round % 7) * 15;
  const n = 40 + (round % 5) * 10;
  const loop = [[], [], []];
  for (let i = 0; i <= n; i++) {
    const a = (2 * Math.PI * i) / n + round;
    loop[0].push(200 + r * Math.cos(a) + (i % 3) * 0.37);
    loop[1].push(180 + 0.8 * r * Math.sin(a) - (i % 2) * 0.51);
    loop[2].push(i * 16);
  }
  const line = (x0, y0, x1, y1, t0) => {
    const s = [[], [], []];
    for (let i = 0; i <= 20; i++) {
      s[0].push(x0 + ((x1 - x0) * i) / 20 + (i % 2) * 0.3);
      s[1].push(y0 + ((y1 - y0) * i) / 20 + 8 * Math.sin(i + round));
      s[2].push(t0 + i * 15);
    }
    return s;
  };
  const t = n * 16 + 300;
  return [loop, line(140, 260, 120, 330 + round % 40, t), line(260, 260, 290, 330, t + 600),
    [[200.5], [175.25], [t + 1200]]];
}

async function checkSha256(bytes, expected, file) {
  const subtle = self.crypto && self.crypto.subtle; // secure contexts only (https, localhost)
  if (!subtle || !expected) return;
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes));
  const hex = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
  if (hex !== expected) throw new Error(`${file}: sha256 ${hex} differs from the manifest's ${expected}`);
}

async function recognize(drawing, { topK: k = 3, format = 'auto', bitmap = false, probabilities = false, models: only = null }) {
  if (!sessions) throw new Error('the recognizer is not ready');
  const chosen = only ? sessions.filter((s) => only.includes(s.name)) : sessions;
  if (only && chosen.length !== only.length) throw new Error(`unknown model in ${JSON.stringify(only)}`);
  const started = performance.now();
  const strokes = simplified(drawing, format);
  const classes = manifest.classes;
  const models = {};
  const pooled = [];
  for (const s of chosen) {
    const t = performance.now();
    const { data, dims } = modelInput(strokes, s.preprocess);
    const feeds = { [s.input]: new ort.Tensor('float32', data, dims) };
    const out = await s.session.run(feeds);
    const probs = reorder(Float64Array.from(out[s.output].data), s.classes, classes);
    pooled.push(probs);
    models[s.name] = { top: topK(probs, classes, k), ms: performance.now() - t };
    if (probabilities) models[s.name].probabilities = Array.from(probs);
  }
  const result = { models, classes: probabilities ? classes : undefined };
  if (manifest.ensemble && chosen.length > 1) {
    const w = chosen.map((s) => manifest.ensemble.weights[s.name]);
    const probs = poolProbs(pooled, w, manifest.ensemble.pool);
    models.ensemble = { top: topK(probs, classes, k) };
    if (probabilities) models.ensemble.probabilities = Array.from(probs);
  }
  if (bitmap) result.bitmap = renderBitmap(strokes, 28);
  result.ms = performance.now() - started;
  return result;
}

function oneLine(err) {
  const text = String((err && err.message) || err).split(/\s+/).join(' ');
  return text.length > 240 ? `${text.slice(0, 240)}...` : text;
}
