"""What the experiments share: where things are, the real stroke subset, peak memory and load,
the machine, and writing a result with the command that remakes it.

Paths: `REPO` (the checkout), `SHARED` (`../shared/quickdraw` beside it: the real data),
`RESULTS` (`experiments/results`: the committed JSON) and `WORK` (`experiments/work`, ignored by
git: the datasets, runs and scratch files of the experiments).

The real stroke subset: `STROKE_CLASSES` are the 8 classes of the first stroke set
(`simplified/monkey.ndjson` and `simplified_nokeyid/*`); `stroke_classes()` gives every class with
500+ drawings in the two folders (the 26-class set). Both folders are read in that order, so a
class present in both gets the drawings of both.

This module imports only the standard library and `seqdoodle.models.runtime` at load time, so a
child process that measures its own memory can import it cheaply. Importing it asks for the
commands' CPU kernels (`use_onednn`), before any experiment loads TensorFlow.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import platform
import shlex
import sys
from pathlib import Path

from seqdoodle.models.runtime import use_onednn

use_onednn()

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "quickdraw"
RESULTS = REPO / "experiments" / "results"
WORK = REPO / "experiments" / "work"

STROKE_CLASSES = [
    "monkey",
    "cake",
    "necklace",
    "piano",
    "power outlet",
    "smiley face",
    "snowman",
    "teapot",
]
STROKE_FOLDERS = ("simplified", "simplified_nokeyid")
MIN_STROKE_DRAWINGS = 500
# How the 26-class studies prepare their dataset: every drawing, 80% train, 15% validation, 5%
# test, stratified by class and seeded (the split behind the committed 26-class results).
SPLIT_26 = {"per_class": 100_000, "val": 0.15, "test": 0.05, "seed": 0}


# ----------------------------------------------------------------------------- real data


def stroke_sources(shared: Path = SHARED) -> list[Path]:
    """The source folders of the real stroke sets under `shared`, in reading order."""
    return [Path(shared) / folder for folder in STROKE_FOLDERS]


def stroke_classes(root: Path = SHARED, minimum: int = MIN_STROKE_DRAWINGS) -> list[str]:
    """Classes with at least `minimum` drawings (lines) in `simplified/` + `simplified_nokeyid/`.

    Example:
    >>> len(stroke_classes())  # doctest: +SKIP
    26
    """
    counts: dict[str, int] = {}
    for folder in STROKE_FOLDERS:
        for path in sorted((Path(root) / folder).glob("*.ndjson")):
            with open(path, "rb") as f:
                counts[path.stem] = counts.get(path.stem, 0) + sum(1 for _ in f)
    return sorted(c for c, n in counts.items() if n >= minimum)


def prepare_stroke_set(out: Path, classes: list[str], root: Path = SHARED, **split):
    """Prepare (or reopen) `classes` from the real stroke folders under `root` into `out`.

    Args:
        out: Path. The dataset folder; an earlier preparation with the same arguments is reused.
        classes: list of str. The classes, e.g. `stroke_classes(root)` or `STROKE_CLASSES`.
        root: Path. The real data folder. Defaults to `SHARED`.
        **split: `per_class`, `val`, `test`, `seed` for `seqdoodle.prepare`.

    Returns:
        The `PreparedDataset`.
    """
    import seqdoodle

    return seqdoodle.prepare(
        stroke_sources(root), out, classes=classes, progress=False, **split
    )  # fmt: skip


def split_settings(ds) -> dict:
    """The `per_class`, `val`, `test` and `seed` a prepared dataset was made with (its manifest)."""
    args = ds.manifest.get("args", {})
    return {k: args.get(k) for k in ("per_class", "val", "test", "seed")}


# ----------------------------------------------------------------------------- memory and load


def peak_rss_kib() -> int:
    """This process's peak resident memory so far (`VmHWM`), in KiB."""
    with contextlib.suppress(OSError):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def reset_peak_rss() -> bool:
    """Reset the peak resident memory to the current one (Linux); False where it cannot."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages, rounded to 2 decimals."""
    return [round(x, 2) for x in os.getloadavg()]


def describe_machine(frameworks: bool = False) -> dict:
    """CPU model, cores, RAM, OS, library versions and the date.

    Args:
        frameworks: bool. Import TensorFlow and Keras to record their versions; otherwise they
            are recorded only when this process has imported them already. Defaults to False.

    Returns:
        dict of str/int/float.

    Example:
    >>> describe_machine()["cores"] >= 1
    True
    """
    import numpy as np

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram_gb = None
    with contextlib.suppress(OSError, ValueError), open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 2**20, 1)
                break
    info = {
        "cpu_model": cpu,
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "ram_gb": ram_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    if frameworks or "tensorflow" in sys.modules:
        import keras
        import tensorflow as tf

        info["tensorflow"] = tf.__version__
        info["keras"] = keras.__version__
        info["keras_backend"] = keras.backend.backend()
    info["date"] = utc_now()
    return info


def utc_now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


# ----------------------------------------------------------------------------- results


def title(doc: str) -> str:
    """The `Title:` line of a module docstring."""
    return doc.strip().split("\n")[0].removeprefix("Title:").strip()


def argument_parser(file: str | os.PathLike, doc: str) -> argparse.ArgumentParser:
    """The argument parser of module `file`: `python -m <module>` as its name, its title as help."""
    return argparse.ArgumentParser(prog=f"python -m {module_name(file)}", description=title(doc))


def module_name(file: str | os.PathLike) -> str:
    """The `python -m` name of a module of the checkout from its file.

    Example:
    >>> module_name(REPO / "experiments" / "bench" / "render.py")
    'experiments.bench.render'
    """
    relative = Path(file).resolve().relative_to(REPO).with_suffix("")
    return ".".join(relative.parts)


def portable(value) -> str:
    """`value` as it is written in a recorded command or setting: a path inside the checkout
    relative to it, one beside the checkout as `../...` (the data: `../shared/quickdraw`).

    Example:
    >>> portable(SHARED)
    '../shared/quickdraw'
    """
    text = os.fspath(value) if isinstance(value, os.PathLike) else str(value)
    if not os.path.isabs(text):
        return text
    absolute = os.path.normpath(text)
    for base, prefix in ((REPO, ""), (REPO.parent, "../")):
        relative = os.path.relpath(absolute, base)
        if not relative.startswith(".."):
            return prefix + relative if relative != "." else (prefix.rstrip("/") or ".")
    return absolute


def command_line(file: str | os.PathLike, argv: list[str] | None = None) -> str:
    """The `python -m experiments...` command that ran module `file` with `argv`.

    Args:
        file: path. The module's `__file__`.
        argv: list of str or None. The arguments as given. Defaults to `sys.argv[1:]`.

    Returns:
        str, shell-quoted; absolute paths made `portable`, so it runs from a clean checkout with
        `../shared` beside it.
    """
    used = sys.argv[1:] if argv is None else list(argv)
    words = []
    for word in used:
        if word.startswith("--") and "=" in word:
            option, value = word.split("=", 1)
            words.append(f"{option}={portable(value)}")
        else:
            words.append(portable(word))
    return shlex.join(["python", "-m", module_name(file), *words])


def settings_of(args, **overrides) -> dict:
    """Every argument's value (an `argparse.Namespace`), paths made `portable`, then `overrides`."""

    def value(v):
        if isinstance(v, os.PathLike):
            return portable(Path(v).absolute())
        if isinstance(v, (list, tuple)):
            return [value(x) for x in v]
        return v

    return {k: value(v) for k, v in {**vars(args), **overrides}.items()}


def write_result(
    name: str | os.PathLike,
    payload: dict,
    command: str,
    settings: dict | None = None,
    *,
    requires: list[str] | None = None,
    provenance: str | None = None,
) -> Path:
    """Write a result JSON atomically with the command that remakes it, settings, machine, date.

    Args:
        name: str or path. A name (`experiments/results/<name>.json`) or a `.json` path.
        payload: dict. The figures; its keys are kept as they are.
        command: str. The `python -m experiments...` command that made it (`command_line`).
        settings: dict or None. The settings actually used (`settings_of`). Defaults to None
            (a `settings` key of `payload` is kept).
        requires: list of str or None. Commands to run first (they make this one's inputs).
        provenance: str or None. A note on how the figures were made, where the command alone
            does not tell.

    Returns:
        The path written.
    """
    from seqdoodle.fileio import write_json

    text = os.fspath(name)
    path = Path(text) if text.endswith(".json") else RESULTS / f"{text}.json"
    record = dict(payload)
    record["command"] = command
    if settings is not None:
        record["settings"] = settings
    record["machine"] = {**describe_machine(), **record.get("machine", {})}
    record["date"] = utc_now()
    if requires:
        record["requires"] = list(requires)
    if provenance:
        record["provenance"] = provenance
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, record)
    return path
