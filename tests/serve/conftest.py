"""Fixtures of the serving tests: the trained current runs (one per registered kind), an engine
serving them, a client, and the old fc5b9ec runs (to prove that old runs still serve)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import current_expected

REPO_ROOT = Path(__file__).resolve().parents[2]
OLD_RUNS = REPO_ROOT / "tests" / "fixtures" / "runs_fc5b9ec"


@pytest.fixture(scope="session")
def run_dirs(current_runs) -> list[Path]:
    """Copies of the trained current runs (`tests/fixtures/runs_current`), in registry order:
    one run of every kind, trained above chance on a few real classes."""
    return list(current_runs.values())


@pytest.fixture(scope="session")
def old_run_dirs(tmp_path_factory) -> list[Path]:
    """Copies of the 1-epoch runs saved at fc5b9ec (a bitmap and a stroke run, 12 synthetic
    classes, chance level): the run format of an older release."""
    if not (OLD_RUNS / "cnn" / "config.json").is_file():
        pytest.fail(f"the saved-run fixture is missing at {OLD_RUNS}", pytrace=False)
    root = tmp_path_factory.mktemp("served_old")
    out = []
    for name in ("cnn", "rnn"):
        shutil.copytree(OLD_RUNS / name, root / name, ignore=shutil.ignore_patterns(".lock"))
        out.append(root / name)
    return out


@pytest.fixture(scope="session")
def engine(run_dirs):
    from seqdoodle.serve.engine import load_engine

    engine = load_engine(run_dirs)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def client(engine):
    from fastapi.testclient import TestClient

    from seqdoodle.serve.app import create_app

    with TestClient(create_app(engine)) as client:
        yield client


def check_drawings(fmt: str = "raw") -> list[dict]:
    """The check drawings of the current runs (Google's ndjson objects, `word` the true class):
    real drawings of the runs' classes that are in no split of their dataset."""
    return current_expected()["drawings"][fmt]


def raw_drawings(shared: Path, n: int = 6, classes=None) -> list[dict]:
    """The first real raw drawings of a few classes (Google's ndjson objects); by default of the
    current runs' classes."""
    classes = current_expected()["dataset"]["classes"] if classes is None else classes
    out = []
    for cls in classes:
        with open(shared / "raw" / f"{cls}.ndjson", encoding="utf-8") as f:
            for line, _ in zip(f, range(max(1, n // len(classes)) + 1)):
                out.append(json.loads(line))
    return out[:n]
