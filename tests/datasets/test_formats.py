"""Kaggle CSV, Google's binary files and sketch-rnn `.npz` readers: fields, tolerance, bad input.

Fixtures come from tests/datasets/spec_writers.py (the specifications, not seqdoodle's writers).
"""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

from seqdoodle.datasets.filters import make_filter
from seqdoodle.datasets.formats import open_reader
from seqdoodle.datasets.formats.binary import read_binary
from seqdoodle.datasets.formats.kaggle_csv import read_kaggle_csv
from seqdoodle.datasets.formats.sketchrnn import RefusedPickle, read_sketchrnn, split_sizes
from seqdoodle.datasets.plan import class_files
from seqdoodle.datasets.records import Drawing, needs_simplifying, strokes_look_raw
from seqdoodle.errors import DataFormatError
from tests.datasets import spec_writers as spec

SQUARE = [[[0, 255, 255, 0, 0], [0, 0, 255, 255, 0]]]
RECORDS = [
    {
        "word": "The Eiffel Tower",
        "countrycode": "US",
        "key_id": "5152802093400064",
        "recognized": True,
        "timestamp": "2017-03-02 23:25:10.07453 UTC",
        "drawing": SQUARE,
    },
    {
        "word": "cat",
        "countrycode": "GB",
        "key_id": "6152802093400064",
        "recognized": False,
        "timestamp": "2017-01-25 20:46:03.12 UTC",
        "drawing": [[[10, 20], [30, 40]], [[0, 5, 9], [255, 1, 2]]],
    },
]


# ----------------------------------------------------------------------------- the one decision


def test_needs_simplifying_follows_the_recorded_format():
    ints = [[[0, 255], [0, 9]]]
    assert needs_simplifying(Drawing("x", strokes=ints, fmt="raw"))
    assert not needs_simplifying(Drawing("x", strokes=ints, fmt="simplified"))
    assert not needs_simplifying(Drawing("x", strokes=ints, fmt="sketchrnn"))
    assert not needs_simplifying(Drawing("x", strokes=ints))  # no fmt: the strokes decide
    assert needs_simplifying(Drawing("x", strokes=[[[0.5, 2], [0, 9]]]))
    assert needs_simplifying(Drawing("x", strokes=[[[0, 300], [0, 9]]]))
    assert needs_simplifying(Drawing("x", strokes=[[[0, 1], [0, 9], [0, 17]]]))
    assert not needs_simplifying(Drawing("x", bitmap=np.zeros((28, 28), np.uint8), fmt="bitmap"))
    assert strokes_look_raw([[[0, 1], [0, 2], [0, 5]]]) and not strokes_look_raw(ints)


def test_every_reader_records_its_format(tmp_path):
    spec.kaggle_csv(tmp_path / "cat.csv", RECORDS)
    spec.binary_file(tmp_path / "cat.bin", RECORDS)
    spec.sketchrnn_file(tmp_path / "cat.npz", {"train": [spec.stroke3(SQUARE)]})
    np.save(tmp_path / "cat.npy", np.zeros((2, 784), np.uint8))
    raw = [[[0.5, 10.25], [1.0, 3.5], [0, 17]]]
    (tmp_path / "raw.ndjson").write_text(f'{{"word": "cat", "drawing": {raw}}}\n')
    found = {}
    for path in sorted(tmp_path.iterdir()):
        found[path.suffix] = {d.fmt for d in open_reader(path)}
    assert found == {
        ".csv": {"simplified"},
        ".bin": {"simplified"},
        ".npz": {"sketchrnn"},
        ".npy": {"bitmap"},
        ".ndjson": {"raw"},
    }


# ----------------------------------------------------------------------------- Kaggle CSV


def test_kaggle_train_csv_fields(tmp_path):
    path = spec.kaggle_csv(tmp_path / "cat.csv", RECORDS)
    reader = read_kaggle_csv(path)
    drawings = list(reader)
    assert [d.word for d in drawings] == ["The Eiffel Tower", "cat"]
    assert drawings[0].strokes == SQUARE and drawings[1].strokes == RECORDS[1]["drawing"]
    assert [d.recognized for d in drawings] == [True, False]
    assert [d.countrycode for d in drawings] == ["US", "GB"]
    assert drawings[0].key_id == "5152802093400064"
    assert drawings[0].timestamp == RECORDS[0]["timestamp"]
    assert [d.source for d in drawings] == ["cat.csv:2", "cat.csv:3"]
    assert reader.summary.fmt == "simplified" and reader.summary.n_skipped == 0


def test_kaggle_test_csv_has_no_word_and_underscores_become_spaces(tmp_path):
    test = list(read_kaggle_csv(spec.kaggle_csv(tmp_path / "test.csv", RECORDS, test=True)))
    assert [d.word for d in test] == ["", ""] and test[1].key_id == "6152802093400064"
    assert test[0].recognized is None and test[0].countrycode == "US"
    underscored = [dict(RECORDS[0], word="The_Eiffel_Tower")]
    (d,) = read_kaggle_csv(spec.kaggle_csv(tmp_path / "u.csv", underscored))
    assert d.word == "The Eiffel Tower"


def test_kaggle_raw_csv(tmp_path):
    raw = [[[0.5, 10.25, 20], [1.0, 3.5, 7], [0, 17, 40]]]
    path = spec.kaggle_csv(tmp_path / "cat.csv", [dict(RECORDS[1], drawing=raw)])
    (d,) = read_kaggle_csv(path)
    assert d.fmt == "raw" and d.strokes == raw and needs_simplifying(d)


def _bad_csv(tmp_path):
    path = spec.kaggle_csv(tmp_path / "cat.csv", RECORDS)
    good = path.read_text().splitlines()
    lines = [
        good[0],
        good[1],
        'US,"[[[1, 2], [3, 4]]]"x,1,True,,cat',  # line 3: bad quoting
        'US,"[[[1, 2], [3, 4]",1,True,,cat',  # line 4: drawing field not JSON
        "US,[1],1,True",  # line 5: too few fields
        'US,"[[[1, 2], [3, 400]]]",1,True,,cat',  # line 6: outside 0..255
        good[2],  # line 7
        good[1][: len(good[1]) // 2],  # line 8: truncated, no newline at the end
    ]
    path.write_text("\n".join(lines))
    return path


def test_kaggle_bad_lines_are_skipped_and_counted(tmp_path):
    reader = read_kaggle_csv(_bad_csv(tmp_path))
    drawings = list(reader)
    assert [d.source for d in drawings] == ["cat.csv:2", "cat.csv:7"]
    summary = reader.summary
    assert summary.n_skipped == 5
    problems = dict(summary.problems)
    assert sorted(problems) == [3, 4, 5, 6, 8]
    assert "quoting" in problems[3] and "not JSON" in problems[4]
    assert "fields" in problems[5] and "0..255" in problems[6]
    assert problems[8].startswith("truncated (no newline at end)")
    assert "line 3" in str(summary)


def test_kaggle_strict_raises_naming_file_and_line(tmp_path):
    path = _bad_csv(tmp_path)
    with pytest.raises(DataFormatError, match=r"cat\.csv line 3: bad CSV quoting"):
        list(read_kaggle_csv(path, strict=True))


def test_kaggle_header_without_drawing_is_refused(tmp_path):
    path = tmp_path / "cat.csv"
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(DataFormatError, match="no 'drawing' column"):
        list(read_kaggle_csv(path))


def test_kaggle_streams_with_limit(tmp_path):
    path = spec.kaggle_csv(tmp_path / "cat.csv", RECORDS * 50)
    reader = read_kaggle_csv(path, limit=7)
    assert len(list(reader)) == 7 and reader.summary.n_read == 7


# ----------------------------------------------------------------------------- binary


def test_binary_fields(tmp_path):
    path = spec.binary_file(tmp_path / "The Eiffel Tower.bin", RECORDS)
    reader = read_binary(path)
    drawings = list(reader)
    assert [d.word for d in drawings] == ["The Eiffel Tower"] * 2  # the class is the file name
    assert [d.strokes for d in drawings] == [r["drawing"] for r in RECORDS]
    assert [d.key_id for d in drawings] == [r["key_id"] for r in RECORDS]
    assert [d.countrycode for d in drawings] == ["US", "GB"]
    assert [d.recognized for d in drawings] == [True, False]
    assert drawings[0].timestamp == "2017-03-02 23:25:10 UTC"
    assert [d.source for d in drawings] == ["The Eiffel Tower.bin[0]", "The Eiffel Tower.bin[1]"]


def test_binary_bad_and_truncated_records(tmp_path):
    good = spec.binary_record(RECORDS[0])
    bad = bytearray(spec.binary_record(RECORDS[1]))
    bad[10] = 7  # recognized byte: neither 0 nor 1
    path = tmp_path / "cat.bin"
    path.write_bytes(good + bytes(bad) + good + good[:-3])  # the last record is cut short
    reader = read_binary(path)
    drawings = list(reader)
    assert len(drawings) == 2 and drawings[1].source == "cat.bin[2]"
    assert reader.summary.n_skipped == 2
    problems = dict(reader.summary.problems)
    assert "recognized" in problems[2] and "truncated" in problems[4]
    assert "record 2" in str(reader.summary)
    with pytest.raises(DataFormatError, match=r"cat\.bin record 2: recognized"):
        list(read_binary(path, strict=True))


def test_binary_header_cut_short(tmp_path):
    path = tmp_path / "cat.bin"
    path.write_bytes(spec.binary_record(RECORDS[0]) + b"\x01\x02\x03")
    reader = read_binary(path)
    assert len(list(reader)) == 1 and "3 of 17 header bytes" in reader.summary.problems[0][1]


# ----------------------------------------------------------------------------- sketch-rnn


def test_sketchrnn_reads_splits_and_normalises(tmp_path):
    small = [[[0, 10, 10], [0, 0, 5]], [[2], [5]]]  # 10 units wide: scaled to 255
    path = spec.sketchrnn_file(
        tmp_path / "cat.npz",
        {"train": [spec.stroke3(SQUARE)] * 3, "valid": [spec.stroke3(small)], "test": []},
    )
    assert split_sizes(path) == {"train": 3, "val": 1, "test": 0}
    reader = read_sketchrnn(path)
    drawings = list(reader)
    assert [d.split for d in drawings] == ["train", "train", "train", "val"]
    assert drawings[0].strokes == SQUARE
    assert drawings[3].strokes == [[[0, 255, 255], [0, 0, 128]], [[51], [128]]]
    assert {d.word for d in drawings} == {"cat"} and drawings[3].source == "cat.npz:valid[0]"
    quotas = list(read_sketchrnn(path, quotas={"train": 1, "val": 1}))
    assert [d.split for d in quotas] == ["train", "val"]


def test_sketchrnn_python2_style_pickle(tmp_path):
    rows = spec.stroke3(SQUARE)
    path = spec.npz_with_pickle(tmp_path / "cat.npz", {"train.npy": spec.protocol2_pickle([rows])})
    (d,) = read_sketchrnn(path)
    assert d.strokes == SQUARE


def test_sketchrnn_wrong_dtype_and_shape_are_bad_records(tmp_path):
    rows = spec.stroke3(SQUARE)
    items = [rows, rows.astype(np.float32), rows[:, :2], np.zeros((0, 3), np.int16), rows]
    path = spec.npz_with_pickle(
        tmp_path / "cat.npz",
        {"train.npy": pickle.dumps(spec.object_array(items), protocol=3)},
        n=len(items),
    )
    reader = read_sketchrnn(path)
    assert len(list(reader)) == 2 and reader.summary.n_skipped == 3
    reasons = [why for _, why in reader.summary.problems]
    assert "float32" in reasons[0] and "shape" in reasons[1] and "shape" in reasons[2]
    with pytest.raises(DataFormatError, match=r"record 2: train\[1\]: dtype float32"):
        list(read_sketchrnn(path, strict=True))


class _RunsACommand:
    """Unpickles into a call of os.system (what np.load(allow_pickle=True) would run)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


@pytest.mark.parametrize("where", ["alone", "among_arrays"])
def test_sketchrnn_object_array_with_a_command_is_refused_and_nothing_runs(tmp_path, where):
    marker = tmp_path / "ran"
    evil = _RunsACommand(marker)
    items = [evil] if where == "alone" else [spec.stroke3(SQUARE), evil]
    payload = pickle.dumps(spec.object_array(items), protocol=3)
    path = spec.npz_with_pickle(tmp_path / "cat.npz", {"train.npy": payload})
    with pytest.raises(RefusedPickle) as info:
        list(read_sketchrnn(path))
    message = str(info.value)
    assert "\n" not in message and "system" in message and "nothing in the file was run" in message
    assert not marker.exists()
    # the same file through numpy's own loader would run it: that is what is refused
    np.load(path, allow_pickle=True)["train"]
    assert marker.exists()


def test_sketchrnn_other_globals_are_refused(tmp_path):
    for item, named in [(np.load, "numpy.load"), ({"a": 1}.keys, "builtins.getattr")]:
        payload = pickle.dumps(spec.object_array([item]), protocol=3)
        path = spec.npz_with_pickle(tmp_path / "cat.npz", {"train.npy": payload})
        with pytest.raises(RefusedPickle, match=named):
            list(read_sketchrnn(path))


def test_sketchrnn_file_level_problems(tmp_path):
    path = spec.sketchrnn_file(tmp_path / "cat.npz", {"train": [spec.stroke3(SQUARE)] * 50})
    cut = tmp_path / "cut.npz"
    cut.write_bytes(path.read_bytes()[:300])
    with pytest.raises(DataFormatError, match="cut.npz"):
        list(read_sketchrnn(cut))
    plain = tmp_path / "plain.npz"
    np.savez(plain, train=np.zeros((3, 3), np.int16))
    with pytest.raises(DataFormatError, match="not an array of stroke-3 arrays"):
        list(read_sketchrnn(plain))
    broken = spec.npz_with_pickle(tmp_path / "b.npz", {"train.npy": b"\x80\x03junk"})
    with pytest.raises(DataFormatError, match="corrupt pickle"):
        list(read_sketchrnn(broken))


# ----------------------------------------------------------------------------- folders, filters


def test_any_source_folder_may_hold_every_format(tmp_path):
    spec.kaggle_csv(tmp_path / "cat.csv", RECORDS)
    spec.binary_file(tmp_path / "full_binary_dog.bin", RECORDS)
    spec.sketchrnn_file(tmp_path / "The Eiffel Tower.npz", {"train": [spec.stroke3(SQUARE)]})
    (tmp_path / "notes.txt").write_text("ignored")
    assert sorted(class_files(tmp_path)) == ["The Eiffel Tower", "cat", "dog"]


def test_filters(tmp_path):
    path = spec.kaggle_csv(tmp_path / "cat.csv", RECORDS * 3)
    assert len(list(open_reader(path, where=make_filter(True)))) == 3
    us = open_reader(path, where=make_filter(countries="us"), limit=2)
    assert [d.countrycode for d in us] == ["US", "US"]
    reader = open_reader(path, where=make_filter(True, "GB"))
    assert list(reader) == [] and reader.summary.n_filtered == 6
    with pytest.raises(DataFormatError, match="two-letter"):
        make_filter(countries="USA")
    npy = tmp_path / "dog.npy"
    np.save(npy, np.zeros((2, 784), np.uint8))
    with pytest.raises(DataFormatError, match="no recognized or countrycode"):
        open_reader(npy, where=make_filter(True))


@pytest.mark.parametrize("command", ["prepare", "convert", "analyze"])
def test_cli_refuses_a_command_in_an_npz_with_one_line(tmp_path, command):
    from typer.testing import CliRunner

    from seqdoodle.cli import app

    marker = tmp_path / "ran"
    source = tmp_path / "src"
    source.mkdir()
    payload = pickle.dumps(spec.object_array([_RunsACommand(marker)]), protocol=2)
    spec.npz_with_pickle(source / "cat.npz", {"train.npy": payload})
    args = {
        "prepare": ["prepare", "--source", str(source), "--out", str(tmp_path / "out")],
        "convert": ["convert", str(source), "--to", "ndjson", "--out", str(tmp_path / "out")],
        "analyze": ["analyze", "--source", str(source), "--out", str(tmp_path / "out")],
    }[command]
    result = CliRunner().invoke(app, [*args, "--no-progress"])
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "refused" in lines[0] and "system" in lines[0], lines
    assert not marker.exists()


def test_source_plan_is_shared_and_checks_mixing(tmp_path):
    from seqdoodle.datasets.plan import SYNTHETIC, source_plan
    from seqdoodle.datasets.prepare import prepare

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    spec.kaggle_csv(a / "cat.csv", RECORDS)
    np.save(b / "cat.npy", np.zeros((2, 784), np.uint8))
    spec.binary_file(b / "dog.bin", RECORDS)
    plan = source_plan([a, b])
    assert {c: e.kind for c, e in plan.items()} == {"cat": "mixed", "dog": "strokes"}
    assert plan["cat"].files == [a / "cat.csv", b / "cat.npy"]
    assert source_plan(SYNTHETIC, ["sun"])["sun"].kind == SYNTHETIC
    with pytest.raises(DataFormatError, match="cannot be combined"):
        source_plan([a, SYNTHETIC])
    with pytest.raises(DataFormatError, match="both .npy and stroke files"):
        prepare([a, b], tmp_path / "out", progress=False)
    with pytest.raises(DataFormatError, match="no recognized or countrycode"):
        source_plan([a, b], where=make_filter(True))


def test_sketchrnn_header_and_data_disagree(tmp_path):
    payload = pickle.dumps(spec.object_array([spec.stroke3(SQUARE)] * 2), protocol=3)
    path = spec.npz_with_pickle(tmp_path / "cat.npz", {"train.npy": payload}, n=5)
    with pytest.raises(DataFormatError, match="header says 5 drawings, the data 2"):
        list(read_sketchrnn(path))
