"""Fixtures of the serving tests: two small saved runs (a CNN and a stroke model) and a client."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE_RUNS = REPO_ROOT / "tests" / "fixtures" / "runs_fc5b9ec"


@pytest.fixture(scope="session")
def run_dirs(tmp_path_factory) -> list[Path]:
    """Copies of the small saved runs `cnn` and `rnn` (12 synthetic classes)."""
    if not (FIXTURE_RUNS / "cnn" / "config.json").is_file():
        pytest.fail(f"the saved-run fixture is missing at {FIXTURE_RUNS}", pytrace=False)
    root = tmp_path_factory.mktemp("served")
    out = []
    for name in ("cnn", "rnn"):
        shutil.copytree(FIXTURE_RUNS / name, root / name, ignore=shutil.ignore_patterns(".lock"))
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


def raw_drawings(shared: Path, n: int = 6, classes=("cat", "house", "star", "sun")) -> list[dict]:
    """The first real raw drawings of a few classes (Google's ndjson objects)."""
    out = []
    for cls in classes:
        with open(shared / "raw" / f"{cls}.ndjson", encoding="utf-8") as f:
            for line, _ in zip(f, range(max(1, n // len(classes)) + 1)):
                out.append(json.loads(line))
    return out[:n]
