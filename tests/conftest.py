"""Shared fixtures. Real data comes from ../shared/quickdraw beside the checkout when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO = Path(__file__).resolve().parents[1]
SHARED_QUICKDRAW = Path(
    os.environ.get("SEQDOODLE_SHARED_QUICKDRAW", REPO.parent / "shared" / "quickdraw")
)


@pytest.fixture(scope="session")
def shared_quickdraw() -> Path:
    """The real Quick, Draw! subset folder; the test is skipped when it is absent."""
    if not (SHARED_QUICKDRAW / "simplified").is_dir():
        pytest.skip(f"real data not found at {SHARED_QUICKDRAW}")
    return SHARED_QUICKDRAW
