/**
 * Stroke-3 sequences: rows of (dx, dy, pen flag), the input of the stroke model; the same
 * arithmetic as `seqdoodle.drawing_to_stroke3` (float64, cast to float32 at the end).
 *
 * The first row holds the first point relative to the normalised origin, every later row the
 * offset from the previous point; the pen flag is 1 on the last point of each stroke
 * (`flag: "end"`) or on the first (`flag: "start"`). Consecutive duplicate points within a
 * stroke are dropped.
 */

import { DataFormatError } from './errors.js';
import { flattenStrokes } from './drawing.js';

export const NORMALIZE = ['aspect', 'per_axis', 'none'];
export const FLAGS = ['end', 'start'];
export const TRUNCATE = ['end', 'uniform'];
export const MAX_TIME_DELTA = 5.0;

/**
 * Encode Google strokes as a stroke-3 sequence.
 *
 * @param {Array} strokes strokes `[xs, ys]` or `[xs, ys, ts]` (ts in ms); empty ones skipped.
 * @param {object} [options]
 * @param {'aspect'|'per_axis'|'none'} [options.normalize='aspect']
 * @param {'end'|'start'} [options.flag='end']
 * @param {number|null} [options.maxLen=null] keep at most this many rows.
 * @param {'end'|'uniform'} [options.truncate='end']
 * @param {boolean} [options.time=false] add a 4th column: seconds since the previous kept
 *   point (first row 0), clipped to [0, 5]; needs strokes with times.
 * @returns {{data: Float32Array, shape: [number, number]}} row-major `(n, 3)` or `(n, 4)`.
 * @throws {DataFormatError} no points, malformed strokes, NaN/infinite values, `time` without
 *   times, or an unknown option.
 * @example drawingToStroke3([[[0, 10, 10], [0, 0, 5]], [[0], [10]]]).data
 *   // Float32Array [0,0,0, 1,0,0, 0,0.5,1, -1,0.5,1]
 */
export function drawingToStroke3(strokes, options = {}) {
  const {
    normalize = 'aspect', flag = 'end', maxLen = null, truncate = 'end', time = false,
  } = options;
  checkOption('normalize', normalize, NORMALIZE);
  checkOption('flag', flag, FLAGS);
  checkOption('truncate', truncate, TRUNCATE);
  if (time) checkTimes(strokes);
  const { xs, ys, lengths, times } = flattenStrokes(strokes, { times: time });
  if (time && !times) throw new DataFormatError('time=true needs [xs, ys, ts] with a time a point');
  const n = xs.length;
  const strokeId = new Int32Array(n);
  for (let k = 0, i = 0; k < lengths.length; k++) {
    for (let j = 0; j < lengths[k]; j++) strokeId[i++] = k;
  }
  const [nx, ny] = normalizePoints(xs, ys, normalize);
  let rows = [];
  for (let i = 0; i < n; i++) {
    if (i > 0 && strokeId[i] === strokeId[i - 1] && xs[i] === xs[i - 1] && ys[i] === ys[i - 1]) continue;
    rows.push(i);
  }
  if (maxLen !== null && maxLen !== undefined) {
    if (!Number.isInteger(maxLen) || maxLen < 1) {
      throw new DataFormatError(`max_len must be >= 1, got ${maxLen}`);
    }
    const ids = rows.map((r) => strokeId[r]);
    rows = selectRows(ids, maxLen, truncate).map((k) => rows[k]);
  }
  const cols = time ? 4 : 3;
  const m = rows.length;
  const data = new Float32Array(m * cols);
  let px = 0;
  let py = 0;
  for (let k = 0; k < m; k++) {
    const r = rows[k];
    const first = k === 0 || strokeId[rows[k - 1]] !== strokeId[r];
    const last = k === m - 1 || strokeId[rows[k + 1]] !== strokeId[r];
    data[k * cols] = nx[r] - px;
    data[k * cols + 1] = ny[r] - py;
    data[k * cols + 2] = (flag === 'end' ? last : first) ? 1 : 0;
    if (time) {
      const prev = k === 0 ? times[r] : times[rows[k - 1]];
      const dt = (times[r] - prev) / 1000.0;
      data[k * cols + 3] = Math.min(Math.max(dt, 0.0), MAX_TIME_DELTA);
    }
    px = nx[r];
    py = ny[r];
  }
  return { data, shape: [m, cols] };
}

function checkTimes(strokes) {
  if (!Array.isArray(strokes)) return;
  strokes.forEach((s, i) => {
    if (Array.isArray(s) && s.length >= 2 && s[0] && (s.length < 3 || !s[2] || s[2].length !== s[0].length)) {
      throw new DataFormatError(`stroke ${i}: time=true needs [xs, ys, ts] with a time a point`);
    }
  });
}

function normalizePoints(xs, ys, normalize) {
  if (normalize === 'none') return [xs, ys];
  let lx = Infinity;
  let ly = Infinity;
  let hx = -Infinity;
  let hy = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    lx = Math.min(lx, xs[i]);
    ly = Math.min(ly, ys[i]);
    hx = Math.max(hx, xs[i]);
    hy = Math.max(hy, ys[i]);
  }
  const ex = hx - lx;
  const ey = hy - ly;
  let sx;
  let sy;
  if (normalize === 'aspect') {
    const side = Math.max(ex, ey);
    sx = sy = side > 0 ? side : 1.0;
  } else {
    sx = ex > 0 ? ex : 1.0;
    sy = ey > 0 ? ey : 1.0;
  }
  const nx = new Float64Array(xs.length);
  const ny = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    nx[i] = (xs[i] - lx) / sx;
    ny[i] = (ys[i] - ly) / sy;
  }
  return [nx, ny];
}

/** Indices of the rows kept when shortening to `maxLen` (sorted). */
function selectRows(strokeId, maxLen, truncate) {
  const n = strokeId.length;
  const all = [...Array(n).keys()];
  if (n <= maxLen) return all;
  if (truncate === 'end') return all.slice(0, maxLen);
  const ends = [];
  const others = [];
  for (let i = 0; i < n; i++) {
    const boundary = i === 0 || i === n - 1 ||
      strokeId[i] !== strokeId[i - 1] || strokeId[i] !== strokeId[i + 1];
    (boundary ? ends : others).push(i);
  }
  if (ends.length >= maxLen) return evenly(ends.length, maxLen).map((k) => ends[k]);
  const picked = evenly(others.length, maxLen - ends.length).map((k) => others[k]);
  return [...ends, ...picked].sort((a, b) => a - b);
}

/** k evenly spaced indices into range(n), first and last included (numpy's linspace). */
function evenly(n, k) {
  if (k === 1) return [0];
  const step = (n - 1) / (k - 1);
  const out = [];
  for (let i = 0; i < k; i++) {
    const v = i === k - 1 ? n - 1 : i * step + 0;
    out.push(Math.floor(v + 0.5));
  }
  return out;
}

function checkOption(name, value, allowed) {
  if (!allowed.includes(value)) {
    throw new DataFormatError(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
}
