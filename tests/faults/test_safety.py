"""Loading never runs code from a file: no pickles, Keras safe mode only (a scan of the source)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "seqdoodle"
SOURCES = sorted(PACKAGE.rglob("*.py"))
PICKLE_MODULES = ("pickle", "cPickle", "dill", "joblib")


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
    assert {"readers.py", "folder.py", "prepared.py"} <= names


def restricted_unpicklers(tree: ast.AST) -> list[ast.ClassDef]:
    """Classes deriving from `pickle.Unpickler` that override `find_class` (an allowlist)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and any(
            ast.unparse(base) == "pickle.Unpickler" for base in node.bases
        ):
            methods = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
            if "find_class" in methods:
                found.append(node)
    return found


def _pickle_uses_outside_unpicklers(tree: ast.AST) -> list[int]:
    """Lines using `pickle.<anything>` other than as the base of a restricted unpickler."""
    allowed = {id(base) for c in restricted_unpicklers(tree) for base in c.bases}
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "pickle"
        and id(node) not in allowed
    ]


def _code_text(text: str) -> str:
    """The source without its strings and comments (docstrings may name what is refused)."""
    import io
    import tokenize

    skipped = (tokenize.STRING, tokenize.COMMENT)
    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    return "".join(t.string for t in tokens if t.type not in skipped)


def _own_load_model_names(tree: ast.AST) -> set[str]:
    """Names bound to seqdoodle's `load_model`: imported from seqdoodle or defined here."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("seqdoodle"):
            names |= {a.asname or a.name for a in node.names if a.name == "load_model"}
        elif isinstance(node, ast.FunctionDef) and node.name == "load_model":
            names.add(node.name)
    return names


def _calls_own_load_model(call: ast.Call, ours: set[str]) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in ours
    return isinstance(func, ast.Attribute) and ast.unparse(func.value).startswith("seqdoodle")


def problems_in(text: str, name: str) -> list[str]:
    """What in one source file could run code from a loaded file.

    `import pickle` is accepted only in a module whose every use of it is the base class of an
    unpickler that overrides `find_class` (an allowlist of what may be reconstructed);
    `test_restricted_unpicklers_refuse_other_callables` checks those refuse the rest.
    """
    tree = ast.parse(text)
    problems = []
    for node in ast.walk(tree):  # no pickle-family modules, save for restricted unpicklers
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = (
                [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            )
            for module in modules:
                if not module or module.split(".")[0] not in PICKLE_MODULES:
                    continue
                restricted = (
                    isinstance(node, ast.Import)
                    and module == "pickle"
                    and restricted_unpicklers(tree)
                    and not _pickle_uses_outside_unpicklers(tree)
                )
                if not restricted:
                    problems.append(f"{name}:{node.lineno} imports {module}")
    for call in calls(tree, "load"):  # np.load: allow_pickle is never turned on
        value = keyword(call, "allow_pickle")
        if value is not None and not (isinstance(value, ast.Constant) and value.value is False):
            problems.append(f"{name}:{call.lineno} load with allow_pickle={ast.unparse(value)}")
    ours = _own_load_model_names(tree)
    for call in calls(tree, "load_model"):  # Keras: safe_mode=True, spelled out
        if _calls_own_load_model(call, ours):
            continue  # seqdoodle.load_model (a run or an ensemble folder), not Keras's
        value = keyword(call, "safe_mode")
        if not (isinstance(value, ast.Constant) and value.value is True):
            problems.append(f"{name}:{call.lineno} load_model without safe_mode=True")
    for call in calls(tree, "enable_unsafe_deserialization"):
        problems.append(f"{name}:{call.lineno} enables unsafe deserialization")
    code = "".join(_code_text(text).split())
    for pattern in ("allow_pickle=True", "safe_mode=False"):
        if pattern in code:
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
        "from keras.saving import load_model\nload_model(p)",
        "keras.config.enable_unsafe_deserialization()",
        "kwargs = dict(allow_pickle = True)",
        # an Unpickler subclass that does not restrict find_class
        "import pickle\nclass U(pickle.Unpickler):\n    pass",
        # a restricted unpickler, but pickle.loads used beside it
        "import pickle\nclass U(pickle.Unpickler):\n    def find_class(self, m, n):\n"
        "        raise ValueError\nx = pickle.loads(b'')",
    ],
)
def test_the_scan_catches_unsafe_code(snippet):
    assert problems_in(snippet, "x.py")


def test_the_scan_accepts_restricted_unpicklers_and_docstrings():
    source = (
        '"""Never np.load(allow_pickle=True)."""\nimport pickle\n'
        "class U(pickle.Unpickler):\n    def find_class(self, module, name):\n"
        "        raise ValueError(name)\n"
    )
    assert problems_in(source, "x.py") == []


def _restricted_unpickler_classes():
    import importlib

    found = []
    for path in SOURCES:
        tree = ast.parse(path.read_text("utf-8"))
        for node in restricted_unpicklers(tree):
            parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
            found.append((".".join(parts), node.name))
    return [getattr(importlib.import_module(m), c) for m, c in found]


def test_restricted_unpicklers_refuse_other_callables(tmp_path):
    """Every allowlisting unpickler in the package refuses a pickle that names `open` (or
    `os.system`) before calling it: the marker file is never created."""
    import io
    import os
    import pickle

    marker = tmp_path / "ran"

    class Opens:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    class Runs:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    unpicklers = _restricted_unpickler_classes()
    assert unpicklers, "no restricted unpickler found; drop this test"
    for unpickler in unpicklers:
        for payload in (Opens(), Runs()):
            for protocol in (2, pickle.HIGHEST_PROTOCOL):
                data = pickle.dumps(payload, protocol=protocol)
                with pytest.raises(Exception):  # noqa: B017, PT011 - whatever it raises
                    unpickler(io.BytesIO(data), encoding="latin1").load()
                assert not marker.exists(), (unpickler, payload)


def test_loading_goes_through_safe_mode(tmp_path, cnn_run, monkeypatch):
    """`load_run` passes safe_mode=True to Keras at run time, not only in the source text."""
    import keras

    from seqdoodle.runs.folder import load_run

    seen = []
    original = keras.saving.load_model

    def spy(*args, **kwargs):
        seen.append(kwargs.get("safe_mode"))
        return original(*args, **kwargs)

    monkeypatch.setattr(keras.saving, "load_model", spy)
    load_run(cnn_run)
    assert seen == [True]
