/**
 * Multi-channel renderings that keep the drawing order (`seqdoodle.strokes.timeraster`), with
 * Google's geometry and cairo's exact rasterisation:
 *
 * - "ink": the bitmap of `renderBitmap`.
 * - "order": stroke i drawn at grey `255 * (1 - 13/255 * min(i, 10))`, later strokes on top.
 * - "index": segment j (point j to j + 1 of all points in order) at `255 * (1 - 0.75 j / (n - 1))`.
 * - "speed": segment at `255 * min(distance / elapsed / 2, 1)` where strokes carry times (ms);
 *   black otherwise.
 *
 * Ink and order come from one pass over whole strokes, index and speed from one pass over
 * single segments, as the Python canvas composites them.
 */

import { DataFormatError } from './errors.js';
import { flattenStrokes } from './drawing.js';
import { canvasFor, centreOffset, drawSegment, drawStrokes } from './render.js';
import { colourByte } from './cairo.js';

export const CHANNELS = ['ink', 'order', 'index', 'speed'];
export const DEFAULT_CHANNELS = ['ink', 'order', 'index'];
const ORDER_STEP = 13.0 / 255.0;
const ORDER_STEPS = 10;
const INDEX_SPAN = 0.75;
const SPEED_WHITE = 2.0;

/** Validate channel names (an array or a comma-separated string); returns an array. */
export function checkChannels(channels) {
  if (typeof channels === 'string') channels = channels.split(',').map((c) => c.trim());
  if (!Array.isArray(channels) || channels.length === 0) {
    throw new DataFormatError(`channels: give at least one of ${CHANNELS.join(', ')}`);
  }
  for (const name of channels) {
    if (!CHANNELS.includes(name)) {
      throw new DataFormatError(`channel ${JSON.stringify(name)}: unknown; choose from ${CHANNELS.join(', ')}`);
    }
  }
  if (new Set(channels).size !== channels.length) {
    throw new DataFormatError(`channels ${JSON.stringify(channels)}: a channel is repeated`);
  }
  return channels;
}

/**
 * Render one drawing to a `size * size * channels.length` Uint8Array (row-major, channels last,
 * as numpy's `(size, size, n_channels)`).
 *
 * @param {Array} strokes strokes `[xs, ys]` or `[xs, ys, ts]` in the 0..255 frame.
 * @param {number} [size=28]
 * @param {string[]|string} [channels=["ink", "order", "index"]]
 * @returns {Uint8Array} equal to `seqdoodle.strokes.render_channels(strokes, size, channels)`.
 */
export function renderChannels(strokes, size = 28, channels = DEFAULT_CHANNELS) {
  channels = checkChannels(channels);
  const canvas = canvasFor(size);
  const { xs, ys, lengths, times } = flattenStrokes(strokes, { times: true });
  const planes = {};
  for (const name of CHANNELS) planes[name] = new Uint8Array(size * size);
  if (channels.includes('ink') || channels.includes('order')) {
    drawStrokes(canvas, xs, ys, lengths, [planes.ink, planes.order], (i) =>
      [255, colourByte(1.0 - ORDER_STEP * Math.min(i, ORDER_STEPS))]);
  }
  if (channels.includes('index') || channels.includes('speed')) {
    drawSegments(canvas, xs, ys, lengths, times, planes.index, planes.speed);
  }
  const out = new Uint8Array(size * size * channels.length);
  channels.forEach((name, k) => {
    const plane = planes[name];
    for (let p = 0; p < size * size; p++) out[p * channels.length + k] = plane[p];
  });
  return out;
}

function drawSegments(canvas, xs, ys, lengths, times, indexPlane, speedPlane) {
  const n = xs.length;
  const [ox, oy] = centreOffset(xs, ys);
  const ux = new Float64Array(n);
  const uy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    ux[i] = xs[i] + ox;
    uy[i] = ys[i] + oy;
  }
  canvas.assertRenderable(ux, uy);
  let start = 0;
  for (const len of lengths) {
    const end = start + len;
    for (let a = start; a < Math.max(end - 1, start + 1); a++) {
      const b = Math.min(a + 1, end - 1);
      const index = 1.0 - (INDEX_SPAN * a) / Math.max(n - 1, 1);
      let speed = 0;
      if (times) {
        const distance = Math.hypot(xs[b] - xs[a], ys[b] - ys[a]);
        const elapsed = Math.abs(times[b] - times[a]);
        speed = elapsed > 0 ? distance / Math.max(elapsed, 1e-9) : 0.0;
        speed = Math.min(speed / SPEED_WHITE, 1.0);
      }
      drawSegment(canvas, ux[a], uy[a], ux[b], uy[b], [indexPlane, speedPlane],
        [colourByte(index), colourByte(speed)]);
    }
    start = end;
  }
}
