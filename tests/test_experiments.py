"""The experiments package: runnable modules, one set of shared helpers, results that say how
they were made.

Every committed `experiments/results/*.json` names the `python -m experiments...` command that
remakes it from a clean checkout with `../shared` beside it (no `/tmp`, no absolute paths), and
the 26-class results record the split that gives the drawing counts they report. Every study is
a literate script, no module edits `sys.path`, and every runnable module prints its `--help`.
"""

from __future__ import annotations

import ast
import datetime
import importlib.util
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from experiments.common import (
    REPO,
    SHARED,
    SPLIT_26,
    STROKE_CLASSES,
    STROKE_FOLDERS,
    command_line,
    peak_rss_kib,
    portable,
    reset_peak_rss,
    settings_of,
    stroke_classes,
    write_result,
)
from tests.test_results_artifacts import tracked_results

EXPERIMENTS = REPO / "experiments"
RESULTS = EXPERIMENTS / "results"
MODULES = sorted(
    p for folder in ("bench", "studies") for p in (EXPERIMENTS / folder).glob("*.py")
)  # fmt: skip


def recorded_commands(data: dict) -> dict[str, str]:
    """Where -> command of every command a result records (a merged file names one a section)."""
    commands = {}
    if "command" in data:
        commands["command"] = data["command"]
    for section, command in (data.get("commands") or {}).items():
        commands[f"commands[{section}]"] = command
    for key, value in data.items():
        if isinstance(value, dict) and "command" in value:
            commands[f"{key}.command"] = value["command"]
    for i, command in enumerate(data.get("requires") or []):
        commands[f"requires[{i}]"] = command
    return commands


@pytest.mark.parametrize("path", tracked_results(), ids=lambda p: p.name)
def test_every_result_names_a_command_that_remakes_it(path):
    text = path.read_text(encoding="utf-8")
    assert "/tmp/" not in text, f"{path.name}: names a temporary folder"
    assert f"{REPO}/" not in text, f"{path.name}: names this checkout's absolute path"
    commands = recorded_commands(json.loads(text))
    assert "command" in commands or any(k.startswith("commands[") for k in commands), path.name
    for where, command in commands.items():
        assert command.startswith("python -m experiments."), f"{path.name} {where}: {command}"
        words = shlex.split(command)
        spec = importlib.util.find_spec(words[2])
        assert spec is not None and spec.origin, f"{path.name} {where}: no module {words[2]}"
        assert Path(spec.origin).resolve().is_relative_to(EXPERIMENTS), spec.origin
        absolute = [w for w in words[3:] if w.split("=", 1)[-1].startswith("/")]
        assert not absolute, f"{path.name} {where}: absolute paths {absolute}"


@pytest.mark.parametrize(
    "name", ["compare_26_defaults.json", "compare_26_reduced.json", "compare_26_four_kinds.json"]
)
def test_26_class_results_record_the_split_that_gives_their_counts(name, shared_quickdraw):
    from seqdoodle.datasets.prepared import split_assignment

    data = json.loads((RESULTS / name).read_text(encoding="utf-8"))
    settings, words = data["settings"], shlex.split(data["command"])
    assert "--reuse" not in words and "--data" not in words, data["command"]
    assert not {"--val", "--test", "--seed"} & set(words)  # the study's defaults: SPLIT_26
    assert {k: settings[k] for k in SPLIT_26} == SPLIT_26
    assert data["data"]["classes"] == stroke_classes(shared_quickdraw)
    counts = {"train": 0, "val": 0, "test": 0}
    for position, name_ in enumerate(data["data"]["classes"]):
        n = sum(
            sum(1 for _ in open(path, "rb"))
            for folder in STROKE_FOLDERS
            if (path := shared_quickdraw / folder / f"{name_}.ndjson").is_file()
        )
        n = min(n, SPLIT_26["per_class"])
        codes = split_assignment(n, SPLIT_26["val"], SPLIT_26["test"], SPLIT_26["seed"], position)
        for code, split in enumerate(counts):
            counts[split] += int((codes == code).sum())
    assert counts == data["data"]["counts"]


def test_sweeps_on_the_26_classes_record_the_same_split():
    sweep = json.loads((RESULTS / "timecnn_sweep.json").read_text(encoding="utf-8"))
    assert sweep["budget"]["split"] == SPLIT_26
    pools = json.loads((RESULTS / "ensemble_pools.json").read_text(encoding="utf-8"))
    defaults = json.loads((RESULTS / "compare_26_defaults.json").read_text(encoding="utf-8"))
    assert pools["requires"] == [defaults["command"]]
    assert pools["drawings"] == {k: defaults["data"]["counts"][k] for k in ("val", "test")}


def test_no_module_edits_sys_path():
    needle = re.compile(r"sys\.path\.(insert|append|extend)|sys\.path\s*=")
    offenders = [
        str(path.relative_to(REPO))
        for folder in ("experiments", "tests")
        for path in (REPO / folder).rglob("*.py")
        if needle.search(path.read_text(encoding="utf-8"))
    ]
    assert not offenders


@pytest.mark.parametrize("path", MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_modules_are_short_and_studies_literate(path):
    source = path.read_text(encoding="utf-8")
    assert len(source.splitlines()) <= 400, f"{path.name}: split it"
    if path.parent.name != "studies" or path.name == "__init__.py":
        return
    doc = ast.get_docstring(ast.parse(source))
    assert doc and doc.startswith("Title: "), f"{path.name}: no Title: line"
    assert "\nDescription: " in doc, f"{path.name}: no Description: line"
    sections = re.findall(r"^\s*(?:# )?## \S", source, flags=re.MULTILINE)
    assert len(sections) >= 2, f"{path.name}: prose sections between the code"


def test_portable_paths_and_recorded_commands():
    assert portable(SHARED) == "../shared/quickdraw"
    assert portable(REPO / "experiments" / "work" / "x") == "experiments/work/x"
    assert portable("/tmp/x") == "/tmp/x"  # outside the checkout: left as it is
    assert portable("data/x") == "data/x"
    module = REPO / "experiments" / "studies" / "compare_26.py"
    work = REPO / "experiments" / "work" / "d"
    argv = ["--data", str(work), f"--data-root={SHARED}", "--curve", ""]
    command = command_line(module, argv)
    assert command == (
        "python -m experiments.studies.compare_26 --data experiments/work/d "
        "--data-root=../shared/quickdraw --curve ''"
    )
    assert shlex.split(command)[3:] == [
        "--data", "experiments/work/d", "--data-root=../shared/quickdraw", "--curve", ""
    ]  # fmt: skip


def test_write_result_records_command_settings_machine_and_date(tmp_path):
    import argparse

    args = argparse.Namespace(out=REPO / "experiments" / "results" / "x.json", runs=[SHARED], n=3)
    path = write_result(
        tmp_path / "r.json",
        {"figure": 1.5, "machine": {"cpus": 2}},
        "python -m experiments.bench.render",
        settings_of(args),
        requires=["python -m experiments.studies.compare_26"],
        provenance="made here",
    )
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary file left
    saved = json.loads(path.read_text())
    assert saved["figure"] == 1.5 and saved["command"] == "python -m experiments.bench.render"
    assert saved["settings"] == {
        "out": "experiments/results/x.json", "runs": ["../shared/quickdraw"], "n": 3
    }  # fmt: skip
    assert saved["machine"]["cpus"] == 2 and saved["machine"]["cores"] >= 1
    assert datetime.datetime.fromisoformat(saved["date"]).tzinfo is not None
    assert saved["requires"] == ["python -m experiments.studies.compare_26"]
    assert saved["provenance"] == "made here"


def test_stroke_classes_are_those_with_500_drawings(shared_quickdraw):
    counts: dict[str, int] = {}
    for folder in STROKE_FOLDERS:
        for path in (shared_quickdraw / folder).glob("*.ndjson"):
            counts[path.stem] = counts.get(path.stem, 0) + path.read_bytes().count(b"\n")
    chosen = stroke_classes(shared_quickdraw)
    assert chosen == sorted(c for c, n in counts.items() if n >= 500)
    assert set(STROKE_CLASSES) <= set(chosen)
    assert stroke_classes(shared_quickdraw, minimum=10**9) == []


def test_peak_rss_sees_an_allocation():
    if not reset_peak_rss():
        pytest.skip("the peak resident memory cannot be reset here")
    before = peak_rss_kib()
    block = np.ones(64 * 2**20 // 8)  # 64 MiB, written so every page is resident
    grown = peak_rss_kib() - before
    del block
    assert grown >= 48 * 1024, grown


@pytest.mark.slow
def test_every_runnable_module_prints_its_help():
    runnable = [
        ".".join(p.relative_to(REPO).with_suffix("").parts)
        for p in MODULES
        if "argument_parser(" in p.read_text(encoding="utf-8")
    ]
    script = """
import contextlib, io, json, runpy, sys
out = {}
for name in sys.argv[1:]:
    sys.argv = [name, "--help"]
    text = io.StringIO()
    try:
        with contextlib.redirect_stdout(text):
            runpy.run_module(name, run_name="__main__", alter_sys=True)
        code = "no exit"
    except SystemExit as stop:
        code = stop.code
    out[name] = [code, text.getvalue()]
print(json.dumps(out))
"""
    done = subprocess.run(
        [sys.executable, "-c", script, *runnable],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(runnable) >= 20 and set(results) == set(runnable)
    for name, (code, text) in results.items():
        assert code in (0, None), f"{name}: exit {code}"
        assert text.startswith(f"usage: python -m {name}"), f"{name}: {text[:200]}"
