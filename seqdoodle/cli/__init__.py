"""Command-line interface: `seqdoodle --help`. Each command is a thin wrapper over the library."""

from __future__ import annotations

import importlib
import os

# TensorFlow's own log stays off the terminal unless `--verbose`: see `app.global_options`.
# Figures are only ever written to files: no GUI backend for the command line.
os.environ.setdefault("MPLBACKEND", "Agg")

from seqdoodle.cli.app import app

# Each module registers its commands on `app` (or `train_app`) when imported.
_COMMAND_MODULES = (
    "data",
    "download",
    "prepare",
    "convert",
    "analyze",
    "train",
    "evaluate",
    "predict",
    "compare",
    "ensemble",
    "serve",
    "export",
)
for _name in _COMMAND_MODULES:
    try:
        importlib.import_module(f"seqdoodle.cli.{_name}")
    except ModuleNotFoundError as _e:  # a module not written yet
        if _e.name != f"seqdoodle.cli.{_name}":
            raise


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]
