"""Procedural doodles in Google's Quick, Draw! formats, for work without a network.

Each drawing is planned as pen strokes in a unit frame (y points down, as on a screen), then drawn
with human-like variation: smooth wobble along every stroke plus tremor, scale, aspect, rotation,
shear, one-stroke versus several-stroke shapes, stroke order and direction, overshoot or a gap where
a shape closes, and the odd stray mark. Pen timing follows a minimum-jerk speed profile per movement
(slow at corners, fast mid-side), sampled every ~17 ms as on a phone. That gives Google's raw format
`[xs, ys, ts]`; the simplified format is `seqdoodle.strokes.simplify.simplify_strokes` of it.

Stroke order and direction carry information for some classes (sun rays go round the circle and
outwards, lightning is drawn top-down, star lines follow the pentagram, a house is body then roof)
and none for others (square, hexagon and octagon sides and wheel spokes come in any order and
direction). Near-confusable groups keep the task from being trivial: circle / hexagon / octagon,
square / envelope (a few envelopes have no flap), zigzag / lightning, sun / wheel, triangle / house.

Drawing `i` of a class depends only on `(seed, class position in SYNTHETIC_CLASSES, i)`, so the
first 50 of a request for 100 are the 50 of a request for 50, and `start` continues a stream.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from seqdoodle.datasets.categories import check_class, parse_class_list
from seqdoodle.datasets.records import Drawing
from seqdoodle.errors import DataFormatError
from seqdoodle.fileio import atomic_write

SYNTHETIC_CLASSES: tuple[str, ...] = (
    "circle",
    "hexagon",
    "octagon",
    "square",
    "envelope",
    "triangle",
    "house",
    "star",
    "zigzag",
    "lightning",
    "sun",
    "wheel",
)

FORMATS = ("simplified", "raw")
_MAX_INDEX = 10**9
_COUNTRIES = ("US", "GB", "CA", "DE", "BR", "AU", "RU", "PH", "FI", "KR")
_COUNTRY_P = (0.4, 0.1, 0.08, 0.08, 0.07, 0.06, 0.06, 0.05, 0.05, 0.05)
_EPOCH = datetime(2017, 1, 1, tzinfo=timezone.utc)
_TAU = 2 * np.pi

# ---------------------------------------------------------------------------------------------
# Plans: a drawing is a list of strokes, a stroke a list of movements, a movement a (k, 2) float
# polyline in the unit frame. The pen slows down between movements (corners), not inside one.
# ---------------------------------------------------------------------------------------------


def _rot(points: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return points @ np.array([[c, s], [-s, c]])


def _map(plan: list, fn) -> list:
    return [[fn(m) for m in stroke] for stroke in plan]


def _reverse(stroke: list) -> list:
    return [m[::-1] for m in stroke[::-1]]


def _ellipse(rx, ry, start, sweep, drift=0.0, cx=0.0, cy=0.0) -> np.ndarray:
    """An arc as a polyline; `drift` makes the radius grow linearly (a hand-drawn spiral close)."""
    n = max(6, int(abs(sweep) / _TAU * 40))
    t = np.linspace(0.0, 1.0, n)
    ang = start + sweep * t
    r = 1.0 + drift * t
    return np.stack([cx + rx * r * np.cos(ang), cy + ry * r * np.sin(ang)], axis=1)


def _loop(rng, rx, ry, cx=0.0, cy=0.0, start=None) -> np.ndarray:
    """A hand-drawn closed curve: mostly from the top, mostly anticlockwise, overshoot or gap."""
    if start is None:
        start = -np.pi / 2 + rng.normal(0, 0.5) if rng.random() < 0.7 else rng.uniform(0, _TAU)
    sign = -1.0 if rng.random() < 0.65 else 1.0
    sweep = sign * (_TAU + min(max(rng.normal(0.15, 0.25), -0.5), 0.8))
    return _ellipse(rx, ry, start, sweep, rng.normal(0, 0.05), cx, cy)


def _polygon(rng, n, aspect=1.0, phase=0.0, jitter=0.05, inner=None) -> np.ndarray:
    """Vertices of a regular polygon (or a star when `inner` is the inner radius), jittered."""
    ang = phase + _TAU * np.arange(n) / n + rng.normal(0, jitter, n)
    r = 1.0 + rng.normal(0, jitter, n)
    if inner is not None:
        r[1::2] *= inner
    return np.stack([r * np.cos(ang), aspect * r * np.sin(ang)], axis=1)


def _cut_corners(vertices: np.ndarray, frac: float) -> np.ndarray:
    """Round a closed polygon by cutting every corner at `frac` of the adjacent sides."""
    nxt = np.roll(vertices, -1, axis=0)
    a = vertices + frac * (nxt - vertices)
    b = nxt - frac * (nxt - vertices)
    return np.stack([a, b], axis=1).reshape(-1, 2)


def _closed_path(rng, vertices, start=None, reverse=None) -> list:
    """A closed polygon as one stroke, a movement per side, overshoot or a gap at the close."""
    n = len(vertices)
    start = int(rng.integers(n)) if start is None else start
    if reverse is None:
        reverse = rng.random() < 0.5
    order = np.roll(vertices, -start, axis=0)
    if reverse:
        order = np.concatenate([order[:1], order[:0:-1]])
    pts = np.concatenate([order, order[:1]])
    moves = [pts[i : i + 2] for i in range(n)]
    close = min(max(rng.normal(0.04, 0.07), -0.15), 0.25)
    if close > 0:  # overshoot: the last side flicks on along the first one
        moves[-1] = np.stack([pts[-2], pts[0], pts[0] + close * (pts[1] - pts[0])])
    else:  # stop short of the start
        moves[-1] = np.stack([pts[-2], pts[0] - close * (pts[-2] - pts[0])])
    return moves


def _split(rng, moves: list, n_strokes: int) -> list:
    """Cut one stroke's movements into `n_strokes` strokes at movement boundaries."""
    n_strokes = int(min(n_strokes, len(moves)))
    if n_strokes <= 1:
        return [moves]
    cuts = np.sort(rng.choice(np.arange(1, len(moves)), n_strokes - 1, replace=False))
    bounds = [0, *cuts.tolist(), len(moves)]
    return [moves[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def _shuffle(rng, strokes: list, p_reverse=0.35) -> list:
    """Any order, any direction: for parts whose order carries no information."""
    out = [strokes[i] for i in rng.permutation(len(strokes))]
    return [_reverse(s) if rng.random() < p_reverse else s for s in out]


def _seg(a, b) -> list:
    return [np.array([a, b], dtype=float)]


def _poly(*points) -> list:
    pts = np.asarray(points, dtype=float)
    return [pts[i : i + 2] for i in range(len(pts) - 1)]


def _n_strokes(rng, probs) -> int:
    return int(rng.choice(len(probs), p=probs)) + 1


# ------------------------------------------- classes -------------------------------------------


def _circle(rng) -> list:
    path = _loop(rng, 1.0, rng.uniform(0.82, 1.15))
    if rng.random() < 0.1:
        k = len(path) // 2 + int(rng.integers(-3, 4))
        return [[path[: k + 1]], [path[k:]]]
    return [[path]]


def _ngon(rng, n) -> list:
    phase = rng.uniform(0, _TAU / n) if rng.random() < 0.5 else rng.choice([0, np.pi / n])
    vertices = _polygon(rng, n, rng.uniform(0.85, 1.15), phase - np.pi / 2, 0.05)
    if rng.random() < 0.25:
        vertices = _cut_corners(vertices, rng.uniform(0.05, 0.18))
    moves = _closed_path(rng, vertices)
    u = rng.random()
    if u < 0.55:
        return [moves]
    if u < 0.85:
        return _split(rng, moves, int(rng.integers(2, 4)))
    return _shuffle(rng, _split(rng, moves, len(moves)), 0.3)


def _rectangle(rng, half_height) -> list:
    h = half_height
    vertices = np.array([[-1, -h], [1, -h], [1, h], [-1, h]]) + rng.normal(0, 0.04, (4, 2))
    start = 0 if rng.random() < 0.6 else int(rng.integers(4))
    moves = _closed_path(rng, vertices, start, reverse=rng.random() < 0.3)
    n = _n_strokes(rng, [0.5, 0.2, 0.1, 0.2])
    strokes = _split(rng, moves, n)
    return _shuffle(rng, strokes, 0.3) if n == 4 and rng.random() < 0.5 else strokes


def _square(rng) -> list:
    return _rectangle(rng, rng.uniform(0.78, 1.12))


def _envelope(rng) -> list:
    h = rng.uniform(0.5, 0.78)
    body = _rectangle(rng, h)
    if rng.random() < 0.1:  # no flap: just a (wide) rectangle
        return body
    depth = rng.uniform(0.25, 0.8) * 2 * h
    inset = rng.uniform(0.0, 0.08, 2)
    tip = (rng.normal(0, 0.08), -h + depth)
    flap = _poly((-1 + inset[0], -h + inset[0]), tip, (1 - inset[1], -h + inset[1]))
    if rng.random() < 0.3:
        flap = _reverse(flap)
    parts = [flap]
    if rng.random() < 0.1:  # the back seams
        parts.append(_poly((-1, h), (-0.15, 0.1 * h)))
        parts.append(_poly((1, h), (0.15, 0.1 * h)))
    return body + parts if rng.random() < 0.85 else parts + body


def _triangle(rng) -> list:
    b = rng.uniform(0.75, 1.2)
    vertices = np.array([[rng.normal(0, 0.15), -1.0], [-b, 1.0], [b, 1.0]])
    vertices += rng.normal(0, 0.04, (3, 2))
    start = 0 if rng.random() < 0.6 else int(rng.integers(3))
    moves = _closed_path(rng, vertices, start)
    return _split(rng, moves, _n_strokes(rng, [0.6, 0.25, 0.15]))


def _house(rng) -> list:
    w, top = rng.uniform(0.65, 1.0), rng.uniform(-0.2, 0.25)
    eave, apex = rng.uniform(0, 0.2), (rng.normal(0, 0.1), -1.0)
    roof = _poly((-w - eave, top), apex, (w + eave, top))
    if rng.random() < 0.3:
        body = [_poly((-w, top), (-w, 1), (w, 1), (w, top))]
        if rng.random() < 0.5:
            roof = roof + _poly((w + eave, top), (-w - eave, top))
    else:
        body = _rectangle(rng, 1.0)
        body = _map(body, lambda m: m * [w, (1 - top) / 2] + [0, (1 + top) / 2])
    parts = body + [roof] if rng.random() < 0.75 else [roof] + body
    floor = 1.0
    if rng.random() < 0.55:
        dx, dw, dh = rng.uniform(-0.5, 0.5) * w, rng.uniform(0.12, 0.22), rng.uniform(0.3, 0.6)
        dh *= floor - top
        parts.append(
            _poly((dx - dw, floor), (dx - dw, floor - dh), (dx + dw, floor - dh), (dx + dw, floor))
        )
    if rng.random() < 0.35:
        side, s = rng.choice([-1, 1]), rng.uniform(0.12, 0.2)
        cx, cy = side * 0.55 * w, top + 0.35 * (floor - top)
        window = _closed_path(rng, np.array([[-s, -s], [s, -s], [s, s], [-s, s]]) + [cx, cy], 0)
        parts.append(window)
        if rng.random() < 0.4:
            parts.append(_seg((cx - s, cy), (cx + s, cy)))
            parts.append(_seg((cx, cy - s), (cx, cy + s)))
    angle = rng.normal(0, 0.04)
    return _map(parts, lambda m: _rot(m, angle))


def _star(rng) -> list:
    phase = -np.pi / 2 + rng.normal(0, 0.12)
    if rng.random() < 0.55:
        vertices = _polygon(rng, 10, rng.uniform(0.9, 1.1), phase, 0.04, rng.uniform(0.36, 0.55))
        moves = _closed_path(rng, vertices, 2 * int(rng.integers(5)))
        return _split(rng, moves, _n_strokes(rng, [0.85, 0.15]))
    vertices = _polygon(rng, 5, rng.uniform(0.9, 1.1), phase, 0.05)
    order = [(2 * k) % 5 for k in range(6)]  # 0 2 4 1 3 0: the pentagram
    start = 3 if rng.random() < 0.5 else int(rng.integers(5))  # often from the lower left
    pts = vertices[[(start + o) % 5 for o in order]]
    if rng.random() < 0.5:
        pts = pts[::-1]
    moves = [pts[i : i + 2].copy() for i in range(5)]
    moves[-1][1] += rng.normal(0, 0.05, 2)
    return [moves]


def _zigzag(rng) -> list:
    n = int(rng.choice(np.arange(3, 10), p=[0.12, 0.16, 0.18, 0.18, 0.14, 0.12, 0.1]))
    amp = rng.uniform(0.25, 0.9)
    x = np.linspace(-1, 1, n + 1) + rng.normal(0, 0.25 / n, n + 1)
    y = amp * (np.where(np.arange(n + 1) % 2 == 0, 1.0, -1.0) * rng.choice([-1, 1]))
    y = y + rng.normal(0, 0.08 * amp, n + 1)
    pts = np.stack([x, y], axis=1)
    if rng.random() < 0.25:
        pts = pts[::-1]  # mostly from the left
    u = rng.random()
    angle = rng.normal(0, 0.17) if u < 0.65 else rng.choice([-1, 1]) * rng.uniform(0.35, 0.95)
    if u > 0.85:
        angle = np.pi / 2 + rng.normal(0, 0.25)
    pts = _rot(pts, angle)
    if u > 0.85 and (pts[0, 1] > pts[-1, 1]) == (rng.random() < 0.7):
        pts = pts[::-1]  # vertical ones mostly top-down
    moves = _poly(*pts)
    return _split(rng, moves, _n_strokes(rng, [0.95, 0.05]))


def _lightning(rng) -> list:
    u = rng.random()
    if u < 0.6:  # open bolt, top to bottom: diagonal, jog, diagonal (, jog, diagonal)
        n_diag = 2 if rng.random() < 0.7 else 3
        ys = np.linspace(-1, 1, n_diag + 1) + rng.normal(0, 0.06, n_diag + 1)
        slant, jog = rng.uniform(0.35, 0.8), rng.uniform(0.25, 0.6)
        pts, x = [(0.0, ys[0])], 0.0
        for k in range(n_diag):
            x -= slant * (ys[k + 1] - ys[k])
            pts.append((x, ys[k + 1]))
            if k < n_diag - 1:
                x += jog
                pts.append((x, ys[k + 1] + rng.normal(0, 0.05)))
        pts = np.array(pts)
        moves = _poly(*pts)
        strokes = _split(rng, moves, _n_strokes(rng, [0.85, 0.15]))
        if rng.random() < 0.2:  # an arrow head at the strike point
            end, d = pts[-1], rng.uniform(0.15, 0.3)
            strokes.append(_poly(end + [-d, -0.3 * d], end, end + [0.3 * d, -d]))
    else:  # closed outline
        outline = np.array(
            [
                [0.25, -1],
                [-0.45, 0.1],
                [0.0, 0.05],
                [-0.3, 1],
                [0.5, -0.2],
                [0.05, -0.15],
                [0.6, -1],
            ]
        )
        outline = outline + rng.normal(0, 0.05, outline.shape)
        strokes = _split(
            rng, _closed_path(rng, outline, 0, rng.random() < 0.7), _n_strokes(rng, [0.8, 0.2])
        )
    flip, angle = rng.choice([-1.0, 1.0]), rng.normal(0, 0.2)
    return _map(strokes, lambda m: _rot(m * [flip, 1], angle))


def _sun(rng) -> list:
    circle = [_loop(rng, 1.0, rng.uniform(0.85, 1.15))]
    n = int(rng.integers(6, 15))
    gap, length = rng.uniform(0.1, 0.3), rng.uniform(0.35, 0.8)
    ang = rng.uniform(0, _TAU) + _TAU * np.arange(n) / n + rng.normal(0, 0.08, n)
    if rng.random() < 0.5:
        ang = ang[::-1]  # round the other way
    unit = np.stack([np.cos(ang), np.sin(ang)], axis=1)
    r0 = 1 + gap + rng.normal(0, 0.05, (n, 1))
    r1 = r0 + length * rng.uniform(0.7, 1.3, (n, 1))
    if rng.random() < 0.15:  # rays as one zigzag round the circle
        mid = np.stack([np.cos(ang + np.pi / n), np.sin(ang + np.pi / n)], axis=1)
        pts = np.stack([unit * r0, mid * r1], axis=1).reshape(-1, 2)
        rays = [_poly(*pts[: 2 * n - 1])]
    else:
        keep = rng.random(n) > 0.08
        rays = [[np.stack([a, b])] for a, b, k in zip(unit * r0, unit * r1, keep) if k]
        if rng.random() < 0.2:
            rays = [rays[i] for i in rng.permutation(len(rays))]
        rays = [_reverse(r) if rng.random() < 0.15 else r for r in rays]
    return [circle] + rays if rng.random() < 0.88 else rays + [circle]


def _wheel(rng) -> list:
    aspect = rng.uniform(0.88, 1.12)
    parts = [[_loop(rng, 1.0, aspect)]]
    rim = 1.0
    if rng.random() < 0.4:  # the tyre
        rim = rng.uniform(0.75, 0.9)
        parts.append([_loop(rng, rim, rim * aspect)])
    hub = rng.uniform(0.1, 0.25) if rng.random() < 0.5 else 0.0
    n = int(rng.integers(3, 9))
    ang = rng.uniform(0, _TAU) + _TAU * np.arange(n) / n + rng.normal(0, 0.06, n)
    unit = np.stack([np.cos(ang), aspect * np.sin(ang)], axis=1)
    if hub == 0 and rng.random() < 0.6:  # diameters through the centre
        spokes = [_seg(-0.97 * rim * d, 0.97 * rim * d) for d in unit[: max(2, n // 2)]]
    else:
        spokes = [_seg(hub * d, 0.97 * rim * d) for d in unit]
    spokes = _shuffle(rng, spokes, 0.5)
    centre = [[_loop(rng, hub, hub * aspect)]] if hub else []
    inner = centre + spokes
    return parts + inner if rng.random() < 0.8 else inner + parts


_PLANNERS = {
    "circle": _circle,
    "hexagon": lambda rng: _ngon(rng, 6),
    "octagon": lambda rng: _ngon(rng, 8),
    "square": _square,
    "envelope": _envelope,
    "triangle": _triangle,
    "house": _house,
    "star": _star,
    "zigzag": _zigzag,
    "lightning": _lightning,
    "sun": _sun,
    "wheel": _wheel,
}


def _unfinished(rng, plan: list) -> list:
    """Stop part-way, as a player does when time runs out: 35-85% of the pen path is kept."""
    lengths = [[np.hypot(*np.diff(m, axis=0).T).sum() for m in stroke] for stroke in plan]
    total = np.cumsum([x for stroke in lengths for x in stroke])
    k = int(np.searchsorted(total, rng.uniform(0.35, 0.85) * total[-1]))
    out, seen = [], 0
    for stroke in plan:
        if seen + len(stroke) > k:
            move, f = stroke[k - seen], rng.uniform(0.3, 1.0)
            if len(move) == 2:
                move = np.stack([move[0], move[0] + f * (move[1] - move[0])])
            out.append(stroke[: k - seen] + [move[: max(2, int(f * len(move)))]])
            return out
        out.append(stroke)
        seen += len(stroke)
    return out


def _plan(cls: str, rng: np.random.Generator, unfinished: bool = False) -> list:
    """The class's strokes plus drawing-wide variation: aspect, rotation, shear, a stray mark."""
    plan = _PLANNERS[cls](rng)
    if unfinished:
        plan = _unfinished(rng, plan)
    if rng.random() < 0.05:
        centre = rng.uniform(-1.0, 1.0, 2)
        mark = [centre + rng.normal(0, 0.06, (int(rng.integers(2, 4)), 2))]
        plan.insert(len(plan) if rng.random() < 0.7 else int(rng.integers(len(plan) + 1)), mark)
    stretch = np.exp(rng.normal(0, 0.06))
    affine = np.array([[stretch, rng.normal(0, 0.04)], [0.0, 1.0 / stretch]])
    affine = affine @ _rot(np.eye(2), rng.normal(0, 0.07))
    return _map(plan, lambda m: m @ affine)


# ------------------------------------------- the pen -------------------------------------------


def _min_jerk(u: np.ndarray) -> np.ndarray:
    return 0.6 * (u**3 * (10 - 15 * u + 6 * u**2)) + 0.4 * u


def _pen(plan: list, rng: np.random.Generator) -> list:
    """Draw a plan with a simulated hand: raw strokes `[xs, ys, ts]` of Python ints (px, ms).

    Every movement is sampled every `dt` ms along a minimum-jerk profile; the pen lifts for a
    log-normal pause between strokes. Smooth wobble (three sines of arc length) and white tremor
    are added to the sampled points. All strokes are processed together, vectorised.
    """
    moves = [m for stroke in plan for m in stroke]
    n_moves = np.array([len(stroke) for stroke in plan])
    points = np.concatenate(moves)
    lo = points.min(axis=0)
    size = rng.uniform(140, 460)
    points = (points - lo) * (size / max(float((points.max(axis=0) - lo).max()), 1e-6))
    dt, speed = rng.uniform(14, 22), rng.uniform(0.45, 1.2)  # ms a sample, px per ms
    # arc length over all movements, with a 1 px dead gap between movements
    sizes = np.array([len(m) for m in moves])
    first = np.cumsum(sizes) - sizes
    seglen = np.hypot(*np.diff(points, axis=0).T)
    seglen[first[1:] - 1] = 1.0
    cum = np.concatenate([[0.0], np.cumsum(seglen)])
    lengths = cum[first + sizes - 1] - cum[first]
    durations = 60 + lengths / speed * rng.uniform(0.8, 1.25, len(moves))
    counts = np.maximum(2, np.rint(durations / dt).astype(int))
    # movement start times: back to back inside a stroke, a pen-up pause between strokes
    stroke_end = np.cumsum(n_moves) - 1
    pause = np.zeros(len(moves))
    pause[stroke_end[:-1]] = rng.lognormal(np.log(350), 0.5, len(plan) - 1)
    begin = np.concatenate([[0.0], np.cumsum(durations + pause)[:-1]])
    move_id = np.repeat(np.arange(len(moves)), counts)
    u = (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)) / (
        counts[move_id] - 1
    )
    s = cum[first][move_id] + _min_jerk(u) * lengths[move_id]
    t = begin[move_id] + u * durations[move_id] + rng.normal(0, 1.5, len(u))
    keep = np.ones(len(s), bool)
    joins = np.setdiff1d(np.arange(1, len(moves)), stroke_end + 1)
    keep[(np.cumsum(counts) - counts)[joins]] = False  # a movement starts where the last ended
    s, t, move_id = s[keep], t[keep], move_id[keep]
    xy = np.stack([np.interp(s, cum, points[:, 0]), np.interp(s, cum, points[:, 1])], axis=1)
    wobble = rng.uniform(0.006, 0.02) * size * np.array([1.0, 0.45, 0.15])
    waves = _TAU / (size * rng.uniform([0.6, 0.25, 0.1], [1.5, 0.6, 0.25]))
    phases = rng.uniform(0, _TAU, (3, 2))
    xy += np.einsum("k,kcn->nc", wobble, np.sin(waves[:, None, None] * s + phases[:, :, None]))
    xy += rng.normal(0, rng.uniform(0.001, 0.003) * size, xy.shape)
    xy = np.rint(xy + rng.uniform(20, 250, 2) - xy.min(axis=0)).astype(int)
    t = np.rint(np.maximum.accumulate(np.maximum(t, 0.0))).astype(int)
    t -= t[0]
    stroke_of_point = np.searchsorted(stroke_end, move_id)
    cuts = np.flatnonzero(np.diff(stroke_of_point)) + 1
    xs, ys, ts = (np.split(v, cuts) for v in (xy[:, 0], xy[:, 1], t))
    return [[x.tolist(), y.tolist(), tt.tolist()] for x, y, tt in zip(xs, ys, ts)]


# ------------------------------------------- records -------------------------------------------


def _key_id(seed: int, class_index: int, index: int) -> str:
    """A unique 16-digit id: a bijection of (seed mod 10**4, class, index) mixed to look random."""
    n = ((seed % 10**4) * 100 + class_index) * _MAX_INDEX + index
    return str(5 * 10**15 + (n * 723_456_789_012_347 + 281_474_976_710_655) % 10**15)


def _check(value, name: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise DataFormatError(
            f"synthetic drawings: {name} must be an integer >= {minimum}, got {value!r}"
        )
    return int(value)


def synthetic_drawings(
    cls: str, n: int, seed: int = 0, fmt: str = "simplified", start: int = 0
) -> list[Drawing]:
    """Generate procedural doodles of one class in Google's simplified or raw format.

    Drawing `i` depends only on `(seed, cls, start + i)` (its generator is
    `np.random.default_rng([seed, SYNTHETIC_CLASSES.index(cls), start + i])`), so a longer request
    begins with the drawings of a shorter one, and `start` continues a stream. The raw and the
    simplified form of a drawing share everything but the strokes: the simplified strokes are
    `simplify_strokes` of the raw ones.

    Args:
        cls: str. One of `SYNTHETIC_CLASSES`.
        n: int. How many drawings.
        seed: int. Non-negative seed. Defaults to 0.
        fmt: str. `"simplified"` (strokes `[xs, ys]`, ints 0..255, top-left aligned, longer side
            255) or `"raw"` (strokes `[xs, ys, ts]`, ints: screen pixels and ms since the first
            point). Defaults to `"simplified"`.
        start: int. Index of the first drawing. Defaults to 0.

    Returns:
        list of `Drawing` with word, strokes, key_id (16 digits, unique per seed, class and index),
        countrycode, recognized, timestamp and source (`"synthetic:<class>:<seed>:<index>"`).

    Raises:
        UnknownClassError: `cls` is not a synthetic class.
        DataFormatError: `fmt` is unknown, or `n`, `seed` or `start` is negative.

    Example:
    >>> drawings = synthetic_drawings("star", 3, seed=1)
    >>> [d.word for d in drawings]
    ['star', 'star', 'star']
    >>> max(max(max(s[0]), max(s[1])) for s in drawings[0].strokes)
    255
    """
    check_class(cls, SYNTHETIC_CLASSES)
    if fmt not in FORMATS:
        raise DataFormatError(f"synthetic drawings: unknown format {fmt!r}; use one of {FORMATS}")
    n, seed, start = _check(n, "n"), _check(seed, "seed"), _check(start, "start")
    if start + n > _MAX_INDEX:
        raise DataFormatError(f"synthetic drawings: start + n must be <= {_MAX_INDEX}")
    if fmt == "simplified":
        from seqdoodle.strokes.simplify import simplify_strokes
    class_index = SYNTHETIC_CLASSES.index(cls)
    out = []
    for index in range(start, start + n):
        rng = np.random.default_rng([seed, class_index, index])
        country = _COUNTRIES[int(rng.choice(len(_COUNTRIES), p=_COUNTRY_P))]
        when = _EPOCH + timedelta(seconds=float(rng.uniform(0, 90 * 86400)))
        recognized = bool(rng.random() < 0.94)
        strokes = _pen(_plan(cls, rng, unfinished=not recognized and rng.random() < 0.7), rng)
        if fmt == "simplified":
            strokes = simplify_strokes(strokes)
        out.append(
            Drawing(
                word=cls,
                strokes=strokes,
                key_id=_key_id(seed, class_index, index),
                countrycode=country,
                recognized=recognized,
                timestamp=f"{when:%Y-%m-%d %H:%M:%S}.{when.microsecond // 10:05d} UTC",
                source=f"synthetic:{cls}:{seed}:{index}",
                fmt=fmt,
            )
        )
    return out


def _classes(classes) -> list[str]:
    if classes is None:
        return list(SYNTHETIC_CLASSES)
    return parse_class_list(classes, SYNTHETIC_CLASSES)


def iter_synthetic(
    classes: str | list[str] | None = None,
    per_class: int = 100,
    seed: int = 0,
    fmt: str = "simplified",
    chunk: int = 256,
) -> Iterator[Drawing]:
    """Stream synthetic drawings class by class (class order, then index order).

    Args:
        classes: str, list of str or None. Classes (a list or `"a,b"`); None for all of
            `SYNTHETIC_CLASSES`. Defaults to None.
        per_class: int. Drawings per class. Defaults to 100.
        seed: int. Non-negative seed. Defaults to 0.
        fmt: str. `"simplified"` or `"raw"`. Defaults to `"simplified"`.
        chunk: int. Drawings generated at a time (memory bound). Defaults to 256.

    Returns:
        an iterator of `Drawing`, the same drawings as `synthetic_drawings(cls, per_class, seed)`.

    Example:
    >>> [d.word for d in iter_synthetic("sun,wheel", per_class=2)]
    ['sun', 'sun', 'wheel', 'wheel']
    """
    names = _classes(classes)
    per_class, chunk = _check(per_class, "per_class"), _check(chunk, "chunk", 1)
    for cls in names:
        for first in range(0, per_class, chunk):
            yield from synthetic_drawings(cls, min(chunk, per_class - first), seed, fmt, first)


def write_synthetic(
    dest: str | os.PathLike,
    per_class: int = 200,
    seed: int = 0,
    classes: str | list[str] | None = None,
    fmt: str = "simplified",
) -> list[Path]:
    """Write synthetic drawings as Google-style ndjson files `dest/<class>.ndjson`.

    One compact JSON object a line with word, countrycode, timestamp, recognized, key_id and
    drawing, so every reader of Google's files reads them. Each file is written atomically.

    Args:
        dest: path. The folder (created if missing).
        per_class: int. Drawings per class. Defaults to 200.
        seed: int. Non-negative seed. Defaults to 0.
        classes: str, list of str or None. Classes; None for all of `SYNTHETIC_CLASSES`.
            Defaults to None.
        fmt: str. `"simplified"` or `"raw"`. Defaults to `"simplified"`.

    Returns:
        list of Path, one file a class, in class order.

    Example:
    >>> import tempfile
    >>> paths = write_synthetic(tempfile.mkdtemp(), per_class=5, classes=["circle"])
    >>> paths[0].name, len(paths[0].read_text().splitlines())
    ('circle.ndjson', 5)
    """
    names = _classes(classes)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    paths = []
    for cls in names:
        path = dest / f"{cls}.ndjson"
        with atomic_write(path, "w") as f:
            for drawing in iter_synthetic([cls], per_class, seed, fmt):
                f.write(json.dumps(drawing.to_json(), separators=(",", ":")) + "\n")
        paths.append(path)
    return paths
