import { DataFormatError } from './errors.js';

/**
 * Validate Google strokes `[[xs, ys], ...]` or `[[xs, ys, ts], ...]` and flatten them.
 *
 * @param {Array} strokes the drawing; empty strokes are skipped.
 * @param {{times?: boolean, allowEmpty?: boolean}} [options] `times`: also collect the third
 *   array of every stroke when all non-empty strokes have one (else `times` is null).
 * @returns {{xs: Float64Array, ys: Float64Array, lengths: number[], times: Float64Array|null}}
 * @throws {DataFormatError} not a list of strokes, unequal x/y lengths, non-numbers, NaN or
 *   infinite values, or (unless `allowEmpty`) no points at all.
 */
export function flattenStrokes(strokes, { times = false, allowEmpty = false } = {}) {
  if (!Array.isArray(strokes)) {
    throw new DataFormatError(`drawing must be a list of strokes, got ${typeName(strokes)}`);
  }
  let total = 0;
  for (let i = 0; i < strokes.length; i++) {
    const stroke = strokes[i];
    if (!Array.isArray(stroke) || stroke.length < 2) {
      throw new DataFormatError(`stroke ${i}: expected [xs, ys] or [xs, ys, ts]`);
    }
    if (!isList(stroke[0]) || !isList(stroke[1])) {
      throw new DataFormatError(`stroke ${i}: x and y must be flat lists of numbers`);
    }
    if (stroke[0].length !== stroke[1].length) {
      throw new DataFormatError(
        `stroke ${i}: ${stroke[0].length} x values but ${stroke[1].length} y values`);
    }
    total += stroke[0].length;
  }
  if (total === 0 && !allowEmpty) throw new DataFormatError('drawing has no points');
  const xs = new Float64Array(total);
  const ys = new Float64Array(total);
  const lengths = [];
  let withTimes = times;
  let k = 0;
  for (let i = 0; i < strokes.length; i++) {
    const [sx, sy] = strokes[i];
    const n = sx.length;
    if (n === 0) continue;
    if (withTimes && !(strokes[i].length >= 3 && isList(strokes[i][2]))) withTimes = false;
    for (let j = 0; j < n; j++, k++) {
      const x = sx[j];
      const y = sy[j];
      if (typeof x !== 'number' || typeof y !== 'number') {
        throw new DataFormatError(`stroke ${i}: coordinates are not numbers`);
      }
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        throw new DataFormatError(`stroke ${i}: NaN or infinite coordinates`);
      }
      xs[k] = x;
      ys[k] = y;
    }
    lengths.push(n);
  }
  let ts = null;
  if (withTimes && lengths.length) {
    ts = new Float64Array(total);
    k = 0;
    for (let i = 0; i < strokes.length; i++) {
      const s = strokes[i];
      if (s[0].length === 0) continue;
      if (s[2].length !== s[0].length) {
        throw new DataFormatError("drawing's times do not match its points");
      }
      for (let j = 0; j < s[2].length; j++, k++) {
        const t = s[2][j];
        if (typeof t !== 'number' || !Number.isFinite(t)) {
          throw new DataFormatError("drawing's times do not match its points");
        }
        ts[k] = t;
      }
    }
  }
  return { xs, ys, lengths, times: ts };
}

export function isList(v) {
  return Array.isArray(v) || ArrayBuffer.isView(v);
}

export function typeName(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}
