"""The registry of model kinds: everything that differs between one kind of model and another.

A model kind is one `ModelKind` object: its name and title, its architectures (presets), its
training defaults, how to build its model, how to fit its input encoding on a training split, how
to batch a prepared dataset for it and how to turn `Drawing` records into its input. Training, run
folders, prediction, evaluation and the CLI ask the registry instead of switching on names.

```python
kind = get_kind("rnn")
kind.defaults.epochs                     # 30
model = kind.build_model("default", 5, input_config)
```

Adding a kind: write one module that defines a `ModelKind` subclass and a module-level `KIND`
instance of it (see `seqdoodle/kinds/cnn.py`), then add one line to `REGISTRY` below. A kind
module must not import Keras or TensorFlow at import time (the CLI builds its commands and help
from the registry and stays fast); import them inside `build_model` and friends.
"""

from __future__ import annotations

import importlib

from seqdoodle.errors import DataFormatError
from seqdoodle.kinds.base import DemoSizes, ModelKind, TrainDefaults

# name -> module that defines `KIND`. Registry order is the order of CLI commands and choices.
REGISTRY: dict[str, str] = {
    "cnn": "seqdoodle.kinds.cnn",
    "rnn": "seqdoodle.kinds.rnn",
    "timecnn": "seqdoodle.kinds.timecnn",
    "transformer": "seqdoodle.kinds.transformer",
}

# The deprecated `compare(cnn_arch=..., rnn_arch=...)` keywords (and `--cnn-arch`/`--rnn-arch`):
# the kind each sets the architecture of. Kept for one release; use `archs` / `--arch KIND=ARCH`.
ARCH_KEYWORDS: dict[str, str] = {"cnn_arch": "cnn", "rnn_arch": "rnn"}

_LOADED: dict[str, ModelKind] = {}


def get_kind(kind) -> ModelKind:
    """The registered `ModelKind` called `kind` (a `ModelKind` is returned as it is).

    Raises:
        DataFormatError: no such kind (the message lists the registered ones).

    Example:
    >>> get_kind("rnn").defaults.epochs
    30
    """
    if isinstance(kind, ModelKind):
        return kind
    if kind not in REGISTRY:
        raise DataFormatError(f"unknown model kind {kind!r}; choose {', '.join(REGISTRY)}")
    if kind not in _LOADED:
        found = getattr(importlib.import_module(REGISTRY[kind]), "KIND", None)
        if not isinstance(found, ModelKind) or found.name != kind:
            raise DataFormatError(f"{REGISTRY[kind]}: defines no ModelKind KIND named {kind!r}")
        _LOADED[kind] = found
    return _LOADED[kind]


def kind_names() -> tuple[str, ...]:
    """Names of the registered kinds, in registry order.

    Example:
    >>> kind_names()[:2]
    ('cnn', 'rnn')
    """
    return tuple(REGISTRY)


def all_kinds() -> tuple[ModelKind, ...]:
    """Every registered `ModelKind`, in registry order."""
    return tuple(get_kind(name) for name in REGISTRY)


def compared_kinds() -> tuple[str, ...]:
    """Names of the kinds `compare` trains when it is given none (`ModelKind.compared_by_default`).

    Example:
    >>> compared_kinds()
    ('cnn', 'rnn')
    """
    return tuple(k.name for k in all_kinds() if k.compared_by_default)


def check_archs(archs) -> dict[str, str]:
    """`{kind name: arch}` with every kind and arch checked against the registry.

    Raises:
        DataFormatError: an unknown kind or an arch the kind does not have (naming the choices).

    Example:
    >>> check_archs({"cnn": "baseline"})
    {'cnn': 'baseline'}
    """
    return {get_kind(k).name: get_kind(k).check_arch(a) for k, a in dict(archs or {}).items()}


def arch_choices_text() -> str:
    """`"cnn=default|baseline, rnn=default|tutorial, ..."`: every kind's archs, for help texts."""
    return ", ".join(f"{k.name}={'|'.join(k.archs)}" for k in all_kinds())


def choices_text(names=None) -> str:
    """`"cnn, rnn or x"`: kind names for messages."""
    names = list(kind_names() if names is None else names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


__all__ = [
    "ARCH_KEYWORDS",
    "REGISTRY",
    "DemoSizes",
    "ModelKind",
    "TrainDefaults",
    "all_kinds",
    "arch_choices_text",
    "check_archs",
    "choices_text",
    "compared_kinds",
    "get_kind",
    "kind_names",
]
