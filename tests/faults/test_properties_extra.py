"""Property tests (hypothesis) of the readers on generated input, and of the point form.

tests/strokes/test_properties.py already covers the stroke-3 round trip, translation of the
render, its shape/dtype and simplify idempotence; this adds what bad input needs: a reader that
only ever yields drawings or counts skipped lines, whatever the bytes.

The generators build mostly valid input and then break some of it in known ways, so the main
branch (drawings read, rows returned) runs in most examples; each test counts its valid examples
and fails when too few were generated to mean anything.
"""

from __future__ import annotations

import copy
import io
import json
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from seqdoodle.datasets.readers import read_bitmaps, read_drawings
from seqdoodle.errors import DataFormatError
from seqdoodle.strokes.points import points_to_strokes, strokes_to_points

SETTINGS = settings(max_examples=80, deadline=None)
# Share of examples that must be valid; measured over 6 runs: 0.8 (lines), 0.7-0.9 (.npy).
MIN_VALID_SHARE = 0.5

# ----------------------------------------------------------------------------- ndjson lines

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)
POINTS = st.lists(st.tuples(st.integers(0, 255), st.integers(0, 255)), min_size=1, max_size=12)
VALID_STROKE = POINTS.map(lambda pts: [[p[0] for p in pts], [p[1] for p in pts]])
STROKES = st.lists(
    st.one_of(VALID_STROKE, VALID_STROKE, VALID_STROKE, st.just([[], []])), min_size=1, max_size=4
).filter(lambda strokes: any(s[0] for s in strokes))
VALID_DRAWINGS = st.fixed_dictionaries(
    {
        "word": st.sampled_from(["cat", "The Eiffel Tower", "hot dog"]) | st.text(min_size=1),
        "drawing": STROKES,
    },
    optional={
        "key_id": st.text(max_size=8),
        "countrycode": st.sampled_from(["US", "DE"]),
        "recognized": st.booleans(),
    },
)


def _set_first_x(value):
    def corrupt(obj):
        obj["drawing"][_first_full(obj)][0][0] = value

    return corrupt


def _first_full(obj) -> int:
    return next(i for i, s in enumerate(obj["drawing"]) if s[0])


def _field(name, value):
    def corrupt(obj):
        if value is _DELETE:
            del obj[name]
        else:
            obj[name] = value

    return corrupt


def _edit_stroke(edit):
    def corrupt(obj):
        i = _first_full(obj)
        obj["drawing"][i] = edit(obj["drawing"][i])

    return corrupt


_DELETE = object()
# Ways to break a valid drawing; each is rejected whatever the drawing (the line is skipped).
OBJECT_CORRUPTIONS = {
    "word missing": _field("word", _DELETE),
    "word empty": _field("word", ""),
    "word a number": _field("word", 7),
    "drawing missing": _field("drawing", _DELETE),
    "drawing a string": _field("drawing", "cat"),
    "drawing an object": _field("drawing", {"x": [1]}),
    "no strokes": _field("drawing", []),
    "only empty strokes": _field("drawing", [[[], []], [[], []]]),
    "flat numbers": _field("drawing", [1, 2, 3]),
    "unequal lengths": _edit_stroke(lambda s: [s[0], s[1] + [0]]),
    "one array": _edit_stroke(lambda s: [s[0]]),
    "four arrays": _edit_stroke(lambda s: [s[0], s[1], s[0], s[1]]),
    "nested too deep": _edit_stroke(lambda s: [[s[0]], [s[1]]]),
    "256": _set_first_x(256),
    "-1": _set_first_x(-1),
    "float": _set_first_x(1.5),
    "string": _set_first_x("1"),
    "null": _set_first_x(None),
    "boolean": _set_first_x(True),
    "NaN": _set_first_x(float("nan")),
    "Infinity": _set_first_x(float("inf")),
    "1e400": _set_first_x(float("-inf")),
}
TEXT_CORRUPTIONS = {
    "truncated": lambda text: text[: len(text) // 2],
    "in an array": lambda text: f"[{text}]",
    "two values": lambda text: f"{text} {text}",
    "not UTF-8": None,  # handled on bytes below
}


def _corrupt(obj: dict, how: str) -> bytes:
    obj = copy.deepcopy(obj)
    if how in OBJECT_CORRUPTIONS:
        OBJECT_CORRUPTIONS[how](obj)
        return json.dumps(obj).encode()
    text = json.dumps(obj)
    if how == "not UTF-8":
        return b"\xff" + text.encode()
    return TEXT_CORRUPTIONS[how](text).encode()


VALID_LINES = VALID_DRAWINGS.map(lambda d: ("valid", json.dumps(d).encode(), d))
BAD_LINES = st.tuples(
    VALID_DRAWINGS, st.sampled_from(sorted(OBJECT_CORRUPTIONS) + sorted(TEXT_CORRUPTIONS))
).map(lambda t: ("bad", _corrupt(*t), t[1]))
ANY_LINES = st.one_of(  # arbitrary bytes and JSON: almost always bad, possibly blank
    st.binary(max_size=40).filter(lambda b: b"\n" not in b and not b.startswith(b"\x1f")),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
).map(lambda line: ("any", line, None))
_BY_TAG = {"valid": VALID_LINES, "bad": BAD_LINES, "any": ANY_LINES}
LINE = st.sampled_from(["valid", "valid", "valid", "bad", "any"]).flatmap(_BY_TAG.__getitem__)
LINES = st.lists(LINE, min_size=1, max_size=8)
# For strict reading: half the files entirely valid (read to the end), half mixed.
STRICT_LINES = st.one_of(st.lists(VALID_LINES, min_size=1, max_size=8), LINES)


def _write(data: bytes, suffix: str) -> Path:
    folder = Path(tempfile.mkdtemp())
    path = folder / f"cat{suffix}"
    path.write_bytes(data)
    return path


def _is_blank(line: bytes) -> bool:
    try:
        return not line.decode("utf-8").strip()
    except UnicodeDecodeError:
        return False


def _expected(drawing: dict) -> tuple[str, list]:
    return drawing["word"], [s for s in drawing["drawing"] if s[0]]


def test_reader_reads_or_counts_every_line():
    seen = {"examples": 0, "read": 0, "skipped": 0}

    @SETTINGS
    @given(LINES, st.booleans())
    def check(lines, final_newline):
        data = b"\n".join(line for _, line, _ in lines)
        data += b"\n" if final_newline and lines else b""
        reader = read_drawings(_write(data, ".ndjson"))
        drawings = list(reader)  # never raises on content
        summary = reader.summary
        tags = [tag for tag, line, _ in lines if not _is_blank(line)]
        n_blank = len(lines) - len(tags)
        assert summary.n_read == len(drawings)
        assert summary.n_read + summary.n_skipped + n_blank == len(lines)
        assert tags.count("valid") <= summary.n_read <= tags.count("valid") + tags.count("any")
        assert summary.n_skipped >= tags.count("bad")
        if "any" not in tags:  # exactly the valid drawings, in order, empty strokes dropped
            want = [_expected(d) for tag, _, d in lines if tag == "valid"]
            assert [(d.word, d.strokes) for d in drawings] == want
        for d in drawings:
            assert d.word and d.strokes and d.fmt == "simplified"
            for stroke in d.strokes:
                assert len({len(axis) for axis in stroke}) == 1 and len(stroke[0]) > 0
        seen["examples"] += 1
        seen["read"] += bool(drawings)
        seen["skipped"] += bool(summary.n_skipped)

    check()
    assert seen["read"] >= MIN_VALID_SHARE * seen["examples"], seen
    assert seen["skipped"] >= 0.3 * seen["examples"], seen  # the skipping branch runs too


def test_strict_reader_raises_only_data_format_error():
    seen = {"examples": 0, "read": 0}

    @SETTINGS
    @given(STRICT_LINES)
    def check(lines):
        path = _write(b"\n".join(line for _, line, _ in lines) + b"\n", ".ndjson")
        numbered = [(n, tag) for n, (tag, line, _) in enumerate(lines, 1) if not _is_blank(line)]
        first_bad = next((n for n, tag in numbered if tag == "bad"), None)
        try:
            drawings = list(read_drawings(path, strict=True))
        except DataFormatError as e:
            assert str(path) in str(e) and "\n" not in str(e)
            if all(tag != "any" for _, tag in numbered):
                assert first_bad is not None, str(e)
                assert f" line {first_bad}: " in str(e)
        else:
            assert first_bad is None
            assert len(drawings) >= sum(tag == "valid" for _, tag in numbered)
            seen["read"] += bool(drawings)
        seen["examples"] += 1

    check()
    assert seen["read"] >= 0.3 * seen["examples"], seen  # all-valid files are read in full


# ----------------------------------------------------------------------------- .npy files


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


BITMAPS = st.tuples(st.integers(1, 6), st.booleans(), st.integers(0, 2**32 - 1)).map(
    lambda t: np.random.default_rng(t[2]).integers(
        0, 256, (t[0], 28, 28) if t[1] else (t[0], 784), dtype=np.uint8
    )
)
NPY_CORRUPTIONS = st.sampled_from(["none", "none", "append", "flip", "truncate"]).flatmap(
    lambda kind: st.tuples(st.just(kind), st.integers(0, 10**6), st.integers(1, 255))
)


def _corrupt_npy(data: bytes, how: tuple) -> bytes:
    kind, at, value = how
    if kind == "truncate":
        return data[: at % len(data)]
    if kind == "flip":
        i = at % len(data)
        return data[:i] + bytes([data[i] ^ value]) + data[i + 1 :]
    if kind == "append":  # bytes after the array are ignored
        return data + b"\0" * (1 + at % 100)
    return data


def test_read_bitmaps_on_generated_files():
    """Valid `.npy` bitmaps, intact or broken: exactly their rows, or one clean error."""
    seen = {"examples": 0, "read": 0, "refused": 0}

    @SETTINGS
    @given(BITMAPS, NPY_CORRUPTIONS, st.binary(max_size=64))
    def check(bitmaps, how, noise):
        data = _corrupt_npy(_npy_bytes(bitmaps), how)
        for blob in (data, noise, b"\x93NUMPY\x01\x00" + noise):
            path = _write(blob, ".npy")
            try:
                rows = read_bitmaps(path)
            except DataFormatError as e:
                assert str(path) in str(e) and "\n" not in str(e)
                assert blob is not data or how[0] in ("truncate", "flip"), str(e)
                seen["refused"] += blob is data
                continue
            assert rows.dtype == np.uint8 and rows.shape[1:] == (784,)
            if blob is data:
                seen["read"] += 1
                if how[0] in ("none", "append"):
                    np.testing.assert_array_equal(rows, bitmaps.reshape(len(bitmaps), 784))
        seen["examples"] += 1

    check()
    assert seen["read"] >= MIN_VALID_SHARE * seen["examples"], seen
    assert seen["refused"] >= 0.05 * seen["examples"], seen


# ----------------------------------------------------------------------------- point form

INT_STROKES = st.lists(VALID_STROKE, min_size=1, max_size=6)


@SETTINGS
@given(INT_STROKES)
def test_point_form_round_trip(strokes):
    points = strokes_to_points(strokes)
    assert points.dtype == np.int16 and points.shape == (sum(len(s[0]) for s in strokes), 3)
    assert points_to_strokes(points) == strokes
