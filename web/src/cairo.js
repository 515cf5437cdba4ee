// SPDX-License-Identifier: MPL-1.1 AND MIT
//
// This file is a JavaScript translation of parts of libcairo 1.16.0 and is distributed under the
// licences of the files it translates: cairo-path-fixed.c, cairo-path-stroke-polygon.c,
// cairo-pen.c and cairo-image-compositor.c are available under the Mozilla Public License 1.1
// (cairo's alternative to the LGPL 2.1), Copyright (c) 2002, 2003 University of Southern
// California, (c) 2005 Red Hat, Inc., (c) 2008 Chris Wilson, (c) 2009-2011 Intel Corporation;
// cairo-tor-scan-converter.c is Copyright (c) 2008 M Joonas Pihlaja and (c) 2007 David Turner,
// under this MIT licence: Permission is hereby granted, free of charge, to any person obtaining a
// copy of this software and associated documentation files (the "Software"), to deal in the
// Software without restriction, including without limitation the rights to use, copy, modify,
// merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit
// persons to whom the Software is furnished to do so, subject to the following conditions: The
// above copyright notice and this permission notice shall be included in all copies or
// substantial portions of the Software. THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF
// ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
// FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
// COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF
// CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE
// OR OTHER DEALINGS IN THE SOFTWARE.
// The rest of the package is Apache-2.0.

/**
 * A port of the parts of libcairo 1.16 that Google's bitmap renderer uses, so that strokes come
 * out byte for byte as `cairo_stroke` draws them on an ARGB32 image surface with
 * CAIRO_ANTIALIAS_BEST, round caps and joins, and an opaque solid source (OVER).
 *
 * The pieces, each following its cairo source file:
 * - path construction (cairo-path-fixed.c): device coordinates rounded to 24.8 fixed point,
 *   repeated points dropped, collinear continuations merged;
 * - the polygon stroker (cairo-path-stroke-polygon.c) with the round pen of cairo-pen.c
 *   (tolerance 0.1 device pixels);
 * - the "tor" scan converter (cairo-tor-scan-converter.c): a 256 x 15 sub-pixel grid, exact
 *   trapezoid areas on full rows, 15 sampled sub-rows otherwise, coverage mapped to 0..255;
 * - the span renderer (cairo-image-compositor.c, `_fill_xrgb32_lerp_opaque_spans`): each
 *   colour byte becomes `min(mul(src, a) + mul(dst, 255 - a), 255)`, `mul` rounding as cairo's.
 *
 * Integer arithmetic that is 64-bit in C stays below 2^53 here because `assertRenderable`
 * keeps device coordinates within +-512 pixels and the image at most 256 pixels wide.
 */

import { DataFormatError } from './errors.js';

const FIXED_ONE = 256;
const MAGIC_FIXED = 1.5 * 2 ** 44; // CAIRO_MAGIC_NUMBER_FIXED: rounds to 1/256, ties to even
const GRID_X = 256;
const GRID_Y = 15;
const TOLERANCE = 0.1; // CAIRO_GSTATE_TOLERANCE_DEFAULT
const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
export const MAX_DEVICE = 512; // pixels; beyond this the integer arithmetic would lose bits
export const MAX_SIZE = 256;

/** `_cairo_fixed_from_double`: nearest 1/256, ties to even (as the FPU adds the magic number). */
export function fixedFromDouble(d) {
  return (d + MAGIC_FIXED - MAGIC_FIXED) * FIXED_ONE;
}

const int16 = (v) => (v << 16) >> 16;

function normalizeSlope(dx0, dy0) {
  // normalize_slope() of cairo-path-stroke-polygon.c; returns [dx, dy, magnitude]
  if (dx0 === 0) return dy0 > 0 ? [0, 1, dy0] : [0, -1, -dy0];
  if (dy0 === 0) return dx0 > 0 ? [1, 0, dx0] : [-1, 0, -dx0];
  const mag = Math.sqrt(dx0 * dx0 + dy0 * dy0);
  return [dx0 / mag, dy0 / mag, mag];
}

/** `_cairo_slope_compare` of slopes (adx, ady) and (bdx, bdy), fixed-point integers. */
function slopeCompare(adx, ady, bdx, bdy) {
  const l = ady * bdx;
  const r = bdy * adx;
  if (l !== r) return l < r ? -1 : 1;
  const az = adx === 0 && ady === 0;
  const bz = bdx === 0 && bdy === 0;
  if (az && bz) return 0;
  if (az) return 1;
  if (bz) return -1;
  if ((adx ^ bdx) < 0 || (ady ^ bdy) < 0) {
    return adx > 0 || (adx === 0 && ady > 0) ? -1 : 1;
  }
  return 0;
}

/**
 * The device transform and the round pen of Google's canvas: `scale(s, s)` then
 * `translate(pad, pad)` in user space, line width 16 user units.
 */
export class Canvas {
  constructor(size, scale, translate, lineWidth) {
    if (!Number.isInteger(size) || size < 1 || size > MAX_SIZE) {
      throw new DataFormatError(`size must be an integer from 1 to ${MAX_SIZE}, got ${size}`);
    }
    this.size = size;
    this.s = scale;
    this.inv = 1 / scale; // ctm_inverse as cairo_scale accumulates it
    this.x0 = translate * scale + translate * 0 + 0; // cairo_matrix_multiply's x0
    this.half = lineWidth / 2;
    this.pen = makePen(this.half, TOLERANCE, scale);
  }

  /** User point to fixed device point, as `cairo_move_to`/`cairo_line_to` store it. */
  toFixed(x, y) {
    return { x: fixedFromDouble(this.s * x + 0 * y + this.x0), y: fixedFromDouble(0 * x + this.s * y + this.x0) };
  }

  /** Check that user coordinates stay in the range whose arithmetic is exact. */
  assertRenderable(xs, ys) {
    const limit = MAX_DEVICE;
    for (let i = 0; i < xs.length; i++) {
      const dx = this.s * xs[i] + this.x0;
      const dy = this.s * ys[i] + this.x0;
      if (!(Math.abs(dx) <= limit && Math.abs(dy) <= limit)) {
        throw new DataFormatError(
          `coordinate (${xs[i]}, ${ys[i]}) lies too far outside the image to render ` +
          `(at most ${limit} pixels from it)`);
      }
    }
  }
}

function makePen(radius, tolerance, s) {
  // _cairo_pen_init with the ctm scale(s): the major axis is radius * sqrt(s*s)
  const i2 = s * s + 0 * 0;
  const j2 = 0 * 0 + s * s;
  const f = 0.5 * (i2 + j2);
  const g = 0.5 * (i2 - j2);
  const h = s * 0 + 0 * s;
  const major = radius * Math.sqrt(f + Math.hypot(g, h));
  let n;
  if (tolerance >= 4 * major) n = 1;
  else if (tolerance >= major) n = 4;
  else {
    n = Math.ceil((2 * Math.PI) / Math.acos(1 - tolerance / major));
    if (n % 2) n++;
    if (n < 4) n = 4;
  }
  const vertices = [];
  for (let i = 0; i < n; i++) {
    const theta = (2 * Math.PI * i) / n;
    const dx = radius * Math.cos(theta);
    const dy = radius * Math.sin(theta);
    vertices.push({ point: { x: fixedFromDouble(s * dx + 0 * dy), y: fixedFromDouble(0 * dx + s * dy) } });
  }
  for (let i = 0, prev = n - 1; i < n; prev = i++) {
    const v = vertices[i];
    const p = vertices[prev].point;
    const nx = vertices[(i + 1) % n].point;
    v.cwx = v.point.x - p.x; // slope_cw
    v.cwy = v.point.y - p.y;
    v.ccwx = nx.x - v.point.x; // slope_ccw
    v.ccwy = nx.y - v.point.y;
  }
  return vertices;
}

function activeCw(pen, ix, iy, ox, oy) {
  const n = pen.length;
  let lo = 0;
  let hi = n;
  let i = (lo + hi) >> 1;
  do {
    if (slopeCompare(pen[i].cwx, pen[i].cwy, ix, iy) < 0) lo = i;
    else hi = i;
    i = (lo + hi) >> 1;
  } while (hi - lo > 1);
  if (slopeCompare(pen[i].cwx, pen[i].cwy, ix, iy) < 0) if (++i === n) i = 0;
  const start = i;
  if (slopeCompare(ox, oy, pen[i].ccwx, pen[i].ccwy) >= 0) {
    lo = i;
    hi = i + n;
    i = (lo + hi) >> 1;
    do {
      let j = i;
      if (j >= n) j -= n;
      if (slopeCompare(pen[j].cwx, pen[j].cwy, ox, oy) > 0) hi = i;
      else lo = i;
      i = (lo + hi) >> 1;
    } while (hi - lo > 1);
    if (i >= n) i -= n;
  }
  return [start, i];
}

function activeCcw(pen, ix, iy, ox, oy) {
  const n = pen.length;
  let lo = 0;
  let hi = n;
  let i = (lo + hi) >> 1;
  do {
    if (slopeCompare(ix, iy, pen[i].ccwx, pen[i].ccwy) < 0) lo = i;
    else hi = i;
    i = (lo + hi) >> 1;
  } while (hi - lo > 1);
  if (slopeCompare(ix, iy, pen[i].ccwx, pen[i].ccwy) < 0) if (++i === n) i = 0;
  const start = i;
  if (slopeCompare(pen[i].cwx, pen[i].cwy, ox, oy) <= 0) {
    lo = i;
    hi = i + n;
    i = (lo + hi) >> 1;
    do {
      let j = i;
      if (j >= n) j -= n;
      if (slopeCompare(ox, oy, pen[j].ccwx, pen[j].ccwy) > 0) hi = i;
      else lo = i;
      i = (lo + hi) >> 1;
    } while (hi - lo > 1);
    if (i >= n) i -= n;
  }
  return [start, i];
}

/**
 * The fixed-point path cairo builds for `move_to(p0)` then `line_to` each of `points`
 * (cairo-path-fixed.c): returns the move point followed by the kept line_to points.
 */
export function buildPath(start, points) {
  const path = [start];
  let lastIsMove = true;
  let cur = start;
  for (const q of points) {
    if (!lastIsMove && q.x === cur.x && q.y === cur.y) continue;
    if (!lastIsMove) {
      const p = path[path.length - 2];
      if (p.x === cur.x && p.y === cur.y) {
        path.pop();
      } else {
        const prev = { dx: cur.x - p.x, dy: cur.y - p.y };
        const self = { dx: q.x - cur.x, dy: q.y - cur.y };
        const equal = prev.dy * self.dx === self.dy * prev.dx;
        const backwards = prev.dx * self.dx + prev.dy * self.dy < 0;
        if (equal && !backwards) path.pop();
      }
    }
    path.push(q);
    cur = q;
    lastIsMove = false;
  }
  return path;
}

/**
 * `_cairo_path_fixed_stroke_to_polygon` for one sub-path (a move point and line_to points):
 * returns the polygon's edges as flat records (x1, y1, x2, y2, dir) with y1 < y2.
 */
export function strokeToEdges(canvas, path) {
  // Contour points are kept flat ([x0, y0, x1, y1, ...]) and faces as flat records: a long
  // stroke makes hundreds of thousands of them.
  const edges = [];
  const pen = canvas.pen;
  const half = canvas.half;
  const cw = { dir: 1, pts: [] };
  const ccw = { dir: -1, pts: [] };
  let hasCurrentFace = false;
  let hasFirstFace = false;
  let hasInitialSubPath = false;
  let currentFace = null;
  let firstFace = null;
  const firstPoint = path[0];
  let cx = path[0].x;
  let cy = path[0].y;

  const addContour = (c) => {
    const pts = c.pts;
    if (pts.length <= 2) return;
    let px = pts[0];
    let py = pts[1];
    for (let i = 0; i < pts.length; i += 2) {
      addEdge(edges, px, py, pts[i], pts[i + 1], c.dir);
      px = pts[i];
      py = pts[i + 1];
    }
  };

  // a face: {px, py, ccwx, ccwy, cwx, cwy, vx, vy} (point, ccw and cw points, device vector)
  const computeFace = (px, py, vx, vy) => {
    let [sdx, sdy] = normalizeSlope(vx / FIXED_ONE, vy / FIXED_ONE);
    [sdx, sdy] = normalizeSlope(canvas.inv * sdx + 0 * sdy, 0 * sdx + canvas.inv * sdy);
    const fx = -sdy * half;
    const fy = sdx * half;
    const ox = fixedFromDouble(canvas.s * fx + 0 * fy);
    const oy = fixedFromDouble(0 * fx + canvas.s * fy);
    return { px, py, ccwx: px + ox, ccwy: py + oy, cwx: px - ox, cwy: py - oy, vx, vy };
  };

  const addFan = (ix, iy, ox, oy, mx, my, clockwise, c) => {
    const n = pen.length;
    const pts = c.pts;
    if (clockwise) {
      let [start, stop] = activeCw(pen, ix, iy, ox, oy);
      while (start !== stop) {
        const v = pen[start].point;
        pts.push(mx + v.x, my + v.y);
        if (++start === n) start = 0;
      }
    } else {
      let [start, stop] = activeCcw(pen, ix, iy, ox, oy);
      while (start !== stop) {
        const v = pen[start].point;
        pts.push(mx + v.x, my + v.y);
        if (start-- === 0) start += n;
      }
    }
  };

  const addCap = (f, c) => {
    addFan(f.vx, f.vy, -f.vx, -f.vy, f.px, f.py, false, c);
    c.pts.push(f.cwx, f.cwy);
  };

  const addLeadingCap = (f, c) => {
    addCap({ px: f.px, py: f.py, ccwx: f.cwx, ccwy: f.cwy, cwx: f.ccwx, cwy: f.ccwy, vx: -f.vx, vy: -f.vy }, c);
  };

  const lineTo = (x, y) => {
    hasInitialSubPath = true;
    if (cx === x && cy === y) return;
    const vx = x - cx;
    const vy = y - cy;
    const start = computeFace(cx, cy, vx, vy);
    if (hasCurrentFace) {
      let clockwise = slopeCompare(currentFace.vx, currentFace.vy, vx, vy);
      if (clockwise) {
        clockwise = clockwise < 0;
        const inF = currentFace;
        // outer_join
        if (!(inF.cwx === start.cwx && inF.cwy === start.cwy &&
              inF.ccwx === start.ccwx && inF.ccwy === start.ccwy)) {
          const outer = clockwise ? cw : ccw;
          addFan(inF.vx, inF.vy, vx, vy, inF.px, inF.py, clockwise, outer);
          if (clockwise) outer.pts.push(start.cwx, start.cwy);
          else outer.pts.push(start.ccwx, start.ccwy);
        }
        // inner_join
        const inner = clockwise ? ccw : cw;
        inner.pts.push(inF.px, inF.py);
        if (clockwise) inner.pts.push(start.ccwx, start.ccwy);
        else inner.pts.push(start.cwx, start.cwy);
      }
    } else {
      if (!hasFirstFace) {
        firstFace = start;
        hasFirstFace = true;
      }
      hasCurrentFace = true;
      cw.pts.push(start.cwx, start.cwy);
      ccw.pts.push(start.ccwx, start.ccwy);
    }
    currentFace = {
      px: x, py: y,
      ccwx: start.ccwx + vx, ccwy: start.ccwy + vy,
      cwx: start.cwx + vx, cwy: start.cwy + vy,
      vx, vy,
    };
    cx = x;
    cy = y;
    cw.pts.push(currentFace.cwx, currentFace.cwy);
    ccw.pts.push(currentFace.ccwx, currentFace.ccwy);
  };

  for (let i = 1; i < path.length; i++) lineTo(path[i].x, path[i].y);

  // add_caps
  if (hasInitialSubPath && !hasFirstFace && !hasCurrentFace) {
    const face = computeFace(firstPoint.x, firstPoint.y, FIXED_ONE, 0);
    addLeadingCap(face, ccw);
    addCap(face, ccw);
    ccw.pts.push(ccw.pts[0], ccw.pts[1]);
    addContour(ccw);
  } else {
    if (hasCurrentFace) addCap(currentFace, ccw);
    addContour(ccw);
    ccw.pts = [];
    if (hasFirstFace) {
      ccw.pts.push(firstFace.cwx, firstFace.cwy);
      addLeadingCap(firstFace, ccw);
      addContour(ccw);
    }
    addContour(cw);
  }
  return edges;
}

/** `_cairo_polygon_add_edge`: drops horizontal edges, orders the ends by y (flat records). */
function addEdge(edges, x1, y1, x2, y2, dir) {
  if (y1 === y2) return;
  if (y1 > y2) edges.push(x2, y2, x1, y1, -dir);
  else edges.push(x1, y1, x2, y2, dir);
}

// ---------------------------------------------------------------------------------------------
// The tor scan converter. Edges and cells are linked lists as in C: the order of edges that
// share a cell decides which one bounds a span, so it is kept exactly.

function divTrunc(a, b) {
  return Math.trunc(a / b);
}

function makeTorEdge(edges, k, ymin, ymax) {
  const p1x = edges[k];
  const p1y = edges[k + 1];
  const p2x = edges[k + 2];
  const p2y = edges[k + 3];
  let ytop = (p1y * GRID_Y + 128) >> 8; // INPUT_TO_GRID_Y, rounding
  if (ytop < ymin) ytop = ymin;
  let ybot = (p2y * GRID_Y + 128) >> 8;
  if (ybot > ymax) ybot = ymax;
  if (ybot <= ytop) return null;
  const e = {
    next: null, prev: null, ytop, heightLeft: ybot - ytop, dir: edges[k + 4], cell: 0,
    xq: 0, xr: 0, dq: 0, dr: 0, fq: 0, fr: 0, dy: 0,
  };
  if (p2x === p1x) {
    e.cell = p1x;
    e.xq = p1x;
  } else {
    const Ex = (p2x - p1x) * GRID_X;
    const Ey = (p2y - p1y) * GRID_Y * (2 << 8);
    e.dq = divTrunc(Ex * 512, Ey);
    e.dr = Ex * 512 - e.dq * Ey;
    let tmp = (2 * ytop + 1) * 256;
    tmp -= p1y * GRID_Y * 2;
    tmp *= Ex;
    e.xq = divTrunc(tmp, Ey);
    e.xr = tmp - e.xq * Ey;
    e.xq += p1x;
    if (e.xr < 0) {
      e.xq--;
      e.xr += Ey;
    } else if (e.xr >= Ey) {
      e.xq++;
      e.xr -= Ey;
    }
    if (e.heightLeft >= GRID_Y) {
      const t = Ex * ((2 * GRID_Y) << 8);
      e.fq = divTrunc(t, Ey);
      e.fr = t - e.fq * Ey;
    }
    e.cell = e.xq + (e.xr >= divTrunc(Ey, 2) ? 1 : 0);
    e.dy = Ey;
  }
  return e;
}

function fullStep(e) {
  if (e.dy === 0) return;
  e.xq += e.fq;
  e.xr += e.fr;
  if (e.xr < 0) {
    e.xq--;
    e.xr += e.dy;
  } else if (e.xr >= e.dy) {
    e.xq++;
    e.xr -= e.dy;
  }
  e.cell = e.xq + (e.xr >= divTrunc(e.dy, 2) ? 1 : 0);
}

function step(e) {
  if (e.dy === 0) return;
  e.xq += e.dq;
  e.xr += e.dr;
  if (e.xr < 0) {
    e.xq--;
    e.xr += e.dy;
  } else if (e.xr >= e.dy) {
    e.xq++;
    e.xr -= e.dy;
  }
  e.cell = e.xq + (e.xr >= divTrunc(e.dy, 2) ? 1 : 0);
}

class CellList {
  constructor() {
    this.tail = { next: null, x: INT_MAX, ua: 0, ch: 0 };
    this.head = { next: this.tail, x: INT_MIN, ua: 0, ch: 0 };
    this.cursor = this.head;
    this.rewindTo = this.head;
  }

  reset() {
    this.cursor = this.head;
    this.head.next = this.tail;
  }

  rewind() {
    this.cursor = this.head;
  }

  maybeRewind(x) {
    if (x < this.cursor.x) {
      this.cursor = this.rewindTo;
      if (x < this.cursor.x) this.cursor = this.head;
    }
  }

  setRewind() {
    this.rewindTo = this.cursor;
  }

  alloc(tail, x) {
    const cell = { next: tail.next, x, ua: 0, ch: 0 };
    tail.next = cell;
    return cell;
  }

  find(x) {
    let tail = this.cursor;
    if (tail.x === x) return tail;
    while (tail.next.x <= x) tail = tail.next;
    if (tail.x !== x) tail = this.alloc(tail, x);
    this.cursor = tail;
    return tail;
  }

  findPair(x1, x2) {
    let c1 = this.cursor;
    while (c1.next.x <= x1) c1 = c1.next;
    if (c1.x !== x1) c1 = this.alloc(c1, x1);
    let c2 = c1;
    while (c2.next.x <= x2) c2 = c2.next;
    if (c2.x !== x2) c2 = this.alloc(c2, x2);
    this.cursor = c2;
    return [c1, c2];
  }

  addSubspan(x1, x2) {
    if (x1 === x2) return;
    const ix1 = x1 >> 8;
    const fx1 = x1 & 255;
    const ix2 = x2 >> 8;
    const fx2 = x2 & 255;
    if (ix1 !== ix2) {
      const [c1, c2] = this.findPair(ix1, ix2);
      c1.ua = int16(c1.ua + 2 * fx1);
      c1.ch = int16(c1.ch + 1);
      c2.ua = int16(c2.ua - 2 * fx2);
      c2.ch = int16(c2.ch - 1);
    } else {
      const c = this.find(ix1);
      c.ua = int16(c.ua + 2 * (fx1 - fx2));
    }
  }

  renderEdge(edge, sign) {
    let x1q = edge.xq;
    let x1r = edge.xr;
    fullStep(edge);
    let x2q = edge.xq;
    let x2r = edge.xr;
    if (edge.dy) {
      const hq = divTrunc(edge.dq, 2);
      const hr = divTrunc(edge.dr, 2);
      x1q -= hq;
      x1r -= hr;
      if (x1r < 0) {
        --x1q;
        x1r += edge.dy;
      } else if (x1r >= edge.dy) {
        ++x1q;
        x1r -= edge.dy;
      }
      x2q -= hq;
      x2r -= hr;
      if (x2r < 0) {
        --x2q;
        x2r += edge.dy;
      } else if (x2r >= edge.dy) {
        ++x2q;
        x2r -= edge.dy;
      }
    }
    let ix1 = x1q >> 8;
    let fx1 = x1q & 255;
    let ix2 = x2q >> 8;
    let fx2 = x2q & 255;
    this.maybeRewind(Math.min(ix1, ix2));
    if (ix1 === ix2) {
      const c = this.find(ix1);
      c.ch = int16(c.ch + sign * GRID_Y);
      c.ua = int16(c.ua + sign * (fx1 + fx2) * GRID_Y);
      return;
    }
    if (ix2 < ix1) {
      [ix1, ix2] = [ix2, ix1];
      [fx1, fx2] = [fx2, fx1];
      [x1q, x2q] = [x2q, x1q];
      [x1r, x2r] = [x2r, x1r];
    }
    const dx = (x2q - x1q) * edge.dy + (x2r - x1r);
    let tmp = (ix1 + 1) * GRID_X * edge.dy;
    tmp -= x1q * edge.dy + x1r;
    tmp *= GRID_Y;
    let yq = divTrunc(tmp, dx);
    let yr = tmp - yq * dx;
    let [c1, c2] = this.findPair(ix1, ix1 + 1);
    c1.ua = int16(c1.ua + sign * yq * (GRID_X + fx1));
    c1.ch = int16(c1.ch + sign * yq);
    let yLast = yq;
    if (ix1 + 1 < ix2) {
      let cell = c2;
      const full = GRID_Y * GRID_X * edge.dy;
      const fq = divTrunc(full, dx);
      const fr = full - fq * dx;
      ++ix1;
      do {
        yq += fq;
        yr += fr;
        if (yr >= dx) {
          yq++;
          yr -= dx;
        }
        cell.ua = int16(cell.ua + sign * (yq - yLast) * GRID_X);
        cell.ch = int16(cell.ch + sign * (yq - yLast));
        yLast = yq;
        ++ix1;
        cell = this.find(ix1);
      } while (ix1 !== ix2);
      c2 = cell;
    }
    c2.ua = int16(c2.ua + sign * (GRID_Y - yLast) * fx2);
    c2.ch = int16(c2.ch + sign * (GRID_Y - yLast));
  }
}

function mergeSortedEdges(headA, headB) {
  // merge_sorted_edges(); lists are linked through next, prev kept up to date
  let head;
  let prev = headA.prev;
  let x;
  let a = headA;
  let b = headB;
  let setNext; // function storing into the "next" slot that precedes
  if (a.cell <= b.cell) {
    head = a;
  } else {
    head = b;
    b.prev = prev;
    // start_with_b
    x = a.cell;
    while (b !== null && b.cell <= x) {
      prev = b;
      setNext = prev;
      b = b.next;
    }
    a.prev = prev;
    setNext.next = a;
    if (b === null) return head;
  }
  for (;;) {
    x = b.cell;
    while (a !== null && a.cell <= x) {
      prev = a;
      setNext = a;
      a = a.next;
    }
    b.prev = prev;
    setNext.next = b;
    if (a === null) return head;
    x = a.cell;
    while (b !== null && b.cell <= x) {
      prev = b;
      setNext = b;
      b = b.next;
    }
    a.prev = prev;
    setNext.next = a;
    if (b === null) return head;
  }
}

function sortEdges(list, level, out) {
  // sort_edges(): returns the remaining list, stores the sorted head in out.head
  let headOther = list.next;
  if (headOther === null) {
    out.head = list;
    return null;
  }
  let remaining = headOther.next;
  if (list.cell <= headOther.cell) {
    out.head = list;
    headOther.next = null;
  } else {
    out.head = headOther;
    headOther.prev = list.prev;
    headOther.next = list;
    list.prev = headOther;
    list.next = null;
  }
  for (let i = 0; i < level && remaining; i++) {
    const o = { head: null };
    remaining = sortEdges(remaining, i, o);
    out.head = mergeSortedEdges(out.head, o.head);
  }
  return remaining;
}

function mergeUnsortedEdges(head, unsorted) {
  const o = { head: null };
  sortEdges(unsorted, 0xffffffff, o);
  return mergeSortedEdges(head, o.head);
}

/**
 * Scan-convert polygon edges (nonzero winding) and composite an opaque colour over `planes`.
 *
 * @param {number[]} edges from `strokeToEdges`: flat records (x1, y1, x2, y2, dir), y1 < y2.
 * @param {number} size image side in pixels.
 * @param {Uint8Array[]} planes one `size * size` image per colour byte.
 * @param {number[]} colour the source byte for each plane.
 */
export function fillEdges(edges, size, planes, colour) {
  const ymin = 0;
  const ymax = size * GRID_Y;
  const xminI = 0;
  const xmaxI = size;
  const h = size;
  const buckets = new Array(h).fill(null);
  for (let k = 0; k < edges.length; k += 5) {
    const e = makeTorEdge(edges, k, ymin, ymax);
    if (e === null) continue;
    const ix = Math.trunc((e.ytop - ymin) / GRID_Y);
    e.next = buckets[ix];
    buckets[ix] = e;
  }
  const tail = { next: null, prev: null, cell: INT_MAX, heightLeft: INT_MAX, dy: 0 };
  const head = { next: tail, prev: null, cell: INT_MIN, heightLeft: INT_MAX, dy: 0 };
  tail.prev = head;
  const active = { head, tail, minHeight: 0, isVertical: 1 };
  const cells = new CellList();
  const sub = new Array(GRID_Y).fill(null);

  const mergeIntoActive = (edges) => {
    active.head.next = mergeUnsortedEdges(active.head.next, edges);
  };

  for (let i = 0, j; i < h; i = j) {
    let doFullRow = false;
    j = i + 1;
    if (fillBuckets(active, buckets[i], (i + 0) * GRID_Y, sub) === 0) {
      if (sub[0]) {
        mergeIntoActive(sub[0]);
        sub[0] = null;
      }
      if (active.head.next === active.tail) {
        active.minHeight = INT_MAX;
        active.isVertical = 1;
        for (; j < h && !buckets[j]; j++);
        continue;
      }
      doFullRow = canDoFullRow(active);
    }
    if (doFullRow) {
      fullRow(active, cells);
      if (active.isVertical) {
        while (j < h && buckets[j] === null && active.minHeight >= 2 * GRID_Y) {
          active.minHeight -= GRID_Y;
          j++;
        }
        if (j !== i + 1) stepEdges(active, j - (i + 1));
      }
    } else {
      for (let s = 0; s < GRID_Y; s++) {
        if (sub[s]) {
          mergeIntoActive(sub[s]);
          sub[s] = null;
        }
        subRow(active, cells);
      }
    }
    blit(cells, i, j - i, xminI, xmaxI, size, planes, colour);
    cells.reset();
    active.minHeight -= GRID_Y;
  }
}

function fillBuckets(active, edge, y, sub) {
  let minHeight = active.minHeight;
  let isVertical = active.isVertical;
  let maxSuby = 0;
  while (edge) {
    const next = edge.next;
    const suby = edge.ytop - y;
    if (sub[suby]) sub[suby].prev = edge;
    edge.next = sub[suby];
    edge.prev = null;
    sub[suby] = edge;
    if (edge.heightLeft < minHeight) minHeight = edge.heightLeft;
    isVertical &= edge.dy === 0 ? 1 : 0;
    edge = next;
    if (suby > maxSuby) maxSuby = suby;
  }
  active.isVertical = isVertical;
  active.minHeight = minHeight;
  return maxSuby;
}

function canDoFullRow(active) {
  let prevX = INT_MIN;
  if (active.minHeight <= 0) {
    let minHeight = INT_MAX;
    let isVertical = 1;
    for (let e = active.head.next; e !== null; e = e.next) {
      if (e.heightLeft < minHeight) minHeight = e.heightLeft;
      isVertical &= e.dy === 0 ? 1 : 0;
    }
    active.isVertical = isVertical;
    active.minHeight = minHeight;
  }
  if (active.minHeight < GRID_Y) return false;
  for (let e = active.head.next; e !== active.tail; e = e.next) {
    let cell;
    if (e.dy) {
      let q = e.xq + e.fq;
      let r = e.xr + e.fr;
      if (r < 0) {
        q--;
        r += e.dy;
      } else if (r >= e.dy) {
        q++;
        r -= e.dy;
      }
      cell = q + (r >= divTrunc(e.dy, 2) ? 1 : 0);
    } else cell = e.cell;
    if (cell < prevX) return false;
    prevX = cell;
  }
  return true;
}

function subRow(active, cells) {
  let edge = active.head.next;
  let xstart = INT_MIN;
  let prevX = INT_MIN;
  let winding = 0;
  cells.rewind();
  while (active.tail !== edge) {
    const next = edge.next;
    const xend = edge.cell;
    if (--edge.heightLeft) {
      step(edge);
      if (edge.cell < prevX) {
        let pos = edge.prev;
        pos.next = next;
        next.prev = pos;
        do {
          pos = pos.prev;
        } while (edge.cell < pos.cell);
        pos.next.prev = edge;
        edge.next = pos.next;
        edge.prev = pos;
        pos.next = edge;
      } else prevX = edge.cell;
      active.minHeight = -1;
    } else {
      edge.prev.next = next;
      next.prev = edge.prev;
    }
    winding += edge.dir;
    if (winding === 0) {
      if (next.cell !== xend) {
        cells.addSubspan(xstart, xend);
        xstart = INT_MIN;
      }
    } else if (xstart === INT_MIN) xstart = xend;
    edge = next;
  }
}

function dec(active, e, h) {
  e.heightLeft -= h;
  if (e.heightLeft === 0) {
    e.prev.next = e.next;
    e.next.prev = e.prev;
    active.minHeight = -1;
  }
}

function fullRow(active, cells) {
  let left = active.head.next;
  while (active.tail !== left) {
    dec(active, left, GRID_Y);
    let winding = left.dir;
    let right = left.next;
    for (;;) {
      dec(active, right, GRID_Y);
      winding += right.dir;
      if (winding === 0 && right.next.cell !== right.cell) break;
      fullStep(right);
      right = right.next;
    }
    cells.setRewind();
    cells.renderEdge(left, +1);
    cells.renderEdge(right, -1);
    left = right.next;
  }
}

function stepEdges(active, count) {
  count *= GRID_Y;
  for (let e = active.head.next; e !== active.tail; e = e.next) {
    e.heightLeft -= count;
    if (!e.heightLeft) {
      e.prev.next = e.next;
      e.next.prev = e.prev;
      active.minHeight = -1;
    }
  }
}

const areaToAlpha = (c) => (c + (c << 4) + 256) >> 9;

function blit(cells, y, height, xmin, xmax, size, planes, colour) {
  // blit_a8() producing spans, then _fill_xrgb32_lerp_opaque_spans() over every plane
  let cell = cells.head.next;
  if (cell === cells.tail) return;
  let prevX = xmin;
  let lastX = -1;
  let cover = 0;
  let lastCover = 0;
  const spans = [];
  while (cell.x < xmin) {
    cover = int16(cover + cell.ch);
    cell = cell.next;
  }
  cover = int16(cover * GRID_X * 2);
  for (; cell.x < xmax; cell = cell.next) {
    const x = cell.x;
    if (x > prevX && cover !== lastCover) {
      spans.push(prevX, areaToAlpha(cover));
      lastCover = cover;
      lastX = prevX;
    }
    cover = int16(cover + cell.ch * GRID_X * 2);
    const area = int16(cover - cell.ua);
    if (area !== lastCover) {
      spans.push(x, areaToAlpha(area));
      lastCover = area;
      lastX = x;
    }
    prevX = x + 1;
  }
  if (prevX <= xmax && cover !== lastCover) {
    spans.push(prevX, areaToAlpha(cover));
    lastCover = cover;
    lastX = prevX;
  }
  if (lastX < xmax && lastCover) spans.push(xmax, 0);
  for (let k = 0; k + 2 < spans.length; k += 2) {
    const a = spans[k + 1] & 255;
    if (!a) continue;
    const x0 = spans[k];
    const x1 = spans[k + 2];
    for (let p = 0; p < planes.length; p++) {
      const plane = planes[p];
      const c = colour[p];
      for (let yy = y; yy < y + height; yy++) {
        const row = yy * size;
        for (let x = x0; x < x1; x++) {
          plane[row + x] = a === 255 ? c : lerp(c, a, plane[row + x]);
        }
      }
    }
  }
}

function mul8(x, a) {
  const t = x * a + 0x7f;
  return ((t + ((t >> 8) & 0xff)) >> 8) & 0xff;
}

/** cairo's lerp8x4 for one byte: `min(mul(src, a) + mul(dst, 255 - a), 255)`. */
export function lerp(src, a, dst) {
  const v = mul8(src, a) + mul8(dst, 255 - a);
  return v > 255 ? 255 : v;
}

/** The byte cairo stores for a colour component in 0..1 (`_cairo_color_double_to_short >> 8`). */
export function colourByte(v) {
  const c = v < 0 ? 0 : v > 1 ? 1 : v;
  return Math.floor(c * 65535.0 + 0.5) >> 8;
}
