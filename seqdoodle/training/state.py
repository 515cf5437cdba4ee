"""The run folder's training state: `checkpoint/state.json`, its schema, and crash recovery.

`checkpoint/state.json` is the commit point of every epoch (see `seqdoodle.training`). This module
reads and checks it (every key the trainer uses, one-line errors), finishes what a stop left undone
in `checkpoint/` and clears a folder that a stop left inside its first epoch.
"""

from __future__ import annotations

import contextlib
import json
import numbers
import os
import signal
import threading
from pathlib import Path

from seqdoodle.errors import DataFormatError, MissingFileError
from seqdoodle.kinds import choices_text, kind_names
from seqdoodle.runs.layout import RunLayout

STOP_REASONS = {
    "epochs": "all epochs done",
    "early_stopping": "early stopping",
    "time_limit": "time limit",
}
HISTORY_KEYS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds")


def new_state(config: dict, planned_epochs: int) -> dict:
    """The state of a run before its first epoch."""
    return {
        "config": config,
        "epoch": 0,
        "planned_epochs": planned_epochs,
        "progress": 0.0,
        "best_val_accuracy": None,
        "best_epoch": None,
        "wait": 0,
        "history": {key: [] for key in HISTORY_KEYS},
        "stop_reason": None,
        "finished": False,
        "train_seconds": 0.0,
    }


def load_state(out: Path, kind: str, arch: str, manifest_sha: str, say) -> dict | None:
    """The checkpoint state of `out`, checked against this call; None to start afresh.

    Also finishes what a stop left undone in `checkpoint/`: renames a committed stage to
    `last.keras` and drops an uncommitted one.
    """
    layout = RunLayout(out)
    path = layout.state
    if not path.exists():
        start_over(out, say)
        return None
    state = read_state(path)
    config = state["config"]
    if config["kind"] != kind or config["arch"] != arch:
        raise DataFormatError(
            f"{out}: holds a {config['kind']} ({config['arch']}) run, not {kind} ({arch}); "
            "use another --out"
        )
    if config["dataset"]["manifest_sha256"] != manifest_sha:
        raise DataFormatError(
            f"{out}: was trained on another dataset ({config['dataset']['path']}); "
            "use another --out"
        )
    committed = layout.staged_checkpoint(state["epoch"])
    if committed.exists():  # stopped between the commit and the rename
        os.replace(committed, layout.last_checkpoint)
    for stale in layout.staged_checkpoints():  # staged, never committed
        stale.unlink()
    if not layout.last_checkpoint.exists():
        raise MissingFileError(f"{layout.last_checkpoint}: checkpoint missing; use another --out")
    return state


def start_over(out: Path, say) -> None:
    """Clear a folder that `train` left inside its first epoch; refuse any other run folder."""
    layout = RunLayout(out)
    if not layout.checkpoint_dir.is_dir():
        if layout.config.exists() or layout.model.exists():
            raise DataFormatError(
                f"{out}: already holds a run without a checkpoint to resume; use another --out"
            )
        return
    leftovers = [*layout.training_files, *layout.staged_checkpoints(), layout.last_checkpoint]
    leftovers = [p for p in leftovers if p.is_file()]
    for p in leftovers:
        p.unlink()
    if leftovers:
        say(f"{out}: stopped before its first checkpoint; starting over")


_NUMBER, _INT = (numbers.Real,), (numbers.Integral,)
_STATE_FIELDS = {
    "config": (dict,),
    "epoch": _INT,
    "planned_epochs": _INT,
    "progress": _NUMBER,
    "best_val_accuracy": (*_NUMBER, type(None)),
    "best_epoch": (*_INT, type(None)),
    "wait": _INT,
    "history": (dict,),
    "stop_reason": (str, type(None)),
    "finished": (bool,),
    "train_seconds": _NUMBER,
}
_CONFIG_FIELDS = {
    "kind": (str,),
    "arch": (str,),
    "classes": (list,),
    "input": (dict,),
    "dataset": (dict,),
    "train": (dict,),
}
_DATASET_FIELDS = {"path": (str,), "manifest_sha256": (str,)}
_TRAIN_FIELDS = {
    "epochs": _INT,
    "batch_size": _INT,
    "lr": _NUMBER,
    "seed": _INT,
    "patience": _INT,
    "max_train": (*_INT, type(None)),
}


def read_state(path: Path) -> dict:
    """Read `checkpoint/state.json` and check every key the trainer uses (one-line errors)."""
    try:
        state = json.loads(path.read_text("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise DataFormatError(f"{path}: unreadable training state; use another --out") from None
    _check_fields(path, state, _STATE_FIELDS, "")
    config = state["config"]
    _check_fields(path, config, _CONFIG_FIELDS, "config.")
    _check_fields(path, config["dataset"], _DATASET_FIELDS, "config.dataset.")
    _check_fields(path, config["train"], _TRAIN_FIELDS, "config.train.")
    if config["kind"] not in kind_names():
        raise DataFormatError(f"{path}: config.kind {config['kind']!r}; expected {choices_text()}")
    if state["stop_reason"] is not None and state["stop_reason"] not in STOP_REASONS:
        raise DataFormatError(f"{path}: unknown stop_reason {state['stop_reason']!r}")
    history, epoch = state["history"], state["epoch"]
    for key in HISTORY_KEYS:
        if not isinstance(history.get(key), list) or len(history[key]) != epoch:
            raise DataFormatError(f"{path}: history.{key} is not a list of {epoch} values")
    if state["finished"] and not isinstance(state.get("summary"), dict):
        raise DataFormatError(f"{path}: a finished state without a summary; use another --out")
    return state


def _check_fields(path: Path, obj, fields: dict, prefix: str) -> None:
    if not isinstance(obj, dict):
        raise DataFormatError(f"{path}: {prefix.rstrip('.') or 'the state'} is not a JSON object")
    for name, types in fields.items():
        if name not in obj:
            raise DataFormatError(f"{path}: {prefix}{name} missing (edited?); use another --out")
        value = obj[name]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise DataFormatError(
                f"{path}: {prefix}{name} is {type(value).__name__} {value!r:.40}; "
                "not a training state (edited?)"
            )


@contextlib.contextmanager
def defer_interrupt():
    """Hold Ctrl-C back while a checkpoint is written, then raise it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda *args: received.append(args))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            raise KeyboardInterrupt
