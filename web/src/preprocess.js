/**
 * A drawing as each exported model's input, exactly as `seqdoodle.kinds.<kind>.drawing_inputs`
 * makes it, driven by the `preprocess` entry that `seqdoodle export --format web` writes for a
 * model into `manifest.json` (the run's input config, with the dx/dy scale inside the model):
 *
 * - `{type: "bitmap", size}`: `renderBitmap(simplified, size)` as float32 0..255, `[1, s, s, 1]`.
 * - `{type: "stroke3", normalize, flag, max_len, truncate, time, scale, scale_in_model}`:
 *   `drawingToStroke3(simplified, ...)` as float32 `[1, n, 3]` (dx, dy divided by `scale` only
 *   when the model does not divide itself).
 * - `{type: "channels", size, channels}`: `renderChannels(simplified, size, channels)` as
 *   float32 0..255, `[1, s, s, c]`.
 *
 * Raw drawings are simplified first (`simplifyStrokes`), decided as `strokes_look_raw` does.
 */

import { DataFormatError } from './errors.js';
import { simplifyStrokes } from './simplify.js';
import { renderBitmap } from './render.js';
import { drawingToStroke3 } from './stroke3.js';
import { renderChannels } from './channels.js';

export const FORMATS = ['auto', 'raw', 'simplified'];

/**
 * Whether strokes are in Google's raw format: times (3 arrays a stroke), or coordinates that
 * are not integers within 0..255 (`seqdoodle.datasets.records.strokes_look_raw`).
 */
export function looksRaw(strokes) {
  for (const stroke of strokes) {
    if (!Array.isArray(stroke)) continue;
    if (stroke.length >= 3) return true;
    for (const axis of stroke.slice(0, 2)) {
      for (const v of axis || []) {
        if (v < 0 || v > 255 || v !== Math.round(v)) return true;
      }
    }
  }
  return false;
}

/**
 * Google's simplified strokes of a drawing.
 *
 * @param {Array} strokes `[[xs, ys, ts?], ...]`.
 * @param {'auto'|'raw'|'simplified'} [format='auto'] `auto` decides by the strokes.
 * @returns {number[][][]} simplified strokes `[xs, ys]`.
 */
export function simplified(strokes, format = 'auto') {
  if (!FORMATS.includes(format)) {
    throw new DataFormatError(`format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  }
  if (!Array.isArray(strokes)) throw new DataFormatError('drawing must be a list of strokes');
  const raw = format === 'raw' || (format === 'auto' && looksRaw(strokes));
  return raw ? simplifyStrokes(strokes) : strokes.map((s) => [s[0], s[1]]);
}

/**
 * One model's input tensor for simplified strokes.
 *
 * @param {number[][][]} strokes simplified strokes.
 * @param {object} preprocess the model's `preprocess` entry of `manifest.json`.
 * @returns {{data: Float32Array, dims: number[]}} batch of one.
 * @throws {DataFormatError} an input type this version does not know, or a bad drawing.
 */
export function modelInput(strokes, preprocess) {
  const type = preprocess && preprocess.type;
  if (type === 'bitmap') {
    const size = preprocess.size ?? 28;
    return { data: Float32Array.from(renderBitmap(strokes, size)), dims: [1, size, size, 1] };
  }
  if (type === 'channels') {
    const { size = 28, channels } = preprocess;
    const data = Float32Array.from(renderChannels(strokes, size, channels));
    return { data, dims: [1, size, size, data.length / (size * size)] };
  }
  if (type === 'stroke3') {
    if (preprocess.time) throw new DataFormatError('stroke3 inputs with a time channel are not supported');
    const { data, shape } = drawingToStroke3(strokes, {
      normalize: preprocess.normalize ?? 'aspect',
      flag: preprocess.flag ?? 'end',
      maxLen: preprocess.max_len ?? null,
      truncate: preprocess.truncate ?? 'end',
    });
    const scale = preprocess.scale_in_model ? [1, 1] : preprocess.scale || [1, 1];
    if (scale[0] !== 1 || scale[1] !== 1) {
      const sx = Math.fround(scale[0]);
      const sy = Math.fround(scale[1]);
      for (let i = 0; i < shape[0]; i++) {
        data[i * shape[1]] /= sx;
        data[i * shape[1] + 1] /= sy;
      }
    }
    return { data, dims: [1, shape[0], shape[1]] };
  }
  throw new DataFormatError(`unknown model input type ${JSON.stringify(type)}; update the web bundle`);
}
