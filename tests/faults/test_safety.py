"""Loading never runs code from a file: no pickles, Keras safe mode only (a scan of the source)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "seqdoodle"
SOURCES = sorted(PACKAGE.rglob("*.py"))


def calls(tree: ast.AST, name: str):
    """Every call whose function's last attribute (or name) is `name`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            last = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if last == name:
                yield node


def keyword(call: ast.Call, name: str):
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def test_the_scan_sees_the_package():
    names = {p.name for p in SOURCES}
    assert {"readers.py", "artifacts.py", "prepared.py"} <= names


def problems_in(text: str, name: str) -> list[str]:
    """What in one source file could run code from a loaded file."""
    tree = ast.parse(text)
    problems = []
    for node in ast.walk(tree):  # no pickle-family modules at all
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = (
                [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            )
            for module in modules:
                if module and module.split(".")[0] in ("pickle", "cPickle", "dill", "joblib"):
                    problems.append(f"{name}:{node.lineno} imports {module}")
    for call in calls(tree, "load"):  # np.load: allow_pickle is never turned on
        value = keyword(call, "allow_pickle")
        if value is not None and not (isinstance(value, ast.Constant) and value.value is False):
            problems.append(f"{name}:{call.lineno} load with allow_pickle={ast.unparse(value)}")
    for call in calls(tree, "load_model"):  # Keras: safe_mode=True, spelled out
        value = keyword(call, "safe_mode")
        if not (isinstance(value, ast.Constant) and value.value is True):
            problems.append(f"{name}:{call.lineno} load_model without safe_mode=True")
    for call in calls(tree, "enable_unsafe_deserialization"):
        problems.append(f"{name}:{call.lineno} enables unsafe deserialization")
    for pattern in ("allow_pickle=True", "safe_mode=False"):
        if pattern in text:
            problems.append(f"{name} contains {pattern}")
    return problems


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_pickle_and_safe_keras_loading(path):
    problems = problems_in(path.read_text("utf-8"), str(path.relative_to(PACKAGE.parent)))
    assert not problems, "; ".join(problems)


@pytest.mark.parametrize(
    "snippet",
    [
        "import pickle",
        "from joblib import load",
        "np.load(f, allow_pickle=True)",
        "np.load(f, allow_pickle=flag)",
        "keras.saving.load_model(p)",
        "keras.saving.load_model(p, safe_mode=False)",
        "keras.config.enable_unsafe_deserialization()",
    ],
)
def test_the_scan_catches_unsafe_code(snippet):
    assert problems_in(snippet, "x.py")


def test_loading_goes_through_safe_mode(tmp_path, cnn_run, monkeypatch):
    """`load_run` passes safe_mode=True to Keras at run time, not only in the source text."""
    import keras

    from seqdoodle.artifacts import load_run

    seen = []
    original = keras.saving.load_model

    def spy(*args, **kwargs):
        seen.append(kwargs.get("safe_mode"))
        return original(*args, **kwargs)

    monkeypatch.setattr(keras.saving, "load_model", spy)
    load_run(cnn_run)
    assert seen == [True]
