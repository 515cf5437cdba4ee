"""`analyze`: statistics checked against numbers computed here, figures, summary files, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from seqdoodle.cli import app
from seqdoodle.errors import MissingFileError, UnknownClassError
from seqdoodle.reports.analysis import analyze

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# Simplified drawings: (strokes, recognized, countrycode). Strokes are [xs, ys] lists.
CAT_SIMPLIFIED = [
    ([[[0, 255, 255, 0, 0], [0, 0, 255, 255, 0]]], True, "US"),
    ([[[0, 100], [0, 100]], [[100, 200, 255], [100, 50, 0]], [[10], [10]]], False, "DE"),
    ([[[5, 250], [128, 128]], [[128, 128], [5, 250]]], True, "US"),
]
DOG_SIMPLIFIED = [
    ([[[0, 50, 100, 150, 200, 255], [0, 255, 0, 255, 0, 255]]], True, "GB"),
    ([[[0, 255], [0, 200]]], None, None),
]
# Raw drawings: strokes [xs, ys, ts] with t in ms; duration = last t - first t.
CAT_RAW = [
    [[[10.5, 300.25, 600.0], [20.0, 40.0, 400.0], [0, 120, 260]], [[50, 6], [7, 8], [900, 2400]]],
    [[[0, 10, 20, 30], [0, 5, 10, 400], [100, 200, 300, 5100]]],
    [[[100, 0], [0, 100], [0, 750]], [[0, 100], [0, 100], [1000, 1500]]],
]


def _line(word, strokes, recognized=None, country=None, key=None) -> str:
    obj = {"word": word, "drawing": strokes}
    if recognized is not None:
        obj["recognized"] = recognized
    if country is not None:
        obj["countrycode"] = country
    if key is not None:
        obj["key_id"] = key
    return json.dumps(obj) + "\n"


def _bitmaps(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, 256, size=(n, 784)).astype(np.uint8)
    rows[rng.random((n, 784)) < 0.7] = 0  # mostly background, as real bitmaps
    return rows


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """Folders simplified/ (cat with a bad line, dog), raw/, bitmap/, mixed/ and empty/."""
    root = tmp_path_factory.mktemp("eda_data")
    simplified, raw, bitmap, mixed, empty = (
        root / n for n in ("simplified", "raw", "bitmap", "mixed", "empty")
    )
    for folder in (simplified, raw, bitmap, mixed, empty):
        folder.mkdir()
    lines = [_line("cat", *CAT_SIMPLIFIED[0]), "{not json\n"]
    lines += [_line("cat", *d) for d in CAT_SIMPLIFIED[1:]]
    (simplified / "cat.ndjson").write_text("".join(lines))
    (simplified / "dog.ndjson").write_text("".join(_line("dog", *d) for d in DOG_SIMPLIFIED))
    (raw / "cat.ndjson").write_text(
        "".join(_line("cat", s, True, "FR") for s in CAT_RAW[:2]) + _line("cat", CAT_RAW[2])
    )
    np.save(bitmap / "cat.npy", _bitmaps(0, 7))
    np.save(bitmap / "apple.npy", _bitmaps(1, 4).reshape(4, 28, 28))
    np.save(mixed / "apple.npy", _bitmaps(2, 3))
    (mixed / "dog.ndjson").write_text("".join(_line("dog", *d) for d in DOG_SIMPLIFIED))
    return {"simplified": simplified, "raw": raw, "bitmap": bitmap, "mixed": mixed, "empty": empty}


@pytest.fixture(scope="module")
def result(folders, tmp_path_factory):
    out = tmp_path_factory.mktemp("eda_out")
    sources = [folders["simplified"], folders["raw"], folders["bitmap"]]
    return out, analyze(sources, out, per_class=10, progress=False)


def _ink(bitmaps) -> float:
    return float((np.asarray(bitmaps) > 0).mean(axis=(1, 2)).mean())


def test_stroke_statistics_match_the_fixture(result):
    _, summary = result
    cat = summary["kinds"]["simplified"]["classes"]["cat"]
    strokes = [d[0] for d in CAT_SIMPLIFIED]
    assert cat["drawings"] == 3
    assert cat["skipped_lines"] == 1
    assert cat["mean_strokes"] == pytest.approx(np.mean([len(s) for s in strokes]))
    assert cat["mean_points"] == pytest.approx(
        np.mean([sum(len(st[0]) for st in s) for s in strokes])
    )
    assert cat["share_recognized"] == pytest.approx(2 / 3)
    assert cat["median_duration_s"] is None
    dog = summary["kinds"]["simplified"]["classes"]["dog"]
    assert dog["share_recognized"] == 1.0  # one drawing has no `recognized` field
    assert summary["kinds"]["simplified"]["countries"] == {"US": 2, "DE": 1, "GB": 1}


def test_raw_durations_are_last_minus_first_time(result):
    _, summary = result
    cat = summary["kinds"]["raw"]["classes"]["cat"]
    durations = [(s[-1][2][-1] - s[0][2][0]) / 1000 for s in CAT_RAW]
    assert durations == [2.4, 5.0, 1.5]
    assert cat["median_duration_s"] == pytest.approx(np.median(durations))
    assert cat["mean_duration_s"] == pytest.approx(np.mean(durations))
    assert cat["mean_points"] == pytest.approx(np.mean([5, 4, 4]))
    assert cat["share_recognized"] == 1.0
    assert summary["kinds"]["raw"]["countries"] == {"FR": 2}


def test_ink_fraction_and_mean_pixel(result, folders):
    from seqdoodle.strokes.raster import render_bitmaps

    _, summary = result
    for name in ("cat", "apple"):
        rows = np.load(folders["bitmap"] / f"{name}.npy").reshape(-1, 28, 28)
        stats = summary["kinds"]["bitmap"]["classes"][name]
        assert stats["drawings"] == len(rows)
        assert stats["ink_fraction"] == pytest.approx(_ink(rows))
        assert stats["mean_pixel"] == pytest.approx(rows.mean())
        assert stats["mean_strokes"] is None
    rendered = render_bitmaps([d[0] for d in CAT_SIMPLIFIED])
    cat = summary["kinds"]["simplified"]["classes"]["cat"]
    assert cat["ink_fraction"] == pytest.approx(_ink(rendered))
    pooled = summary["kinds"]["bitmap"]["all"]
    assert pooled["drawings"] == 11
    cat_rows = np.load(folders["bitmap"] / "cat.npy").reshape(-1, 28, 28)
    apple_rows = np.load(folders["bitmap"] / "apple.npy")
    assert pooled["ink_fraction"] == pytest.approx(_ink(np.concatenate([cat_rows, apple_rows])))


def test_files_written(result):
    out, summary = result
    on_disk = json.loads((out / "summary.json").read_text())
    assert on_disk["kinds"]["simplified"]["classes"]["cat"]["drawings"] == 3
    parts = summary["kinds"].values()
    figures = [f for part in parts for files in part["figures"].values() for f in files]
    assert {"raw_durations.png", "bitmap_mean_images.png", "simplified_countries.png"} <= set(
        figures
    )
    assert "bitmap_durations.png" not in figures and "bitmap_countries.png" not in figures
    for name in figures:
        assert (out / name).read_bytes()[:8] == PNG_MAGIC
    assert sorted(p.name for p in out.glob("*.png")) == sorted(figures)
    assert not [p for p in out.iterdir() if ".tmp-" in p.name]
    text = (out / "summary.md").read_text()
    for name in figures:
        assert f"({name})" in text
    assert "| cat | 3 | 2.00 | 5.0 |" in text  # simplified: 6/3 strokes, 15/3 points
    assert "| cat | 3 | 1.67 | 4.3 | 2.40 | 100.0% |" in text  # raw
    assert "cat.ndjson: 3 drawings read, 1 lines skipped (line 2: invalid JSON" in text


def test_per_class_limits_reading(folders, tmp_path):
    summary = analyze(
        [folders["simplified"], folders["bitmap"]], tmp_path, classes=["cat"], per_class=1
    )
    cat = summary["kinds"]["simplified"]["classes"]["cat"]
    assert cat["drawings"] == 1
    assert cat["skipped_lines"] == 0  # reading stopped before the bad line 2
    assert cat["mean_strokes"] == len(CAT_SIMPLIFIED[0][0])
    assert summary["kinds"]["bitmap"]["classes"]["cat"]["drawings"] == 1
    rows = np.load(folders["bitmap"] / "cat.npy")[:1].reshape(-1, 28, 28)
    assert summary["kinds"]["bitmap"]["classes"]["cat"]["ink_fraction"] == pytest.approx(_ink(rows))
    assert set(summary["kinds"]["simplified"]["classes"]) == {"cat"}


def test_mixed_folder_uses_what_exists(folders, tmp_path):
    summary = analyze(folders["mixed"], tmp_path, per_class=5, progress=False)
    assert list(summary["kinds"]["bitmap"]["classes"]) == ["apple"]
    assert list(summary["kinds"]["simplified"]["classes"]) == ["dog"]
    assert "bitmap_drawing_sizes.png" not in {p.name for p in tmp_path.iterdir()}
    assert (tmp_path / "simplified_drawing_sizes.png").read_bytes()[:8] == PNG_MAGIC


def test_synthetic(tmp_path):
    from seqdoodle.datasets.synthetic import synthetic_drawings

    summary = analyze("synthetic", tmp_path, classes=["sun", "wheel"], per_class=6, seed=3)
    assert list(summary["kinds"]) == ["synthetic"]
    for name in ("sun", "wheel"):
        drawings = synthetic_drawings(name, 6, seed=3)
        stats = summary["kinds"]["synthetic"]["classes"][name]
        assert stats["drawings"] == 6
        assert stats["mean_strokes"] == pytest.approx(np.mean([len(d.strokes) for d in drawings]))
        known = [d.recognized for d in drawings]
        assert stats["share_recognized"] == pytest.approx(np.mean(known))
    assert (tmp_path / "synthetic_samples.png").read_bytes()[:8] == PNG_MAGIC


def test_errors(folders, tmp_path):
    with pytest.raises(UnknownClassError, match="Did you mean"):
        analyze(folders["simplified"], tmp_path, classes=["catt"])
    with pytest.raises(UnknownClassError):
        analyze("synthetic", tmp_path, classes=["cat"])
    with pytest.raises(MissingFileError, match="no such source folder"):
        analyze(tmp_path / "nowhere", tmp_path)
    with pytest.raises(MissingFileError, match="no class files"):
        analyze(folders["empty"], tmp_path)
    with pytest.raises(MissingFileError, match="'apple'"):
        analyze(folders["simplified"], tmp_path, classes=["apple"])


def test_cli_success(folders, tmp_path):
    args = ["analyze", "--source", str(folders["simplified"]), "--source", str(folders["raw"])]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path), "--per-class", "2"])
    assert result.exit_code == 0, result.output
    assert "simplified: 2 classes, 4 drawings" in result.output
    assert "raw: 1 classes, 2 drawings" in result.output
    assert json.loads((tmp_path / "summary.json").read_text())["per_class"] == 2


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--classes", "cat,kat"], "Unknown class 'kat'"),
        (["--classes", "apple"], "no <class>.npy or <class>.ndjson file"),
    ],
)
def test_cli_errors_are_one_line(folders, tmp_path, extra, message):
    args = ["analyze", "--source", str(folders["simplified"]), "--out", str(tmp_path), *extra]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]
    assert not (tmp_path / "summary.json").exists()


@pytest.mark.parametrize("folder", ["empty", "missing"])
def test_cli_bad_folder(folders, tmp_path, folder):
    path = folders["empty"] if folder == "empty" else tmp_path / "missing"
    result = CliRunner().invoke(app, ["analyze", "--source", str(path), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1


def test_figure_functions_draw_into_given_axes():
    from matplotlib.figure import Figure

    from seqdoodle import plots

    fig = Figure()
    ax = fig.add_subplot()
    assert plots.plot_class_boxes({"cat": [1, 2, 9]}, "strokes", "S", ax=ax) is fig
    assert plots.plot_class_bars({"cat": 0.5}, "x", "t", percent=True, ax=ax) is fig
    assert plots.plot_top_counts({"US": 3}, "drawings", "t", ax=ax) is fig
    grid = plots.plot_sample_grid({"cat": [CAT_SIMPLIFIED[0][0]] * 3, "dog": [np.eye(28)]})
    assert [a.get_ylabel() for a in grid.axes] == ["cat", "dog"]
    assert len(plots.plot_mean_images({"a": np.ones((28, 28))}, fig=fig).axes) == 2  # + colorbar


def test_pixel_histogram_bins():
    from seqdoodle import plots

    counts = np.zeros(256, np.int64)
    counts[[0, 1, 8, 9, 249, 255]] = [1000, 1, 1, 2, 3, 3]  # bins 1..8, 9..16, 249..255
    fig = plots.plot_pixel_histograms({"cat": counts})
    values, edges = fig.axes[0].patches[0].get_data()[:2]
    assert values[0] == pytest.approx(20.0) and values[1] == pytest.approx(20.0)
    assert values[-1] == pytest.approx(60.0) and values[2:-1].sum() == 0
    assert edges[0] == 1 and edges[-1] == 256 and len(values) == 32
    assert "ink: 1.0% of pixels" in fig.axes[0].get_title()  # 10 of 1010


def test_real_data(shared_quickdraw, tmp_path):
    """Three real classes in all three formats; numbers checked against the files directly."""
    classes = ["apple", "banana", "eye"]
    sources = [shared_quickdraw / k for k in ("simplified", "raw", "bitmap")]
    summary = analyze(sources, tmp_path, classes=classes, per_class=5, progress=False)
    assert list(summary["kinds"]) == ["bitmap", "simplified", "raw"]
    for name in classes:
        rows = np.load(shared_quickdraw / "bitmap" / f"{name}.npy", mmap_mode="r")[:5]
        bitmap = summary["kinds"]["bitmap"]["classes"][name]
        assert bitmap["ink_fraction"] == pytest.approx(_ink(rows.reshape(-1, 28, 28)))
        for kind in ("simplified", "raw"):
            with open(shared_quickdraw / kind / f"{name}.ndjson") as f:
                drawings = [json.loads(next(f))["drawing"] for _ in range(5)]
            stats = summary["kinds"][kind]["classes"][name]
            assert stats["drawings"] == 5
            assert stats["mean_strokes"] == pytest.approx(np.mean([len(d) for d in drawings]))
        durations = [(d[-1][2][-1] - d[0][2][0]) / 1000 for d in drawings]
        assert summary["kinds"]["raw"]["classes"][name]["median_duration_s"] == pytest.approx(
            np.median(durations)
        )
        assert 0 < np.median(durations) < 60
    # Google rendered the bitmaps from the simplified strokes, so both ink fractions agree.
    simplified_ink = summary["kinds"]["simplified"]["all"]["ink_fraction"]
    assert simplified_ink == pytest.approx(summary["kinds"]["bitmap"]["all"]["ink_fraction"])
    assert (tmp_path / "raw_durations.png").read_bytes()[:8] == PNG_MAGIC
