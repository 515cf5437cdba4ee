"""Bad ndjson (simplified and raw): skipped and counted in bulk reads, one line from the CLI.

Every bad line sits between two good ones, so each case also checks that reading goes on after
it. The same table is read in strict mode (first bad line raises, naming file and line), through
`prepare` (skipped lines counted in the manifest), `analyze`, `predict` and `evaluate --source`.
"""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from seqdoodle.datasets.readers import read_drawings
from seqdoodle.errors import DataFormatError
from tests.faults.helpers import (
    GOOD_RAW,
    assert_ok,
    assert_one_error,
    drawing_line,
    good_line,
    invoke,
    long_drawing,
    output_lines,
    write_bytes,
)

# (case id, the bad line, a fragment of the reason the summary gives)
BAD_SIMPLIFIED = [
    ("invalid-json", b'{"word": "cat", "drawing": [[[1, 2], [3, 4]]', "invalid JSON"),
    ("not-json-at-all", b"hello world", "invalid JSON"),
    ("two-objects-on-a-line", b'{"word":"cat"} {"word":"dog"}', "invalid JSON"),
    ("array-not-object", b"[[[1, 2], [3, 4]]]", "not a JSON object"),
    ("bare-number", b"42", "not a JSON object"),
    (
        "word-missing",
        drawing_line([[[1, 2], [3, 4]]]).replace('"word":"cat",', "").encode(),
        "word",
    ),
    ("word-not-a-string", drawing_line([[[1, 2], [3, 4]]], word=7).encode(), "word"),
    ("word-empty", drawing_line([[[1, 2], [3, 4]]], word="").encode(), "word"),
    ("drawing-missing", b'{"word": "cat"}', "'drawing' is missing"),
    ("drawing-a-string", drawing_line("[[1,2],[3,4]]").encode(), "'drawing' is missing"),
    ("drawing-an-object", drawing_line({"x": [1], "y": [2]}).encode(), "'drawing' is missing"),
    ("x-y-lengths-differ", drawing_line([[[1, 2, 3], [4, 5]]]).encode(), "unequal length"),
    ("nested-one-level-too-deep", drawing_line([[[[1, 2], [3, 4]]]]).encode(), "not a list of 2"),
    ("stroke-flat-numbers", drawing_line([[1, 2], [3, 4]]).encode(), "not arrays"),
    ("stroke-of-four-arrays", drawing_line([[[1], [2], [3], [4]]]).encode(), "not a list of 2"),
    ("strings-for-numbers", drawing_line([[["1", "2"], ["3", "4"]]]).encode(), "not an integer"),
    ("null-coordinate", drawing_line([[[None, 2], [3, 4]]]).encode(), "not an integer"),
    ("bool-coordinate", drawing_line([[[True, 2], [3, 4]]]).encode(), "not an integer"),
    ("float-coordinate", drawing_line([[[1.5, 2], [3, 4]]]).encode(), "not an integer"),
    ("nan", b'{"word": "cat", "drawing": [[[NaN, 2], [3, 4]]]}', "NaN is not a finite number"),
    ("infinity", b'{"word": "cat", "drawing": [[[Infinity, 2], [3, 4]]]}', "Infinity"),
    ("minus-infinity", b'{"word": "cat", "drawing": [[[1, 2], [-Infinity, 4]]]}', "Infinity"),
    ("overflowing-float", b'{"word": "cat", "drawing": [[[1e400, 2], [3, 4]]]}', "0..255"),
    ("negative-coordinate", drawing_line([[[-1, 2], [3, 4]]]).encode(), "not an integer in 0..255"),
    ("coordinate-256", drawing_line([[[256, 2], [3, 4]]]).encode(), "not an integer in 0..255"),
    ("huge-coordinate", drawing_line([[[10**30, 2], [3, 4]]]).encode(), "0..255"),
    ("no-strokes", drawing_line([]).encode(), "drawing has no strokes"),
    ("only-empty-strokes", drawing_line([[[], []], [[], []]]).encode(), "all strokes empty"),
    (
        "raw-stroke-in-simplified-file",
        drawing_line([[[1, 2], [3, 4], [0, 5]]]).encode(),
        "3 arrays",
    ),
    ("not-utf8", b'{"word": "c\xffat", "drawing": [[[1], [2]]]}', "not UTF-8"),
]
BAD_RAW = [
    ("raw-nan", b'{"word":"cat","drawing":[[[NaN,2],[3,4],[0,1]]]}', "NaN"),
    ("raw-overflowing-float", b'{"word":"cat","drawing":[[[1e400,2],[3,4],[0,1]]]}', "finite"),
    ("raw-huge-int", drawing_line([[[10**400, 2], [3, 4], [0, 1]]]).encode(), "finite"),
    (
        "raw-near-float-max",
        drawing_line([[[-1.7e308, 1.7e308], [3, 4], [0, 1]]]).encode(),
        "finite",
    ),
    ("raw-string", drawing_line([[["1.5", 2], [3, 4], [0, 1]]]).encode(), "not a finite number"),
    ("raw-times-shorter", drawing_line([[[1, 2], [3, 4], [0]]]).encode(), "unequal length"),
    ("simplified-stroke-in-raw-file", drawing_line([[[1, 2], [3, 4]]]).encode(), "2 arrays"),
]
# Odd but valid: read, not skipped (stroke counts after empty strokes are dropped).
ACCEPTED = [
    ("single-point-stroke", [[[5], [7]]], 1, 0),
    ("zero-length-stroke", [[[5, 5, 5], [7, 7, 7]]], 1, 0),
    ("empty-stroke-among-others", [[[], []], [[1, 2], [3, 4]]], 1, 1),
    ("ten-thousand-points", long_drawing(10_000), 10, 0),
]


def three_lines(path, bad: bytes):
    return write_bytes(
        path, b"\n".join([good_line(0).encode(), bad, good_line(1).encode()]) + b"\n"
    )


@pytest.mark.parametrize("case, bad, reason", BAD_SIMPLIFIED, ids=[c[0] for c in BAD_SIMPLIFIED])
def test_bad_simplified_line_is_skipped_and_counted(tmp_path, case, bad, reason):
    reader = read_drawings(three_lines(tmp_path / "cat.ndjson", bad))
    drawings = list(reader)
    assert [d.source for d in drawings] == ["cat.ndjson:1", "cat.ndjson:3"]
    assert (reader.summary.n_read, reader.summary.n_skipped) == (2, 1)
    line_no, why = reader.summary.problems[0]
    assert line_no == 2 and reason in why, why
    assert "line 2" in str(reader.summary)


@pytest.mark.parametrize("case, bad, reason", BAD_SIMPLIFIED, ids=[c[0] for c in BAD_SIMPLIFIED])
def test_bad_simplified_line_raises_in_strict_mode(tmp_path, case, bad, reason):
    path = three_lines(tmp_path / "cat.ndjson", bad)
    with pytest.raises(DataFormatError) as info:
        list(read_drawings(path, strict=True))
    message = str(info.value)
    assert str(path) in message and "line 2" in message and reason in message
    assert "\n" not in message


@pytest.mark.parametrize("case, bad, reason", BAD_RAW, ids=[c[0] for c in BAD_RAW])
def test_bad_raw_line_is_skipped_and_counted(tmp_path, case, bad, reason):
    good = drawing_line(GOOD_RAW).encode()
    path = write_bytes(tmp_path / "cat.ndjson", b"\n".join([good, bad, good]) + b"\n")
    reader = read_drawings(path)
    assert len(list(reader)) == 2
    assert reader.summary.fmt == "raw"
    assert reader.summary.n_skipped == 1
    assert reason in reader.summary.problems[0][1], reader.summary.problems


def test_raw_negative_and_large_coordinates_are_valid(tmp_path):
    strokes = [[[-500.5, 1e6, 12.0], [-3.0, 4.0, 1e9], [0, 10, 20]]]
    path = write_bytes(tmp_path / "cat.ndjson", (drawing_line(strokes) + "\n").encode())
    reader = read_drawings(path)
    (drawing,) = list(reader)
    assert drawing.strokes == strokes and reader.summary.n_skipped == 0


@pytest.mark.parametrize(
    "case, strokes, n_strokes, n_empty", ACCEPTED, ids=[c[0] for c in ACCEPTED]
)
def test_odd_but_valid_drawings_are_read(tmp_path, case, strokes, n_strokes, n_empty):
    path = write_bytes(tmp_path / "cat.ndjson", (drawing_line(strokes) + "\n").encode())
    reader = read_drawings(path, strict=True)
    (drawing,) = list(reader)
    assert len(drawing.strokes) == n_strokes
    assert reader.summary.n_empty_strokes == n_empty


@pytest.mark.parametrize(
    "case, content, n_read, n_skipped",
    [
        ("empty-file", b"", 0, 0),
        ("blank-lines-only", b"\n  \n\r\n", 0, 0),
        ("no-newline-at-end", good_line(0).encode(), 1, 0),
        ("crlf-line-ends", (good_line(0) + "\r\n" + good_line(1) + "\r\n").encode(), 2, 0),
        ("truncated-last-line", (good_line(0) + "\n" + good_line(1)[:-9]).encode(), 1, 1),
        ("all-lines-bad", b"{}\n[]\nnull\n", 0, 3),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_whole_file_cases(tmp_path, case, content, n_read, n_skipped):
    reader = read_drawings(write_bytes(tmp_path / "cat.ndjson", content))
    assert len(list(reader)) == n_read
    assert (reader.summary.n_read, reader.summary.n_skipped) == (n_read, n_skipped)
    if case == "truncated-last-line":
        assert reader.summary.problems[0][0] == 2
        assert "truncated (no newline at end)" in reader.summary.problems[0][1]


def test_truncated_gzip_keeps_the_lines_before_the_cut(tmp_path):
    text = "".join(good_line(i) + "\n" for i in range(200)).encode()
    packed = gzip.compress(text)
    path = write_bytes(tmp_path / "cat.ndjson.gz", packed[: len(packed) * 2 // 3])
    reader = read_drawings(path)
    n = len(list(reader))
    assert 0 < n < 200
    assert reader.summary.n_skipped >= 1
    assert any("gzip" in why for _, why in reader.summary.problems)


def test_summary_keeps_counting_beyond_the_problem_list(tmp_path):
    from seqdoodle.datasets.readers import MAX_PROBLEMS

    n_bad = MAX_PROBLEMS + 5
    path = write_bytes(tmp_path / "cat.ndjson", b"{}\n" * n_bad + good_line().encode() + b"\n")
    reader = read_drawings(path)
    assert len(list(reader)) == 1
    assert reader.summary.n_skipped == n_bad
    assert len(reader.summary.problems) == MAX_PROBLEMS
    assert f"{n_bad - 5} more" in str(reader.summary)


# ----------------------------------------------------------------------------- through the CLI

ALL_BAD = [bad for _, bad, _ in BAD_SIMPLIFIED]


def mixed_file(path, n_good: int = 6):
    """`n_good` valid drawings with every bad simplified line of the table in between."""
    lines, goods = [], 0
    for i, bad in enumerate(ALL_BAD):
        if i % 5 == 0 and goods < n_good:
            lines.append(good_line(goods).encode())
            goods += 1
        lines.append(bad)
    lines += [good_line(g).encode() for g in range(goods, n_good)]
    return write_bytes(path, b"\n".join(lines) + b"\n")


def test_prepare_skips_and_counts_every_bad_line(tmp_path):
    source = tmp_path / "src"
    mixed_file(source / "cat.ndjson")
    write_bytes(
        source / "dog.ndjson", "".join(good_line(i, "dog") + "\n" for i in range(6)).encode()
    )
    out = tmp_path / "ds"
    result = invoke("prepare", "--source", source, "--out", out, "--no-progress")
    text = assert_ok(result)
    assert f"skipped bad lines: {len(ALL_BAD)}" in text
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["skipped"] == {"cat": len(ALL_BAD)}
    assert (
        manifest["counts"]["train"]["cat"]
        + manifest["counts"]["val"]["cat"]
        + manifest["counts"]["test"]["cat"]
        == 6
    )


@pytest.mark.parametrize(
    "case, content, fragment",
    [
        ("empty-file", b"", "no valid drawings"),
        ("only-bad-lines", b"{}\n[1]\nnot json\n", "no valid drawings"),
        ("truncated-only-line", good_line(0)[:-5].encode(), "no valid drawings"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_prepare_class_without_valid_drawings_is_one_line(tmp_path, case, content, fragment):
    source = tmp_path / "my source"
    write_bytes(source / "cat.ndjson", content)
    result = invoke("prepare", "--source", source, "--out", tmp_path / "ds", "--no-progress")
    assert_one_error(result, "'cat'", fragment, str(source / "cat.ndjson"))
    assert not (tmp_path / "ds" / "manifest.json").exists()


def test_prepare_ten_thousand_point_drawing(tmp_path):
    source = tmp_path / "src"
    lines = [drawing_line(long_drawing(10_000))] + [good_line(i) for i in range(4)]
    write_bytes(source / "cat.ndjson", ("\n".join(lines) + "\n").encode())
    write_bytes(
        source / "dog.ndjson", "".join(good_line(i, "dog") + "\n" for i in range(5)).encode()
    )
    result = invoke("prepare", "--source", source, "--out", tmp_path / "ds", "--no-progress")
    assert_ok(result)
    from seqdoodle.datasets.prepared import PreparedDataset

    ds = PreparedDataset(tmp_path / "ds")
    assert len(ds.points_of(0)) == 10_000
    assert ds.bitmaps[0].max() == 255


def test_analyze_counts_bad_lines(tmp_path):
    source = tmp_path / "src"
    mixed_file(source / "cat.ndjson")
    result = invoke("analyze", "--source", source, "--out", tmp_path / "eda", "--no-progress")
    text = assert_ok(result)
    assert f"skipped bad lines: {len(ALL_BAD)}" in text
    summary = json.loads((tmp_path / "eda" / "summary.json").read_text())
    assert summary["kinds"]["simplified"]["skipped_lines"] == len(ALL_BAD)


def test_analyze_file_without_valid_drawings_is_one_line(tmp_path):
    source = tmp_path / "src"
    write_bytes(source / "cat.ndjson", b"{}\n")
    result = invoke("analyze", "--source", source, "--out", tmp_path / "eda", "--no-progress")
    assert_one_error(result, "no valid drawings", str(source / "cat.ndjson"))
    assert not (tmp_path / "eda" / "summary.json").exists()


def test_predict_notes_skipped_lines_and_predicts_the_rest(tmp_path, cnn_run):
    path = mixed_file(tmp_path / "mixed.ndjson")
    result = invoke("predict", cnn_run, path, "--json", "-")
    assert_ok(result)
    notes = [line for line in output_lines(result.stderr) if line.startswith("Note:")]
    assert len(notes) == 1 and f"{len(ALL_BAD)} lines skipped" in notes[0]
    rows = json.loads(result.stdout)
    assert len(rows) == 6 and all(r["source"].startswith("mixed.ndjson:") for r in rows)


@pytest.mark.parametrize("kind", ["cnn", "rnn"])
def test_predict_file_without_valid_drawings_is_one_line(tmp_path, kind, cnn_run, rnn_run):
    path = write_bytes(tmp_path / "bad input.ndjson", b"{}\n" + good_line()[:-3].encode())
    run = cnn_run if kind == "cnn" else rnn_run
    assert_one_error(invoke("predict", run, path), str(path), "no valid drawings")


def test_rnn_predicts_a_ten_thousand_point_drawing(tmp_path, rnn_run):
    path = write_bytes(
        tmp_path / "long.ndjson",
        (drawing_line(long_drawing(10_000)) + "\n" + good_line() + "\n").encode(),
    )
    text = assert_ok(invoke("predict", rnn_run, path, "--json", "-", "--top-k", 4))
    rows = json.loads(text[text.index("[") :])
    assert len(rows) == 2
    assert all(np.isclose(sum(t["probability"] for t in r["top"]), 1.0, atol=1e-3) for r in rows)


def test_evaluate_source_notes_skipped_lines(tmp_path, cnn_run):
    from tests.test_artifacts import SHAPE_CLASSES, shape_drawings

    source = tmp_path / "src"
    drawings = shape_drawings(per_class=3, seed=4)
    for name in SHAPE_CLASSES:
        lines = [drawing_line(d.strokes, name) for d in drawings if d.word == name]
        lines.insert(1, "{broken")
        write_bytes(source / f"{name}.ndjson", ("\n".join(lines) + "\n").encode())
    result = invoke("evaluate", cnn_run, "--source", source, "--no-progress")
    text = assert_ok(result)
    notes = [line for line in output_lines(text) if line.startswith("Note:")]
    assert len(notes) == len(SHAPE_CLASSES)
    assert all("1 lines skipped" in n for n in notes)
    assert f"{3 * len(SHAPE_CLASSES)} drawings" in text


def test_line_longer_than_the_limit_is_skipped_without_holding_it(tmp_path):
    from seqdoodle.datasets.readers import MAX_LINE_BYTES

    huge = b'{"word": "cat", "drawing": [[[' + b"1," * (MAX_LINE_BYTES // 2) + b"1], [1]]]}"
    path = write_bytes(
        tmp_path / "cat.ndjson",
        b"\n".join([good_line().encode(), huge, good_line(1).encode()]) + b"\n",
    )
    reader = read_drawings(path)
    assert len(list(reader)) == 2
    assert reader.summary.problems == [(2, f"line longer than {MAX_LINE_BYTES} bytes")]


def test_prepare_skips_and_counts_bad_raw_lines(tmp_path):
    source = tmp_path / "raw"
    good = drawing_line(GOOD_RAW).encode()
    lines = [good, *[bad for _, bad, _ in BAD_RAW], good, good]
    write_bytes(source / "cat.ndjson", b"\n".join(lines) + b"\n")
    write_bytes(source / "dog.ndjson", (drawing_line(GOOD_RAW, "dog") + "\n").encode() * 3)
    out = tmp_path / "ds"
    text = assert_ok(invoke("prepare", "--source", source, "--out", out, "--no-progress"))
    assert f"skipped bad lines: {len(BAD_RAW)}" in text
    assert json.loads((out / "manifest.json").read_text())["skipped"] == {"cat": len(BAD_RAW)}


@pytest.mark.parametrize(
    "strokes, fragment",
    [
        ([[[-1.7e308, 1.7e308], [0.0, 1.0]]], "span more than float64"),
        ([[[float("nan"), 1.0], [0.0, 1.0]]], "NaN or infinite"),
        ([[["a", "b"], [0.0, 1.0]]], "not numbers"),
        ([[[1.0, 2.0], [0.0]]], "equal length"),
        ([[[], []]], "no points"),
        ("strokes", "list of strokes"),
    ],
    ids=["overflowing-span", "nan", "strings", "lengths-differ", "no-points", "a-string"],
)
def test_simplify_refuses_bad_raw_strokes(strokes, fragment):
    """Library callers that bypass the reader get a DataFormatError too, and no warning."""
    import warnings

    from seqdoodle.strokes.simplify import simplify_strokes

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DataFormatError, match=fragment):
            simplify_strokes(strokes)
