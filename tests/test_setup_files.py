"""The set-up files agree: pyproject.toml, constraints.txt, the Makefile and .ci/run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.version import Version

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def required(extra: str | None = None) -> list[Requirement]:
    """The requirements of the core (extra None) or of an extra, self-references expanded."""
    project = pyproject()["project"]
    own = normalise(project["name"])
    reqs = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    out = []
    for text in reqs:
        req = Requirement(text)
        if normalise(req.name) == own:
            for sub in sorted(req.extras):
                out += required(sub)
        else:
            out.append(req)
    return out


def constraint_pins() -> dict[str, list[tuple[Version, Marker | None]]]:
    pins: dict[str, list[tuple[Version, Marker | None]]] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        req = Requirement(line)
        spec = list(req.specifier)
        assert len(spec) == 1 and spec[0].operator == "==", f"not an exact pin: {line}"
        pins.setdefault(normalise(req.name), []).append((Version(spec[0].version), req.marker))
    return pins


def make_recipe(target: str) -> list[str]:
    """The recipe lines of a Makefile target."""
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(rf"{re.escape(target)}\s*:", line))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


def test_constraints_pin_every_dependency_within_its_range():
    pins = constraint_pins()
    reqs = required() + required("dev")
    assert {"tensorflow", "keras", "pytest", "ruff", "import-linter", "build"} <= {
        normalise(r.name) for r in reqs
    }
    for req in reqs:
        name = normalise(req.name)
        assert name in pins, f"{req.name} is not pinned in constraints.txt: run `make lock`"
        for version, _marker in pins[name]:
            assert version in req.specifier, (
                f"constraints.txt pins {req.name}=={version} outside pyproject's {req.specifier}:"
                " run `make lock`"
            )


def test_constraints_pin_each_package_once_for_each_python():
    for name, pins in constraint_pins().items():
        for minor in range(10, 15):
            env = {"python_version": f"3.{minor}", "python_full_version": f"3.{minor}.0"}
            applying = [v for v, marker in pins if marker is None or marker.evaluate(env)]
            assert len(applying) <= 1, f"{name} has several pins for Python 3.{minor}: {applying}"


def test_constraints_say_how_they_are_refreshed():
    head = (ROOT / "constraints.txt").read_text().splitlines()[:10]
    assert any("make lock" in line for line in head if line.startswith("#"))


def test_make_test_runs_ruff_import_linter_then_pytest():
    assert make_recipe("test") == [
        "ruff check .",
        "lint-imports",
        "python -m pytest -q -rs -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)",
    ]


def test_make_compare_runs_seqdoodle_compare():
    assert any("seqdoodle compare" in line for line in make_recipe("compare"))


def test_make_installs_only_with_the_constraints():
    text = (ROOT / "Makefile").read_text()
    assert re.search(r"^CONSTRAINTS \?= constraints\.txt$", text, re.M)
    for target in ("$(STAMP_CORE)", "$(STAMP_DEV)", "wheel-smoke"):
        installs = [line for line in make_recipe(target) if re.search(r"(?i)pip\)? install", line)]
        assert installs, target
        for line in installs:
            if "--no-deps" in line:  # the wheel alone; its dependencies are the pinned ones
                continue
            assert "-c " in line, f"{target} installs without the constraints: {line}"


def test_ci_runs_make_test_and_the_wheel_smoke():
    lines = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]

    def index(target: str) -> int:
        return next(i for i, ln in enumerate(lines) if re.fullmatch(rf"make( \S+)* {target}", ln))

    test, smoke = index("test"), index("wheel-smoke")
    assert test < smoke
    assert any("SEQDOODLE_REQUIRE_REAL_DATA=1" in line for line in lines[:test])


@pytest.mark.parametrize("pattern", ["data/*.txt", "serve/*.html", "web/dist/**/*"])
def test_package_data_ships_the_class_list_the_page_and_the_web_bundle(pattern):
    assert pattern in pyproject()["tool"]["setuptools"]["package-data"]["seqdoodle"]


def test_import_contracts_cover_every_subpackage():
    config = pyproject()["tool"]["importlinter"]
    assert config["root_package"] == "seqdoodle"
    contracts = {c["id"]: c for c in config["contracts"]}
    layered = {
        module.strip()
        for layer in contracts["layers"]["layers"]
        for module in layer.strip("()").split("|")
    }
    assert contracts["layers"]["layers"][0] == "seqdoodle.cli"
    assert set(contracts["no-cli"]["source_modules"]) == layered - {"seqdoodle.cli"}
    assert contracts["no-cli"]["forbidden_modules"] == ["seqdoodle.cli"]
    keras = contracts["no-keras-below-models"]
    assert set(keras["source_modules"]) == {"seqdoodle.strokes", "seqdoodle.datasets"}
    assert set(keras["forbidden_modules"]) == {"tensorflow", "keras"}
    assert config["include_external_packages"] is True
    subpackages = {
        f"seqdoodle.{p.parent.name}"
        for p in (ROOT / "seqdoodle").glob("*/__init__.py")
        if not p.parent.name.startswith("_")
    }
    assert subpackages <= layered, f"not in any layer: {sorted(subpackages - layered)}"
