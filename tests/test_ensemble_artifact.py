"""An ensemble is a model artifact: fitted, written, loaded, and taken wherever a run is.

A small real dataset (three classes of ../shared/quickdraw, 80 stroke drawings each) and one
tiny run of every registered kind, trained for a few epochs, are made once for the module.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

pytestmark = pytest.mark.slow

CLASSES = ["circle", "square", "triangle"]
PER_CLASS = 80
EPOCHS = 3


@pytest.fixture(scope="module")
def trained(shared_quickdraw, tmp_path_factory):
    """`(dataset, {kind name: run folder})`: a real dataset and a tiny run of every kind."""
    from seqdoodle import prepare, train
    from seqdoodle.kinds import all_kinds

    root = tmp_path_factory.mktemp("ensemble")
    sources = [shared_quickdraw / "simplified", shared_quickdraw / "simplified_nokeyid"]
    ds = prepare(sources, root / "ds", classes=CLASSES, per_class=PER_CLASS, progress=False)
    runs = {}
    for kind in all_kinds():
        config = kind.fit_input_config(ds, ds.indices("train"), 0)
        sizes = {a: kind.build_model(a, len(CLASSES), config, 0).count_params() for a in kind.archs}
        out = root / kind.name
        train(
            kind.name, ds.path, out, arch=min(sizes, key=sizes.get), epochs=EPOCHS,
            batch_size=32, lr=5e-3, progress=False, time_limit=None,
        )  # fmt: skip
        runs[kind.name] = out
    return ds, runs


@pytest.fixture(scope="module")
def ensemble(trained, tmp_path_factory):
    from seqdoodle.runs.ensemble import fit_ensemble

    ds, runs = trained
    out = tmp_path_factory.mktemp("ens") / "ens"
    return fit_ensemble(list(runs.values()), ds.path, out, progress=False)


def one_line(e) -> str:
    text = str(e.value)
    assert "\n" not in text
    return text


def test_the_folder_records_members_weights_and_validation_scores(trained, ensemble):
    from seqdoodle.fileio import sha256_file
    from seqdoodle.runs.layout import EnsembleLayout, RunLayout

    ds, runs = trained
    manifest = json.loads(EnsembleLayout(ensemble.path).manifest.read_text())
    assert [m["name"] for m in manifest["members"]] == list(runs)  # named and ordered by kind
    for member in manifest["members"]:
        model = RunLayout(runs[member["name"]]).model
        assert member["model_sha256"] == sha256_file(model)
        assert (ensemble.path / member["path"]).resolve() == runs[member["name"]].resolve()
        assert member["weight"] == pytest.approx(ensemble.weights[member["name"]])
    assert sum(ensemble.weights.values()) == pytest.approx(1.0)
    assert manifest["pool"] == "log" and manifest["classes"] == CLASSES
    assert manifest["dataset"]["manifest_sha256"] == sha256_file(ds.path / "manifest.json")
    val = manifest["validation"]
    assert val["n_drawings"] == len(ds.indices("val"))
    assert set(val["members"]) == set(runs)
    for scores in [*val["members"].values(), val["ensemble"]]:
        assert 0 <= scores["top1"] <= 1 and scores["log_loss"] > 0
    # the weights minimise the validation log-loss: no member alone does better
    assert val["ensemble"]["log_loss"] <= min(s["log_loss"] for s in val["members"].values())


def test_load_model_opens_either_folder_and_refuses_anything_else(trained, ensemble, tmp_path):
    from seqdoodle.errors import MissingFileError
    from seqdoodle.runs.ensemble import Ensemble, load_model
    from seqdoodle.runs.folder import Run

    _, runs = trained
    opened = load_model(ensemble.path)
    assert isinstance(opened, Ensemble)
    assert opened.weights == ensemble.weights and opened.classes == CLASSES
    assert set(opened.input_spec) == set(runs)
    assert all(isinstance(m, Run) for m in opened.members.values())
    assert isinstance(load_model(next(iter(runs.values()))), Run)
    with pytest.raises(MissingFileError) as e:
        load_model(tmp_path)
    assert "nor an ensemble folder" in one_line(e)
    with pytest.raises(MissingFileError, match=r"no such run folder \(or ensemble folder\)"):
        load_model(tmp_path / "nothing")


def test_predict_pools_the_members_with_the_fitted_weights(trained, ensemble):
    from seqdoodle.evaluation.ensembles import pool_probs

    ds, _ = trained
    drawings = list(ds.drawings(ds.indices("test")[:12]))
    members = [
        m.predict_proba(drawings)[:, [m.classes.index(c) for c in CLASSES]]
        for m in ensemble.members.values()
    ]
    expected = pool_probs(members, list(ensemble.weights.values()), "log")
    got = ensemble.predict_proba(drawings)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    rows = ds.indices("test")[:12]
    np.testing.assert_allclose(ensemble.predict_proba_dataset(ds, rows), expected, atol=1e-5)


def test_evaluate_equals_the_ensemble_row_of_compare(trained, ensemble, tmp_path):
    from seqdoodle.comparison.job import compare
    from seqdoodle.runs.ensemble import load_model
    from seqdoodle.runs.evaluate import evaluate_run

    ds, runs = trained
    report = compare(
        runs=list(runs.values()), data=ds.path, out=tmp_path / "cmp", progress=False,
        save_ensemble=tmp_path / "saved",
    )  # fmt: skip
    row = report["models"]["ensemble"]
    assert report["ensemble"]["weights"] == pytest.approx(ensemble.weights, abs=1e-12)
    result = evaluate_run(ensemble, data=ds.path, progress=False)
    assert result.report.n == row["n"]
    for key in ("top1", "top3", "map3", "macro_f1", "ece"):
        assert getattr(result.report, key) == pytest.approx(row[key], abs=1e-6), key
    compared = np.load(tmp_path / "cmp" / "predictions_ensemble.npz")
    np.testing.assert_allclose(result.probs, compared["probs"], atol=1e-6)
    saved = load_model(tmp_path / "saved")  # compare --save-ensemble: compare's own weights
    assert saved.weights == pytest.approx(report["ensemble"]["weights"], abs=1e-12)
    assert saved.config["fitted_by"] == "seqdoodle compare"


def test_compare_scores_an_ensemble_given_as_a_run_as_one_model(trained, ensemble, tmp_path):
    from seqdoodle.comparison.job import compare
    from seqdoodle.runs.evaluate import evaluate_run

    ds, runs = trained
    first = next(iter(runs))
    report = compare(
        runs=[ensemble.path, runs[first]], data=ds.path, out=tmp_path / "cmp", progress=False
    )
    assert list(report["runs"]) == [first, ensemble.name]
    assert report["runs"][ensemble.name]["kind"] == "ensemble"
    alone = evaluate_run(ensemble, data=ds.path, progress=False).report
    assert report["models"][ensemble.name]["top1"] == pytest.approx(alone.top1, abs=1e-6)


def test_a_changed_missing_or_foreign_member_is_refused_in_one_line(trained, tmp_path):
    from seqdoodle.errors import DataFormatError, IntegrityError, MissingFileError
    from seqdoodle.runs.ensemble import fit_ensemble, load_model
    from seqdoodle.runs.layout import RunLayout

    ds, runs = trained
    names = list(runs)[:2]
    copies = [shutil.copytree(runs[n], tmp_path / n) for n in names]
    fit_ensemble(copies, ds.path, tmp_path / "ens", progress=False)
    model = RunLayout(copies[0]).model
    original = model.read_bytes()
    model.write_bytes(original + b"\0")
    with pytest.raises(IntegrityError) as e:
        load_model(tmp_path / "ens")
    assert f"member {names[0]!r}" in one_line(e) and "changed" in one_line(e)
    model.write_bytes(original)
    assert load_model(tmp_path / "ens").weights  # the same bytes load again
    shutil.rmtree(copies[1])
    with pytest.raises(MissingFileError) as e:
        load_model(tmp_path / "ens")
    assert f"member {names[1]!r}" in one_line(e)

    other = shutil.copytree(runs[names[0]], tmp_path / "renamed")
    config = json.loads(RunLayout(other).config.read_text())
    config["classes"] = ["zebra", *config["classes"][1:]]
    RunLayout(other).config.write_text(json.dumps(config))
    RunLayout(other).classes.write_text("".join(f"{c}\n" for c in config["classes"]))
    with pytest.raises(DataFormatError) as e:
        fit_ensemble([runs[names[1]], other], ds.path, tmp_path / "bad", progress=False)
    assert "classes differ" in one_line(e)


def test_a_copied_ensemble_stands_alone(trained, tmp_path):
    from seqdoodle.errors import DataFormatError
    from seqdoodle.runs.ensemble import fit_ensemble, load_model

    ds, runs = trained
    names = list(runs)[-2:]
    copies = [shutil.copytree(runs[n], tmp_path / n) for n in names]
    fitted = fit_ensemble(copies, ds.path, tmp_path / "ens", pool="linear", copy=True)
    for run in copies:
        shutil.rmtree(run)
    moved = shutil.move(tmp_path / "ens", tmp_path / "elsewhere")
    opened = load_model(moved)
    assert opened.pool == "linear" and opened.weights == pytest.approx(fitted.weights)
    drawings = list(ds.drawings(ds.indices("test")[:5]))
    np.testing.assert_allclose(opened.predict_proba(drawings), fitted.predict_proba(drawings))
    with pytest.raises(DataFormatError, match="an ensemble folder; an ensemble's members"):
        fit_ensemble([moved, runs[names[0]]], ds.path, tmp_path / "nested", progress=False)


def test_the_commands_take_an_ensemble_folder(trained, shared_quickdraw, tmp_path):
    from seqdoodle.cli import app

    ds, runs = trained
    cli = CliRunner()
    ens = tmp_path / "ens"
    result = cli.invoke(
        app, ["ensemble", *map(str, runs.values()), "--data", str(ds.path), "--out", str(ens)]
    )
    assert result.exit_code == 0, result.output
    assert "weight" in result.output and "val top-1" in result.output
    for name in runs:
        assert name in result.output

    lines = (shared_quickdraw / "simplified_nokeyid" / "circle.ndjson").read_text().splitlines()
    drawings = tmp_path / "circles.ndjson"
    drawings.write_text("\n".join(lines[-4:]) + "\n")  # beyond the prepared drawings
    result = cli.invoke(app, ["predict", str(ens), str(drawings), "--json", "-"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 4 and all(r["top"][0]["class"] in CLASSES for r in rows)
    total = [sum(t["probability"] for t in r["top"]) for r in rows]
    assert total == pytest.approx([1.0] * 4, abs=1e-5)  # three classes: top 3 is all of them

    result = cli.invoke(app, ["evaluate", str(ens), "--data", str(ds.path), "--json", "-"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["kind"] == "ensemble" and report["n"] == len(ds.indices("test"))

    out = tmp_path / "ens-onnx"
    result = cli.invoke(app, ["export", str(ens), "--format", "onnx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "pooled in onnxruntime" in result.output
    manifest = json.loads((out / "ensemble.json").read_text())
    assert manifest["pool"] == "log" and manifest["classes"] == CLASSES
    assert [m["name"] for m in manifest["members"]] == list(runs)
    for member in manifest["members"]:
        assert (out / member["file"]).is_file() and member["input"]["name"]
    assert manifest["check"]["max_abs_diff"] <= 1e-4
    assert manifest["check"]["top1_agreement"] == 1.0
