/**
 * The recognizer's Web Worker: loads onnxruntime-web (wasm) and one InferenceSession a model of
 * an exported bundle, and answers drawings with each model's and the ensemble's top k, off the
 * page's main thread. Spoken to by `recognizer.js` only:
 *
 *   -> {type: 'init', base, manifest, threads?}  <- {type: 'ready', backend, threads, isolated} | {type: 'error', id: 0, message}
 *   -> {type: 'recognize', id, drawing, options} <- {type: 'result', id, result} | {type: 'error', id, message}
 *
 * Requests are answered one at a time in order (a session runs one inference at a time).
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

// onnxruntime's WebAssembly threads are workers running this same script, named 'em-pthread';
// their messages are onnxruntime's own (its code above set their handler)
const PTHREAD = typeof self.name === 'string' && self.name.startsWith('em-pthread');
if (!PTHREAD) {
  self.onmessage = (event) => {
    const msg = event.data;
    queue = queue.then(() => handle(msg)).catch((err) => {
      self.postMessage({ type: 'error', id: msg.id ?? 0, message: oneLine(err) });
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

async function init({ base, manifest: m, threads: wanted }) {
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
