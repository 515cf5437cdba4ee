/**
 * Google's simplification of raw Quick, Draw! drawings into the "simplified" format, the same
 * arithmetic as `seqdoodle.simplify_strokes` (float64 throughout, in the same order):
 *
 * 1. Align: subtract the minimum x and y over all points.
 * 2. Scale uniformly: multiply by 255, then divide by the larger of width and height. A drawing
 *    whose points all coincide is left unscaled.
 * 3. Resample each stroke at 1-unit spacing along its arc length from the first point, ending
 *    with the exact last point; a stroke of one point or of zero length becomes that point twice.
 * 4. Ramer-Douglas-Peucker with epsilon 2.0, distance to the infinite line through the two ends
 *    (to the start point when they coincide), the first of equally distant points wins, a point
 *    is kept when strictly farther than epsilon.
 * 5. Round half to even to integers.
 */

import { DataFormatError } from './errors.js';
import { isList, typeName } from './drawing.js';

export const EPSILON = 2.0;
export const SPACING = 1.0;
export const TARGET_MAX = 255.0;

/**
 * Turn raw strokes (any scale, float coordinates) into Google's simplified strokes.
 *
 * @param {Array} rawStrokes strokes `[xs, ys]` or `[xs, ys, ts]` (times are dropped). Empty
 *   strokes are dropped.
 * @param {number} [epsilon=2.0] RDP tolerance in the 0..255 frame.
 * @returns {number[][][]} strokes `[xs, ys]` of integers in 0..255, at least 2 points each.
 * @throws {DataFormatError} malformed strokes, NaN/infinite coordinates, a span beyond float64,
 *   or no points at all.
 * @example simplifyStrokes([[[100, 150, 300], [200, 201, 250]], [[120], [240]]])
 *   // [[[0, 64, 255], [0, 1, 64]], [[26, 26], [51, 51]]]
 */
export function simplifyStrokes(rawStrokes, epsilon = EPSILON) {
  const strokes = rawToArrays(rawStrokes);
  let lowX = Infinity;
  let lowY = Infinity;
  for (const [xs, ys] of strokes) {
    for (let i = 0; i < xs.length; i++) {
      if (xs[i] < lowX) lowX = xs[i];
      if (ys[i] < lowY) lowY = ys[i];
    }
  }
  let extent = -Infinity;
  for (const [xs, ys] of strokes) {
    for (let i = 0; i < xs.length; i++) {
      const ex = xs[i] - lowX;
      const ey = ys[i] - lowY;
      if (ex > extent) extent = ex;
      if (ey > extent) extent = ey;
    }
  }
  if (!Number.isFinite(extent)) {
    throw new DataFormatError('coordinates span more than float64 can hold');
  }
  const out = [];
  for (const [sx, sy] of strokes) {
    const n = sx.length;
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = sx[i] - lowX;
      y[i] = sy[i] - lowY;
      if (extent > 0) {
        x[i] = (x[i] * TARGET_MAX) / extent;
        y[i] = (y[i] * TARGET_MAX) / extent;
      }
    }
    const [dx, dy] = resample(x, y, SPACING);
    const keep = rdpKeep(dx, dy, epsilon);
    const rx = [];
    const ry = [];
    for (let i = 0; i < dx.length; i++) {
      if (keep[i]) {
        rx.push(roundHalfEven(dx[i]));
        ry.push(roundHalfEven(dy[i]));
      }
    }
    out.push([rx, ry]);
  }
  return out;
}

/** numpy's `round`: to the nearest integer, halves to even (and -0 as 0). */
export function roundHalfEven(v) {
  const f = Math.floor(v);
  const d = v - f;
  let r;
  if (d > 0.5) r = f + 1;
  else if (d < 0.5) r = f;
  else r = f % 2 === 0 ? f : f + 1;
  return r === 0 ? 0 : r;
}

function rawToArrays(rawStrokes) {
  if (!Array.isArray(rawStrokes)) {
    throw new DataFormatError(`drawing must be a list of strokes, got ${typeName(rawStrokes)}`);
  }
  const strokes = [];
  rawStrokes.forEach((stroke, i) => {
    if (!Array.isArray(stroke) || stroke.length < 2 || !isList(stroke[0]) || !isList(stroke[1]) ||
        stroke[0].length !== stroke[1].length) {
      throw new DataFormatError(`stroke ${i}: expected [xs, ys] or [xs, ys, ts] of equal length`);
    }
    const [xs, ys] = stroke;
    for (let j = 0; j < xs.length; j++) {
      if (typeof xs[j] !== 'number' || typeof ys[j] !== 'number') {
        throw new DataFormatError(`stroke ${i}: coordinates are not numbers`);
      }
      if (!Number.isFinite(xs[j]) || !Number.isFinite(ys[j])) {
        throw new DataFormatError(`stroke ${i}: NaN or infinite coordinates`);
      }
    }
    if (xs.length) strokes.push([xs, ys]);
  });
  if (!strokes.length) throw new DataFormatError('drawing has no points');
  return strokes;
}

/** Points every `spacing` units of arc length plus the exact last point. */
function resample(x, y, spacing) {
  const n = x.length;
  if (n < 2) return [Float64Array.of(x[0], x[0]), Float64Array.of(y[0], y[0])];
  const seg = new Float64Array(n - 1);
  const cum = new Float64Array(n);
  for (let i = 0; i < n - 1; i++) {
    const sx = x[i + 1] - x[i];
    const sy = y[i + 1] - y[i];
    seg[i] = Math.sqrt(sx * sx + sy * sy);
    cum[i + 1] = cum[i] + seg[i];
  }
  const total = cum[n - 1];
  if (total === 0) return [Float64Array.of(x[0], x[0]), Float64Array.of(y[0], y[0])];
  const count = Math.ceil(total / spacing); // np.arange(0, total, spacing)
  const at = [];
  for (let i = 0; i < count; i++) at.push(i * spacing);
  if (at[at.length - 1] < total) at.push(total);
  const m = at.length;
  const ox = new Float64Array(m);
  const oy = new Float64Array(m);
  let j = 0;
  for (let k = 0; k < m; k++) {
    const s = at[k];
    // searchsorted(cum, s, side="right") - 1, clipped to a segment
    while (j + 1 < n && cum[j + 1] <= s) j++;
    const jj = Math.min(Math.max(j, 0), n - 2);
    const t = (s - cum[jj]) / (seg[jj] > 0 ? seg[jj] : 1.0);
    ox[k] = x[jj] * (1.0 - t) + x[jj + 1] * t;
    oy[k] = y[jj] * (1.0 - t) + y[jj + 1] * t;
  }
  ox[0] = x[0];
  oy[0] = y[0];
  ox[m - 1] = x[n - 1];
  oy[m - 1] = y[n - 1];
  return [ox, oy];
}

/** Ramer-Douglas-Peucker keep-mask (line distance), iterative with a stack. */
function rdpKeep(x, y, epsilon) {
  const n = x.length;
  const keep = new Uint8Array(n);
  keep[0] = keep[n - 1] = 1;
  const stack = [0, n - 1];
  while (stack.length) {
    const b = stack.pop();
    const a = stack.pop();
    if (b <= a + 1) continue;
    const sx = x[a];
    const sy = y[a];
    const dx = x[b] - sx;
    const dy = y[b] - sy;
    const length = Math.sqrt(dx * dx + dy * dy);
    let best = -1;
    let bestDist = -Infinity;
    for (let i = a + 1; i < b; i++) {
      let dist;
      if (length === 0) {
        const px = x[i] - sx;
        const py = y[i] - sy;
        dist = Math.sqrt(px * px + py * py);
      } else {
        dist = Math.abs(dx * (sy - y[i]) - dy * (sx - x[i])) / length;
      }
      if (dist > bestDist) {
        bestDist = dist;
        best = i;
      }
    }
    if (bestDist > epsilon) {
      keep[best] = 1;
      stack.push(a, best, best, b);
    }
  }
  return keep;
}
