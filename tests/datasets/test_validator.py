"""The one drawing validator: what it accepts and refuses, and that every reader, predict's inputs
and the server's request check all say the same thing through it."""

from __future__ import annotations

import json

import pytest

from seqdoodle.datasets.formats import open_reader
from seqdoodle.datasets.formats.base import MAX_RAW_VALUE, validate_strokes
from seqdoodle.errors import DataFormatError

# (strokes, fmt, fragment of the message)
REFUSED = [
    (None, None, "'drawing' is missing or not a list of strokes (got null)"),
    ({"x": [1]}, None, "not a list of strokes (got an object)"),
    ([], None, "drawing has no strokes"),
    ([[[], []]], None, "all strokes empty"),
    ([5], None, "stroke 1 is not a list of 2 (x, y) or 3 (x, y, t) arrays (got a number)"),
    ([[[1], [2]], [[1], [2], [3], [4]]], None, "stroke 2 is not a list of 2 (x, y) or 3"),
    ([[[1], [2]], [[1], [2], [3]]], None, "stroke 2 has 3 arrays; simplified strokes have 2"),
    ([[[1], [2]]], "raw", "stroke 1 has 2 arrays; raw strokes have 3"),
    ([[1, 2], [3, 4]], None, "stroke 1: coordinates are not arrays (x is a number)"),
    ([[[1, 2, 3], [4, 5]]], None, "stroke 1: arrays of unequal length 3/2 (x has 3, y has 2"),
    ([[[1, 2], [3, 4], [0]]], "raw", "unequal length 2/2/1"),
    ([[[1, 256], [3, 4]]], None, "stroke 1: x value 256 is not an integer in 0..255"),
    ([[[1], [2]], [[1], [-1]]], "simplified", "stroke 2: y value -1 is not an integer"),
    ([[[1.0], [2]]], "simplified", "1.0 is not an integer in 0..255"),
    ([[[True], [2]]], "simplified", "True is not an integer in 0..255"),
    ([[["1"], [2]]], "simplified", "'1' is not an integer in 0..255"),
    ([[[float("inf")], [2], [0]]], "raw", "x value inf is not a finite number within +-2**53"),
    ([[[float("nan")], [2], [0]]], "raw", "nan is not a finite number"),
    ([[[2**53 + 1], [2], [0]]], "raw", "is not a finite number within +-2**53"),
    ([[[1], [2], [None]]], "raw", "stroke 1: t value None is not a finite number"),
]


@pytest.mark.parametrize("strokes, fmt, fragment", REFUSED)
def test_refusals_are_one_line_naming_the_stroke_from_1(strokes, fmt, fragment):
    with pytest.raises(DataFormatError) as info:
        validate_strokes(strokes, fmt)
    message = str(info.value)
    assert fragment in message and "\n" not in message


def test_accepted_drawings_come_back_without_empty_strokes():
    raw = [[[0.5, -3.0], [1e6, 2.0], [0, 16.7]], [[], [], []], [[MAX_RAW_VALUE], [0], [0]]]
    kept = validate_strokes(raw)
    assert kept == [raw[0], raw[2]] and kept[0] is raw[0]  # the same lists, not copies
    simplified = [[[0, 255], [255, 0]], [[7], [9]]]
    assert validate_strokes(simplified, "simplified") == simplified
    assert validate_strokes(simplified) == simplified  # the first stroke decides: simplified
    with pytest.raises(ValueError, match="fmt must be one of"):
        validate_strokes(simplified, "bitmap")


def test_request_options_times_optional_empty_strokes_and_point_limit():
    mixed = [[[1, 2], [3, 4]], [[1.5], [2.5], [0]]]
    with pytest.raises(DataFormatError, match="stroke 2 has 3 arrays"):
        validate_strokes(mixed)
    assert validate_strokes(mixed, "raw", times_optional=True) == mixed
    # simplified with times: x and y are simplified, times raw numbers
    timed = [[[0, 255], [3, 4], [0.5, 17.25]]]
    assert validate_strokes(timed, "simplified", times_optional=True) == timed
    with pytest.raises(DataFormatError, match="x value 1.5 is not an integer"):
        validate_strokes(mixed[::-1], "simplified", times_optional=True)
    for empty in ([[[1], [2]], []], [[[1], [2]], [[], []]]):
        with pytest.raises(DataFormatError, match="stroke 2 is empty; every stroke needs"):
            validate_strokes(empty, "raw", times_optional=True, drop_empty=False)
    long = [[[0] * 30, [0] * 30], [[0] * 30, [0] * 30]]
    assert validate_strokes(long, max_points=60) == long
    with pytest.raises(DataFormatError, match="more than 59 points; at most 59 are accepted"):
        validate_strokes(long, max_points=59)


def test_the_server_refuses_with_the_validators_message():
    from seqdoodle.serve.requests import RequestError, check_drawing

    compared = 0
    for strokes, fmt, _ in REFUSED:
        try:  # the server's options: times optional in any format, empty strokes refused
            validate_strokes(strokes, fmt or "raw", times_optional=True, drop_empty=False)
        except DataFormatError as e:
            expected = str(e)
        else:
            check_drawing(strokes, simplified=fmt == "simplified")  # taken by the server too
            continue
        with pytest.raises(RequestError) as info:
            check_drawing(strokes, simplified=fmt == "simplified")
        assert info.value.status == 422 and str(info.value) == expected
        compared += 1
    assert compared >= len(REFUSED) - 4


def _line(strokes) -> str:
    return json.dumps({"word": "cat", "drawing": strokes})


@pytest.mark.parametrize("suffix", [".ndjson", ".csv"])
def test_text_readers_skip_with_the_validators_message(tmp_path, suffix):
    bad = [[[1, 2, 3], [4, 5]]]
    good = [[[0, 255], [0, 255]]]
    path = tmp_path / f"cat{suffix}"
    if suffix == ".csv":
        rows = ["drawing,word", *(f'"{json.dumps(s)}",cat' for s in (good, bad, good))]
        path.write_text("\n".join(rows) + "\n")
    else:
        path.write_text("\n".join(_line(s) for s in (good, bad, good)) + "\n")
    reader = open_reader(path)
    assert len(list(reader)) == 2
    with pytest.raises(DataFormatError) as info:
        validate_strokes(bad)
    assert reader.summary.problems == [(3 if suffix == ".csv" else 2, str(info.value))]
    with pytest.raises(DataFormatError, match=rf"cat\{suffix} line \d: stroke 1: arrays of"):
        list(open_reader(path, strict=True))
