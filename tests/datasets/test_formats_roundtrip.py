"""Real drawings through every format: ndjson -> Kaggle CSV / binary / sketch-rnn (written from the
specifications by the tests) -> `prepare` gives the ndjson's bitmaps, labels and strokes; metadata
filters; sketch-rnn's own split; `convert`; Kaggle submissions scored like `evaluate`."""

from __future__ import annotations

import csv
import json
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from seqdoodle.cli import app
from seqdoodle.datasets.filters import make_filter
from seqdoodle.datasets.formats import open_reader
from seqdoodle.datasets.kaggle import map_at_k, read_submission, write_submission
from seqdoodle.datasets.prepare import prepare
from seqdoodle.datasets.records import Drawing
from seqdoodle.errors import DataFormatError
from tests.datasets import spec_writers as spec

CLASSES = ("cat", "The Eiffel Tower", "house plant", "apple")
PER_CLASS = 30
N_DRAWINGS = 30 + 25 + 30 + 30  # The Eiffel Tower has 25 simplified drawings in ../shared


def _records(path, n=None):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            out.append(json.loads(line))
            if n is not None and len(out) == n:
                break
    return out


@pytest.fixture(scope="module")
def folders(shared_quickdraw, tmp_path_factory):
    """The first PER_CLASS drawings of CLASSES as ndjson, Kaggle CSV, binary and sketch-rnn."""
    root = tmp_path_factory.mktemp("formats")
    made = {name: root / name for name in ("ndjson", "csv", "bin", "npz", "raw_ndjson", "raw_csv")}
    for folder in made.values():
        folder.mkdir()
    for c in CLASSES:
        records = _records(shared_quickdraw / "simplified" / f"{c}.ndjson", PER_CLASS)
        lines = [json.dumps(r) for r in records]
        (made["ndjson"] / f"{c}.ndjson").write_text("\n".join(lines) + "\n")
        spec.kaggle_csv(made["csv"] / f"{c}.csv", records)
        spec.binary_file(made["bin"] / f"{c}.bin", records)
        spec.sketchrnn_file(
            made["npz"] / f"{c}.npz", {"train": [spec.stroke3(r["drawing"]) for r in records]}
        )
        raw = _records(shared_quickdraw / "raw" / f"{c}.ndjson", 10)
        shutil.copy(shared_quickdraw / "raw" / f"{c}.ndjson", made["raw_ndjson"] / f"{c}.ndjson")
        spec.kaggle_csv(made["raw_csv"] / f"{c}.csv", raw)
    return made


def _prepare(folder, out, **kwargs):
    return prepare(folder, out, per_class=PER_CLASS, seed=3, progress=False, **kwargs)


def _same_strokes(a, b) -> bool:
    return len(a) == len(b) and all(
        np.array_equal(a.points_of(i), b.points_of(i)) for i in range(len(a))
    )


@pytest.mark.parametrize("fmt", ["csv", "bin"])
def test_kaggle_csv_and_binary_prepare_exactly_like_ndjson(folders, tmp_path, fmt):
    base = _prepare(folders["ndjson"], tmp_path / "base")
    other = _prepare(folders[fmt], tmp_path / fmt)
    assert other.classes == base.classes and len(other) == len(base) == N_DRAWINGS
    assert np.array_equal(other.labels, base.labels)
    assert np.array_equal(other.splits, base.splits)
    assert np.array_equal(np.asarray(other.bitmaps), np.asarray(base.bitmaps))
    assert _same_strokes(other, base)


def test_raw_kaggle_csv_prepares_like_raw_ndjson(folders, tmp_path):
    base = prepare(folders["raw_ndjson"], tmp_path / "base", per_class=10, progress=False)
    other = prepare(folders["raw_csv"], tmp_path / "csv", per_class=10, progress=False)
    assert np.array_equal(np.asarray(other.bitmaps), np.asarray(base.bitmaps))
    assert np.array_equal(other.labels, base.labels) and _same_strokes(other, base)


def test_sketchrnn_prepares_to_the_same_labels_and_close_bitmaps(folders, tmp_path):
    base = _prepare(folders["ndjson"], tmp_path / "base")
    other = _prepare(folders["npz"], tmp_path / "npz")
    assert np.array_equal(other.labels, base.labels)
    diff = np.abs(np.asarray(other.bitmaps, np.float64) - np.asarray(base.bitmaps, np.float64))
    assert diff.mean() < 2.0  # re-normalised to Google's frame: longer side 255 again
    assert np.median(diff.mean(axis=(1, 2))) < 0.5


def test_recognized_only_keeps_exactly_the_recognized(folders, shared_quickdraw, tmp_path):
    result = CliRunner().invoke(
        app,
        ["prepare", "--source", str(folders["csv"]), "--out", str(tmp_path / "rec"),
         "--recognized-only", "--per-class", "1000", "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    from seqdoodle.datasets.prepared import PreparedDataset

    ds = PreparedDataset(tmp_path / "rec")
    n_left_out = 0
    for i, c in enumerate(ds.classes):
        records = _records(shared_quickdraw / "simplified" / f"{c}.ndjson", PER_CLASS)
        kept = [r for r in records if r["recognized"] is True]
        rows = np.flatnonzero(ds.labels == i)
        assert len(rows) == len(kept)
        n_left_out += len(records) - len(kept)
        expected = [spec.stroke3(r["drawing"]) for r in kept]
        got = [ds.points_of(j) for j in rows]
        assert all(np.array_equal(e[:, :2].cumsum(0), g[:, :2]) for e, g in zip(expected, got))
    assert n_left_out > 0  # the real drawings include unrecognised ones
    assert sum(ds.manifest["filtered"].values()) == n_left_out
    assert ds.manifest["args"]["filter"] == {"recognized_only": True, "countries": None}


def test_countries_filter(folders, tmp_path):
    ds = _prepare(folders["bin"], tmp_path / "us", where=make_filter(countries="US,GB"))
    codes = set()
    for c in CLASSES:
        codes |= {d.countrycode for d in open_reader(folders["bin"] / f"{c}.bin")}
    assert len(codes) > 2 and 0 < len(ds) < N_DRAWINGS
    n_us_gb = sum(
        sum(d.countrycode in ("US", "GB") for d in open_reader(folders["bin"] / f"{c}.bin"))
        for c in CLASSES
    )
    assert len(ds) == n_us_gb
    with pytest.raises(DataFormatError, match="no recognized or countrycode"):
        _prepare(folders["npz"], tmp_path / "npz", where=make_filter(True))


def test_analyze_takes_the_same_filter(folders, tmp_path):
    result = CliRunner().invoke(
        app,
        ["analyze", "--source", str(folders["csv"]), "--out", str(tmp_path / "eda"),
         "--classes", "cat", "--recognized-only", "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "eda" / "summary.json").read_text())
    stats = summary["kinds"]["simplified"]["classes"]["cat"]
    assert stats["share_recognized"] == 1.0 and 0 < stats["drawings"] < PER_CLASS


def test_split_from_source_keeps_sketchrnn_split(tmp_path):
    rows = spec.stroke3([[[0, 255, 255], [0, 0, 255]]])
    for c in ("cat", "dog"):
        spec.sketchrnn_file(
            tmp_path / f"{c}.npz", {"train": [rows] * 16, "valid": [rows] * 2, "test": [rows] * 2}
        )
    ds = prepare(tmp_path, tmp_path / "out", per_class=10, progress=False, split_from_source=True)
    assert ds.counts() == {"train": 16, "val": 2, "test": 2}  # 8/1/1 per class, in proportion
    full = prepare(
        tmp_path, tmp_path / "all", per_class=100, progress=False, split_from_source=True
    )
    assert full.counts() == {"train": 32, "val": 4, "test": 4}
    with pytest.raises(DataFormatError, match="no split of its own"):
        prepare("synthetic", tmp_path / "syn", per_class=5, progress=False, split_from_source=True)


# ----------------------------------------------------------------------------- convert


@pytest.mark.parametrize("to", ["ndjson", "kaggle-csv", "binary", "sketchrnn"])
def test_convert_round_trips(folders, tmp_path, to):
    out = tmp_path / to
    result = CliRunner().invoke(
        app, ["convert", str(folders["ndjson"]), "--to", to, "--out", str(out), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    assert f"{N_DRAWINGS} drawings of {len(CLASSES)} classes" in result.stdout
    base = _prepare(folders["ndjson"], tmp_path / "base")
    other = _prepare(out, tmp_path / "again")
    assert np.array_equal(other.labels, base.labels)
    if to == "sketchrnn":
        diff = np.abs(np.asarray(other.bitmaps, float) - np.asarray(base.bitmaps, float))
        assert diff.mean() < 2.0
    else:
        assert np.array_equal(np.asarray(other.bitmaps), np.asarray(base.bitmaps))
        assert _same_strokes(other, base)


def test_convert_prepared_dataset_keeps_splits_and_writes_png(tmp_path):
    ds = prepare(
        "synthetic", tmp_path / "syn", classes=["circle", "square"], per_class=20, progress=False
    )
    from seqdoodle.datasets.convert import convert
    from seqdoodle.datasets.formats.sketchrnn import split_sizes

    assert convert(tmp_path / "syn", "sketchrnn", tmp_path / "npz", progress=False) == {
        "circle": 20,
        "square": 20,
    }
    sizes = split_sizes(tmp_path / "npz" / "circle.npz")
    in_ds = {
        s: int(((ds.labels == 0) & (ds.splits == i)).sum())
        for i, s in enumerate(("train", "val", "test"))
    }
    assert sizes == in_ds
    convert(
        tmp_path / "syn", "png", tmp_path / "png", classes=["square"], per_class=3, progress=False
    )
    from PIL import Image

    pngs = sorted((tmp_path / "png" / "square").glob("*.png"))
    assert [p.name for p in pngs] == ["0.png", "1.png", "2.png"]
    image = np.asarray(Image.open(pngs[0]))
    assert image.shape == (28, 28) and np.array_equal(
        255 - image, ds.bitmaps[np.flatnonzero(ds.labels == 1)[0]]
    )
    with pytest.raises(DataFormatError, match="unknown target"):
        convert(tmp_path / "syn", "svg", tmp_path / "x", progress=False)


# ----------------------------------------------------------------------------- submissions


class _FixedRun:
    """A stand-in run: probabilities are a function of the drawing's first x coordinate."""

    classes = ["The Eiffel Tower", "cat", "house plant", "dog"]

    def __init__(self):
        self.calls = []

    def predict_proba(self, drawings):
        self.calls.append(len(drawings))
        out = np.zeros((len(drawings), 4))
        for i, d in enumerate(drawings):
            out[i] = np.roll([0.4, 0.3, 0.2, 0.1], d.strokes[0][0][0] % 4)
        return out


def test_submission_format_and_streaming(tmp_path):
    records = [
        {"key_id": str(1000 + i), "countrycode": "US", "drawing": [[[i, 9], [0, 9]]]}
        for i in range(10)
    ]
    test_csv = spec.kaggle_csv(tmp_path / "test_simplified.csv", records, test=True)
    run = _FixedRun()
    n = write_submission(run, test_csv, tmp_path / "submission.csv", batch_size=4, progress=False)
    assert n == 10 and run.calls == [4, 4, 2]
    lines = (tmp_path / "submission.csv").read_text().splitlines()
    assert lines[0] == "key_id,word" and len(lines) == 11
    assert lines[1] == "1000,The_Eiffel_Tower cat house_plant"
    assert lines[2] == "1001,cat house_plant dog"
    write_submission(
        run, test_csv, tmp_path / "sub2.csv", classes=["cat", "dog", "house plant"], progress=False
    )
    assert (tmp_path / "sub2.csv").read_text().splitlines()[1] == "1000,cat house_plant dog"
    records[3]["key_id"] = ""
    spec.kaggle_csv(test_csv, records, test=True)
    with pytest.raises(DataFormatError, match="no key_id"):
        write_submission(run, test_csv, tmp_path / "sub3.csv", progress=False)
    assert not (tmp_path / "sub3.csv").exists()


def test_predict_submission_map3_equals_evaluate(tmp_path):
    from seqdoodle.datasets.synthetic import synthetic_drawings
    from seqdoodle.evaluation.report import evaluate_predictions
    from seqdoodle.runs.folder import load_run
    from tests.conftest import REPO

    run_path = REPO / "tests" / "fixtures" / "runs_fc5b9ec" / "cnn"
    run = load_run(run_path)
    drawings = [d for c in run.classes for d in synthetic_drawings(c, 4, seed=11)]
    records = [dict(d.to_json(), key_id=str(i)) for i, d in enumerate(drawings)]
    test_csv = spec.kaggle_csv(tmp_path / "test_simplified.csv", records, test=True)
    result = CliRunner().invoke(
        app, ["predict", str(run_path), str(test_csv), "--submission", str(tmp_path / "sub.csv")]
    )
    assert result.exit_code == 0, result.output
    with open(tmp_path / "sub.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(drawings) and all(len(r["word"].split()) == 3 for r in rows)
    truth = {str(i): d.word for i, d in enumerate(drawings)}
    mine = map_at_k(truth, read_submission(tmp_path / "sub.csv"))
    y = np.array([run.classes.index(d.word) for d in drawings])
    as_ndjson = [Drawing(d.word, strokes=d.strokes) for d in drawings]
    report = evaluate_predictions(y, run.predict_proba(as_ndjson), run.classes)
    assert mine == pytest.approx(report.map3, abs=1e-12)
