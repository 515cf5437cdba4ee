/**
 * Render strokes to 28 x 28 bitmaps exactly as Google made the Quick, Draw! numpy_bitmap files,
 * i.e. as `seqdoodle.render_bitmap` does with libcairo: line diameter 16 and padding 16 in the
 * 256-unit drawing space, round caps and joins, the drawing centred through its max only
 * (offset = (256 - max) / 2), white ink on black, each stroke drawn as `move_to(first point)`
 * then `line_to` every point (the first again, so a one-point stroke is a dot) and `stroke()`.
 * The rasterisation is a port of cairo's own (see `cairo.js`), so the bytes match cairo's.
 */

import { Canvas, buildPath, fillEdges, strokeToEdges } from './cairo.js';
import { DataFormatError } from './errors.js';
import { flattenStrokes } from './drawing.js';

export const ORIGINAL_SIDE = 256;
export const LINE_DIAMETER = 16;
export const PADDING = 16;
export const TOTAL_PADDING = 2 * PADDING + LINE_DIAMETER;

const canvases = new Map();

/** The Google-configured canvas for images `size` pixels wide (cached). */
export function canvasFor(size) {
  if (!Number.isInteger(size)) {
    throw new DataFormatError(`size must be a positive integer, got ${size}`);
  }
  let c = canvases.get(size);
  if (!c) {
    c = new Canvas(size, size / (ORIGINAL_SIDE + TOTAL_PADDING), TOTAL_PADDING / 2, LINE_DIAMETER);
    canvases.set(size, c);
  }
  return c;
}

/** Google's centring offset: `(256 - max) / 2` per axis (the minimum is assumed to be 0). */
export function centreOffset(xs, ys) {
  let mx = -Infinity;
  let my = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    if (xs[i] > mx) mx = xs[i];
    if (ys[i] > my) my = ys[i];
  }
  return [(ORIGINAL_SIDE - mx) / 2.0, (ORIGINAL_SIDE - my) / 2.0];
}

/**
 * Render one drawing to a `size * size` Uint8Array (row-major, 0 background, 255 ink).
 *
 * @param {Array} strokes Google's `drawing` field: strokes `[xs, ys]` or `[xs, ys, ts]` in the
 *   0..255 frame of the simplified format. Empty strokes are skipped; a one-point stroke is a dot.
 * @param {number} [size=28] side of the image in pixels (1..256).
 * @returns {Uint8Array} equal byte for byte to `seqdoodle.render_bitmap(strokes, size)`.
 * @throws {DataFormatError} malformed strokes, NaN/infinite coordinates, no points, or points
 *   so far outside the image that they cannot be rendered exactly.
 * @example renderBitmap([[[0, 255], [0, 255]]]).length // 784
 */
export function renderBitmap(strokes, size = 28) {
  const canvas = canvasFor(size);
  const { xs, ys, lengths } = flattenStrokes(strokes);
  const image = new Uint8Array(size * size);
  drawStrokes(canvas, xs, ys, lengths, [image], () => [255]);
  return image;
}

/**
 * Stroke each polyline of a drawing onto `planes`, stroke i in the colour `colourOf(i)` (one
 * byte per plane), as Google's loop does.
 */
export function drawStrokes(canvas, xs, ys, lengths, planes, colourOf) {
  const [ox, oy] = centreOffset(xs, ys);
  const ux = new Float64Array(xs.length);
  const uy = new Float64Array(ys.length);
  for (let i = 0; i < xs.length; i++) {
    ux[i] = xs[i] + ox;
    uy[i] = ys[i] + oy;
  }
  canvas.assertRenderable(ux, uy);
  let start = 0;
  lengths.forEach((n, k) => {
    const pts = [];
    for (let i = start; i < start + n; i++) pts.push(canvas.toFixed(ux[i], uy[i]));
    start += n;
    const path = buildPath(pts[0], pts); // move_to(first), then line_to every point
    fillEdges(strokeToEdges(canvas, path), canvas.size, planes, colourOf(k));
  });
}

/**
 * Stroke single segments (`move_to(a)`, `line_to(b)`; a == b is a dot) in the user frame
 * already offset for centring.
 */
export function drawSegment(canvas, ax, ay, bx, by, planes, colour) {
  const a = canvas.toFixed(ax, ay);
  const b = canvas.toFixed(bx, by);
  fillEdges(strokeToEdges(canvas, buildPath(a, [b])), canvas.size, planes, colour);
}
