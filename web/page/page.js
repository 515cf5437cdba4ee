/**
 * The drawing page of an exported web bundle: the page of `seqdoodle serve`, with the models
 * running in this browser (`createRecognizer('./')`) instead of behind `/predict`. Pointer
 * events (mouse, touch, pen); strokes are kept raw (CSS pixels, ms since the first point) and
 * the recognizer simplifies them as Google did.
 *
 * The models run in WebAssembly threads once the page is cross-origin isolated (`isolate.js`:
 * the folder's service worker, one reload the first time); `?threads=N` asks for N of them.
 * `?warmup=0` turns off the worker's background warm-up after load (for comparisons).
 *
 * For tests and benchmarks: `window.__recognizer` (once loaded), `window.__readyMs` (ms from
 * the first navigation, before any reload, to the models being ready), `window.__isolation`,
 * `window.__lastResult` and `window.__lastDrawing` (the latest answer shown and the drawing it
 * answered), `window.__warmed` (the background warm-up's `{runs, ms}` once it has ended, null
 * without) and the counters `window.__page.sent / shown / inFlight`.
 */

import { createRecognizer, webAssemblyAvailable } from '../src/recognizer.js';
import { isolate } from './isolate.js';

const THROTTLE_MS = 100;
const EMPTY = '<div class="card empty">Draw something: a cat, a house, a smiley face…</div>';
const canvas = document.getElementById('pad');
const ctx = canvas.getContext('2d');
const statusLine = document.getElementById('status');
const results = document.getElementById('results');
const bitmap = document.getElementById('bitmap');
const engine = document.getElementById('engine');
const state = { sent: 0, shown: 0, inFlight: 0 };
window.__page = state;
let strokes = [];
let current = null;
let activePointer = null;
let t0 = null;
let lastAsk = 0;
let recognizer = null;
let titles = {};

function setStatus(text, isError) {
  statusLine.textContent = text;
  statusLine.classList.toggle('error', !!isError);
}

function resize() {
  const rect = canvas.getBoundingClientRect();
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(rect.width * ratio);
  canvas.height = Math.round(rect.height * ratio);
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  redraw();
}

function drawStroke([xs, ys]) {
  if (!xs.length) return;
  ctx.beginPath();
  ctx.moveTo(xs[0], ys[0]);
  for (let i = 1; i < xs.length; i++) ctx.lineTo(xs[i], ys[i]);
  if (xs.length === 1) ctx.lineTo(xs[0] + 0.01, ys[0]);
  ctx.stroke();
}

function redraw() {
  const rect = canvas.getBoundingClientRect();
  ctx.clearRect(0, 0, rect.width, rect.height);
  ctx.lineWidth = 4; ctx.lineCap = 'round'; ctx.lineJoin = 'round'; ctx.strokeStyle = '#111';
  strokes.forEach(drawStroke);
  if (current) drawStroke(current);
}

function addPoint(e) {
  const rect = canvas.getBoundingClientRect();
  const now = e.timeStamp || performance.now();
  if (t0 === null) t0 = now;
  const x = Math.round((e.clientX - rect.left) * 100) / 100;
  const y = Math.round((e.clientY - rect.top) * 100) / 100;
  const [xs, ys, ts] = current;
  const n = xs.length;
  if (n && xs[n - 1] === x && ys[n - 1] === y) return;
  xs.push(x); ys.push(y); ts.push(Math.max(0, Math.round(now - t0)));
  if (n) { ctx.beginPath(); ctx.moveTo(xs[n - 1], ys[n - 1]); ctx.lineTo(x, y); ctx.stroke(); }
}

canvas.addEventListener('pointerdown', (e) => {
  if ((e.pointerType === 'mouse' && e.button !== 0) || activePointer !== null) return;
  e.preventDefault();
  activePointer = e.pointerId;
  canvas.setPointerCapture(e.pointerId);
  current = [[], [], []];
  addPoint(e);
  redraw();
});

canvas.addEventListener('pointermove', (e) => {
  if (e.pointerId !== activePointer || !current) return;
  const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
  (events.length ? events : [e]).forEach(addPoint);
  if (state.inFlight === 0 && performance.now() - lastAsk > THROTTLE_MS) ask(true);
});

function endStroke(e) {
  if (e.pointerId !== activePointer) return;
  activePointer = null;
  if (current && current[0].length) strokes.push(current);
  current = null;
  redraw();
  ask(false);
}
canvas.addEventListener('pointerup', endStroke);
canvas.addEventListener('pointercancel', endStroke);

document.getElementById('undo').addEventListener('click', () => {
  strokes.pop();
  redraw();
  if (strokes.length) ask(false); else reset();
});
document.getElementById('clear').addEventListener('click', () => { strokes = []; redraw(); reset(); });

function reset() {
  t0 = null;
  state.shown = ++state.sent; // answers to earlier drawings are stale now
  results.innerHTML = EMPTY;
  bitmap.getContext('2d').clearRect(0, 0, 28, 28);
  if (recognizer) setStatus('Ready');
}

async function ask(partial) {
  if (!recognizer) return;
  const drawing = strokes.map((s) => s.map((a) => a.slice()));
  if (partial && current && current[0].length) drawing.push(current.map((a) => a.slice()));
  if (!drawing.length) return;
  const id = ++state.sent;
  lastAsk = performance.now();
  state.inFlight++;
  const t = performance.now();
  try {
    const answer = await recognizer.recognize(drawing, { format: 'raw', topK: 3, bitmap: true });
    if (id < state.shown) return;
    state.shown = id;
    answer.roundTripMs = performance.now() - t;
    window.__lastResult = answer;
    window.__lastDrawing = drawing;
    show(answer);
    const n = drawing.reduce((a, s) => a + s[0].length, 0);
    setStatus(`${drawing.length} ${drawing.length === 1 ? 'stroke' : 'strokes'}, ${n} points`);
  } catch (err) {
    if (id >= state.shown) { state.shown = id; setStatus(err.message, true); }
  } finally {
    state.inFlight--;
  }
}

function pct(p) { return `${(100 * p).toFixed(p >= 0.995 || p < 0.001 ? 0 : 1)}%`; }

function card(name, answer) {
  const div = document.createElement('div');
  div.className = `card${name === 'ensemble' ? ' ensemble' : ''}`;
  div.dataset.model = name;
  const h = document.createElement('h2');
  const label = document.createElement('span');
  label.textContent = name;
  const small = document.createElement('small');
  small.textContent = name === 'ensemble' ? titles.ensemble : (titles[name] || '');
  h.append(label, small);
  div.append(h);
  answer.top.forEach((item, i) => {
    const row = document.createElement('div');
    row.className = 'row';
    row.dataset.rank = String(i + 1);
    const cls = document.createElement('span');
    cls.className = 'cls'; cls.textContent = item.class; cls.title = item.class;
    const track = document.createElement('div');
    track.className = 'track';
    const fill = document.createElement('div');
    fill.className = 'fill';
    fill.style.width = `${Math.max(0, Math.min(100, 100 * item.probability)).toFixed(1)}%`;
    track.append(fill);
    const value = document.createElement('span');
    value.className = 'pct'; value.textContent = pct(item.probability);
    value.dataset.probability = String(item.probability);
    row.append(cls, track, value);
    div.append(row);
  });
  return div;
}

function show(answer) {
  const names = Object.keys(answer.models).filter((n) => n !== 'ensemble');
  if ('ensemble' in answer.models) names.push('ensemble');
  results.replaceChildren(...names.map((n) => card(n, answer.models[n])));
  results.style.display = 'grid'; results.style.gap = '12px';
  if (answer.bitmap) {
    const image = new ImageData(28, 28);
    answer.bitmap.forEach((v, i) => { image.data.set([v, v, v, 255], 4 * i); });
    bitmap.getContext('2d').putImageData(image, 0, 0);
  }
  document.body.dataset.answered = String(state.shown);
}

function showError(message) {
  setStatus(message, true);
  const div = document.createElement('div');
  div.className = 'card error';
  div.textContent = message;
  results.replaceChildren(div);
}

/** `?threads=N` in the page's address: the WebAssembly threads asked for (else the default). */
function threadsAsked() {
  const n = Number(new URLSearchParams(window.location.search).get('threads'));
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

function showEngine(threads, reason) {
  engine.textContent = threads > 1
    ? ` Running in ${threads} WebAssembly threads.`
    : ` Running in one WebAssembly thread${reason ? ` (${reason})` : ''}.`;
}

async function start() {
  window.addEventListener('resize', resize);
  resize();
  if (!webAssemblyAvailable()) {
    showError('This browser cannot run WebAssembly, so the models cannot run here. '
      + 'Try a current Chrome, Firefox, Safari or Edge, or turn WebAssembly back on.');
    return;
  }
  const isolation = await isolate();
  window.__isolation = isolation;
  if (isolation.reloading) return;
  try {
    const warmUp = new URLSearchParams(window.location.search).get('warmup') !== '0';
    recognizer = await createRecognizer('./', { threads: threadsAsked(), warmUp });
  } catch (err) {
    showError(`The models did not load: ${err.message}`);
    return;
  }
  const { manifest } = recognizer;
  for (const m of manifest.models) titles[m.name] = m.title || m.kind;
  titles.ensemble = manifest.ensemble
    ? `${manifest.ensemble.pool === 'log' ? 'geometric' : 'weighted'} mean of the models` : '';
  // the first load: from the first navigation (before the one-time reload) to the models ready
  window.__readyMs = performance.timeOrigin + performance.now() - isolation.since;
  window.__recognizer = recognizer;
  recognizer.warmed.then((w) => { window.__warmed = w; });
  showEngine(recognizer.threads, isolation.reason);
  setStatus(`Ready: ${recognizer.models.join(', ')}`);
}

start();
