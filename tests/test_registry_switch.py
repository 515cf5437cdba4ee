"""The registry is the only switch: no kind names outside `seqdoodle/kinds` and the CLI, `compare
--arch KIND=ARCH` from the registry, and each kind answering what serve, export, predict and the
compare demo used to decide by its name."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from typer.testing import CliRunner

import seqdoodle
from seqdoodle.errors import DataFormatError
from seqdoodle.kinds import (
    ARCH_KEYWORDS,
    all_kinds,
    arch_choices_text,
    check_archs,
    compared_kinds,
    get_kind,
    kind_names,
)
from seqdoodle.kinds.base import DemoSizes, ModelKind

PACKAGE = Path(seqdoodle.__file__).resolve().parent
SWITCHES = ("kinds", "cli")  # the only packages that may name a kind


# ----------------------------------------------------------------------------- (a) no kind names


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings (or bare string statements)."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def kind_literals(source: str, names=None) -> list[tuple[int, str]]:
    """(line, text) of every string constant, not a docstring, that is or quotes a kind name."""
    names = tuple(names or kind_names())
    quoted = re.compile("[\"']({})[\"']".format("|".join(map(re.escape, names))))
    tree = ast.parse(source)
    skip = _docstrings(tree)
    # f-string pieces (`f"rnn{i}"`, a layer name) count only where they quote a name
    pieces = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skip
        and ((node.value in names and id(node) not in pieces) or quoted.search(node.value))
    ]


def _modules_outside_the_switches() -> list[Path]:
    return [
        p for p in sorted(PACKAGE.rglob("*.py")) if p.relative_to(PACKAGE).parts[0] not in SWITCHES
    ]


def test_the_literal_check_finds_code_and_skips_docstrings():
    source = (
        '"""Module: `get_kind("cnn")`."""\n'
        "def f(kind):\n"
        '    """The rnn kind: {"rnn": 1}."""\n'
        '    if kind == "rnn":\n'
        '        return {"timecnn": 1, \'x\': "runs/cnn"}\n'
        "    text = \"config {'cnn': 2}\"\n"
        '    layer = f"rnn{kind}"\n'
        "    return f\"{kind}: 'rnn'\"\n"
    )
    found = kind_literals(source, ("cnn", "rnn", "timecnn"))
    assert sorted(line for line, _ in found) == [4, 5, 6, 8]
    assert {text for _, text in found} == {"rnn", "timecnn", "config {'cnn': 2}", ": 'rnn'"}


def test_no_kind_name_in_code_outside_kinds_and_cli():
    modules = _modules_outside_the_switches()
    assert len(modules) > 50 and PACKAGE / "comparison" / "job.py" in modules
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {text!r}"
        for path in modules
        for line, text in kind_literals(path.read_text(encoding="utf-8"))
    ]
    assert not found, "kind names in code (ask the registry instead):\n" + "\n".join(found)


def test_no_switch_on_input_types_outside_kinds():
    """Nothing outside `seqdoodle/kinds` reads `input_type` or compares with a kind's input type."""
    input_types = {k.input_type for k in all_kinds()}
    assert {"bitmap", "stroke3"} <= input_types  # kinds may share one (rnn and transformer)
    found = []
    for path in _modules_outside_the_switches():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            reads = isinstance(node, ast.Attribute) and node.attr == "input_type"
            compares = isinstance(node, ast.Compare) and any(
                isinstance(c, ast.Constant) and c.value in input_types
                for c in (node.left, *node.comparators)
            )
            if reads or (compares and path.relative_to(PACKAGE).parts[0] != "datasets"):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not found, "switches on a model's input type:\n" + "\n".join(found)


# ----------------------------------------------------------------------------- (b) compare --arch


def test_parse_archs_takes_kind_equals_arch_from_the_registry():
    from seqdoodle.cli.compare import parse_archs

    every = {k.name: k.archs[-1] for k in all_kinds()}
    text = ",".join(f"{k}={a}" for k, a in every.items())
    assert parse_archs([text]) == every
    assert parse_archs([f" {k} = {a} " for k, a in every.items()]) == every
    assert parse_archs(None) == {} and parse_archs([]) == {}


@pytest.mark.parametrize(
    "value, wants",
    [
        ("svm=default", ["unknown model kind 'svm'", *kind_names()]),
        ("rnn=baseline", ["unknown rnn arch 'baseline'", *get_kind("rnn").archs]),
        ("cnn", ["KIND=ARCH", arch_choices_text()]),
        ("cnn=default,cnn=baseline", ["two archs for cnn"]),
    ],
)
def test_compare_arch_refuses_a_bad_kind_or_arch_naming_the_choices(value, wants):
    from seqdoodle.cli import app

    result = CliRunner().invoke(app, ["compare", "--arch", value], env={"COLUMNS": "400"})
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "--arch" in text
    for want in wants:
        assert want in text, (want, text)


@pytest.fixture
def compare_calls(monkeypatch):
    """Arguments of `compare` as the CLI calls it (nothing is trained)."""
    from seqdoodle.comparison import job

    calls = []
    monkeypatch.setattr(job, "compare", lambda **kwargs: calls.append(kwargs) or {"ok": 1})
    return calls


def test_compare_arch_reaches_the_library(compare_calls, tmp_path):
    from seqdoodle.cli import app

    args = ["compare", "--out", str(tmp_path), "--json", "-", "--kinds", "rnn,timecnn"]
    args += ["--arch", "rnn=tutorial", "--arch", "timecnn=baseline"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"ok": 1}
    (call,) = compare_calls
    assert call["archs"] == {"rnn": "tutorial", "timecnn": "baseline"}
    assert call["kinds"] == ["rnn", "timecnn"] and "cnn_arch" not in call
    plain = CliRunner().invoke(app, ["compare", "--out", str(tmp_path), "--json", "-"])
    assert plain.exit_code == 0 and compare_calls[-1]["archs"] is None


def test_the_old_arch_options_still_work_with_a_note(compare_calls, tmp_path):
    from seqdoodle.cli import app

    args = ["compare", "--out", str(tmp_path), "--json", "-", "--cnn-arch", "baseline"]
    result = CliRunner().invoke(app, [*args, "--rnn-arch", "tutorial"])
    assert result.exit_code == 0, result.output
    assert compare_calls[-1]["archs"] == {"cnn": "baseline", "rnn": "tutorial"}
    notes = [line for line in result.stderr.splitlines() if "deprecated" in line]
    assert notes == [
        "Note: --cnn-arch is deprecated; use --arch cnn=baseline",
        "Note: --rnn-arch is deprecated; use --arch rnn=tutorial",
    ]
    assert json.loads(result.stdout) == {"ok": 1}  # stdout stays the JSON report
    bad = CliRunner().invoke(app, [*args[:-1], "nope"])
    assert bad.exit_code == 2 and "unknown cnn arch 'nope'" in " ".join(bad.output.split())
    helped = CliRunner().invoke(app, ["compare", "--help"], env={"COLUMNS": "400"})
    assert "--arch" in helped.output and "--cnn-arch" not in helped.output
    assert arch_choices_text() in " ".join(helped.output.split())


def test_library_archs_are_checked_against_the_registry(tmp_path):
    from seqdoodle.comparison.job import compare

    with pytest.raises(DataFormatError, match="unknown cnn arch 'nope'; choose default or"):
        compare(out=tmp_path / "a", archs={"cnn": "nope"})
    with pytest.raises(DataFormatError, match="unknown model kind 'svm'"):
        compare(out=tmp_path / "b", archs={"svm": "default"})
    with pytest.raises(DataFormatError, match="archs: timecnn not trained"):
        compare(out=tmp_path / "c", archs={"timecnn": "baseline"})
    assert check_archs({"rnn": "tutorial"}) == {"rnn": "tutorial"}
    assert set(ARCH_KEYWORDS.values()) <= set(kind_names())


# ----------------------------------------------------------------------------- (c) each kind


@pytest.fixture(scope="module")
def data32(shared_quickdraw, tmp_path_factory):
    """A small real dataset prepared from strokes at 32 px."""
    from seqdoodle.datasets.prepare import prepare

    out = tmp_path_factory.mktemp("data32") / "ds"
    source = shared_quickdraw / "simplified"
    return prepare(source, out, classes=["apple", "eye"], per_class=20, size=32, progress=False)


class _Stop(Exception):
    pass


def test_the_compare_demo_trains_each_kind_for_its_own_demo_sizes(data32, tmp_path, monkeypatch):
    import seqdoodle.datasets.prepare as prepare_module
    import seqdoodle.training as training_module
    from seqdoodle.comparison import job

    calls = []

    def fake_train(kind, ds, out, arch=None, epochs=None, **options):
        calls.append((kind, arch, epochs, options.get("time_limit")))
        return SimpleNamespace(summary={"seconds": 0.0})

    def stop(*args, **kwargs):
        raise _Stop

    monkeypatch.setattr(prepare_module, "prepare", lambda *a, **k: data32)
    monkeypatch.setattr(training_module, "train", fake_train)
    monkeypatch.setattr(job, "runs_on_dataset", stop)
    with pytest.raises(_Stop):
        job.compare(out=tmp_path / "demo", progress=False, archs={"rnn": "tutorial"})
    archs = {k: get_kind(k).archs[0] for k in compared_kinds()} | {"rnn": "tutorial"}
    wanted = [(k, archs[k], *dataclasses.astuple(get_kind(k).demo)) for k in compared_kinds()]
    assert calls == wanted and len(calls) >= 2
    assert all(epochs and limit for _, _, epochs, limit in calls)  # the demo sets both
    calls.clear()
    with pytest.raises(_Stop), pytest.warns(DeprecationWarning, match="archs=\\{'cnn': 'baseline'"):
        job.compare(out=tmp_path / "old", progress=False, cnn_arch="baseline", epochs=2)
    archs = {k: get_kind(k).archs[0] for k in compared_kinds()} | {"cnn": "baseline"}
    assert calls == [(k, archs[k], 2, None) for k in compared_kinds()]  # no demo sizes


def test_demo_sizes_are_the_kinds_own():
    assert compared_kinds() == tuple(k.name for k in all_kinds() if k.compared_by_default)
    assert len(compared_kinds()) >= 2
    for kind in all_kinds():
        assert isinstance(kind.demo, DemoSizes)
        if kind.demo.epochs is not None:
            assert 1 <= kind.demo.epochs <= kind.defaults.epochs
    assert ModelKind.demo == DemoSizes(None, None)  # a new kind: its train defaults


def test_input_size_of_a_32px_run_is_32(data32, tmp_path):
    from seqdoodle.runs.folder import load_run, save_run
    from seqdoodle.runs.inputs import input_size

    rows = data32.indices("train")
    for kind in all_kinds():
        config = kind.fit_input_config(data32, rows)
        assert kind.input_size(config) == (28 if kind.input_type == "stroke3" else 32), kind.name
    kind = get_kind("cnn")
    config = kind.fit_input_config(data32, rows)
    model = kind.build_model("baseline", len(data32.classes), config, seed=0)
    save_run(tmp_path / "run", model, {"kind": "cnn", "arch": "baseline", "input": config},
             data32.classes)  # fmt: skip
    run = load_run(tmp_path / "run")
    assert input_size(run) == 32 == run.input_config["size"]


def test_serve_gives_the_shared_bitmap_only_to_a_kind_that_takes_it():
    from seqdoodle.datasets.records import Drawing
    from seqdoodle.kinds.inputs import StrokeFeatures, bitmap_config
    from seqdoodle.kinds.timecnn import channels_config

    drawing = Drawing(word="", strokes=[[[0, 255], [0, 255]]], source="request")
    bitmap = np.full((28, 28), 7, np.uint8)
    cnn, rnn, timecnn = (get_kind(k) for k in ("cnn", "rnn", "timecnn"))
    fed = cnn.serving_drawing(drawing, bitmap, bitmap_config(28))
    assert fed is not drawing and fed.bitmap is bitmap and fed.strokes == drawing.strokes
    assert cnn.serving_drawing(drawing, bitmap, bitmap_config(32)) is drawing  # renders its own
    assert rnn.serving_drawing(drawing, bitmap, StrokeFeatures().to_config()) is drawing
    assert timecnn.serving_drawing(drawing, bitmap, channels_config(28)) is drawing
    assert drawing.bitmap is None


def test_export_scale_is_asked_of_the_kind():
    from seqdoodle.kinds.inputs import StrokeFeatures, bitmap_config

    rnn, cnn = get_kind("rnn"), get_kind("cnn")
    old = StrokeFeatures(scale=(0.5, 0.25)).to_config()  # a run saved before the scale layer
    assert rnn.raw_input_scale(None, old) == (0.5, 0.25)
    assert rnn.export_input_config(None, old) == {**old, "scale_in_model": True}
    assert old["scale_in_model"] is False  # the run's own config is left alone
    new = StrokeFeatures(scale=(0.5, 0.25), scale_in_model=True).to_config()
    assert rnn.raw_input_scale(None, new) is None and rnn.export_input_config(None, new) == new
    assert rnn.raw_input_scale(None, StrokeFeatures().to_config()) is None  # scale 1
    assert cnn.raw_input_scale(None, bitmap_config(28)) is None
    assert cnn.export_input_config(None, bitmap_config(28)) == bitmap_config(28)
