"""The ensemble folder: writing `ensemble.json` (and copied members) and checking it.

The folder's files are named in `seqdoodle.runs.layout.EnsembleLayout`; `seqdoodle.runs.ensemble`
fits the weights and opens the folder as an `Ensemble`. `ensemble.json` is
`{"format": "seqdoodle-ensemble", "format_version": 1, "members": [{"name", "kind", "arch",
"weight", "path" (relative to the folder), "abs_path" (when not copied), "model_sha256",
"copied"}, ...], "pool", "classes", "validation": {"n_drawings", "members": {name: {"top1",
"log_loss"}}, "ensemble": {...}}, "dataset": {"path", "manifest_sha256", "split"}, "fitted_by",
"seqdoodle_version"}`; members are listed in the order their weights were fitted.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from seqdoodle.errors import DataFormatError
from seqdoodle.evaluation.ensembles import check_pool, pool_probs
from seqdoodle.runs.layout import EnsembleLayout, RunLayout

ENSEMBLE_KIND = "ensemble"  # `Ensemble.kind`; never a registered model kind
FORMAT = "seqdoodle-ensemble"
FORMAT_VERSION = 1


def check_manifest(config: dict, where: Path) -> None:
    """Refuse, with one line naming `where`, an `ensemble.json` that is not one of ours."""
    if config.get("format") != FORMAT:
        raise DataFormatError(
            f"{where}: not an ensemble folder's manifest (format is not {FORMAT})"
        )
    if config.get("format_version") != FORMAT_VERSION:
        raise DataFormatError(
            f"{where}: ensemble format version {config.get('format_version')!r}; this seqdoodle "
            f"reads {FORMAT_VERSION}"
        )
    members = config.get("members")
    if not isinstance(members, list) or len(members) < 2:
        raise DataFormatError(f"{where}: 'members' must list two or more runs")
    for i, m in enumerate(members):
        ok = isinstance(m, dict) and all(
            isinstance(m.get(k), str) and m.get(k) for k in ("name", "path", "model_sha256")
        )
        weight = m.get("weight") if isinstance(m, dict) else None
        if not ok or not isinstance(weight, (int, float)) or not 0 <= weight <= 1:
            raise DataFormatError(
                f"{where}: member {i} needs a name, path, model_sha256 and a weight in [0, 1]"
            )
    names = [m["name"] for m in members]
    if len(set(names)) != len(names):
        raise DataFormatError(f"{where}: member names are not unique: {names}")
    if sum(m["weight"] for m in members) <= 0:
        raise DataFormatError(f"{where}: the member weights are all 0")
    try:
        check_pool(config.get("pool"))
    except DataFormatError as e:
        raise DataFormatError(f"{where}: {e}") from None
    classes = config.get("classes")
    if not isinstance(classes, list) or len(classes) < 2 or len(set(classes)) != len(classes):
        raise DataFormatError(f"{where}: 'classes' must be two or more unique names")


def validation_scores(y_val, probs: Mapping[str, np.ndarray], weights: Mapping, pool: str) -> dict:
    """Top-1 and log-loss of every member and of their pool on the validation drawings."""
    from seqdoodle.evaluation.ensembles import log_loss

    y = np.asarray(y_val, np.int64)

    def scores(p) -> dict:
        return {"top1": float(np.mean(np.argmax(p, axis=1) == y)), "log_loss": log_loss(y, p)}

    pooled = pool_probs([probs[n] for n in weights], [weights[n] for n in weights], pool)
    return {
        "n_drawings": int(y.size),
        "members": {name: scores(probs[name]) for name in weights},
        "ensemble": scores(pooled),
    }


def save_ensemble(
    out: str | os.PathLike,
    runs: Mapping,
    weights: Mapping[str, float],
    pool: str,
    validation: dict | None = None,
    dataset: dict | None = None,
    copy: bool = False,
    fitted_by: str = "seqdoodle ensemble",
) -> Path:
    """Write an ensemble folder for runs and weights already fitted (`compare` calls this).

    Args:
        out: str or PathLike. The folder (created; must not be a run folder).
        runs: dict of member name to `Run`, in the order the weights were fitted.
        weights: dict of member name to weight (>= 0, not all 0).
        pool: str. `"log"` or `"linear"`.
        validation: dict or None. `validation_scores` of the fit. Defaults to None.
        dataset: dict or None. `{"path", "manifest_sha256", "split"}` of the fit. Defaults to
            None.
        copy: bool. Copy the members' inference files into `out/members/<name>/`.
            Defaults to False.
        fitted_by: str. What fitted the weights, for people. Defaults to `"seqdoodle ensemble"`.

    Returns:
        Path of the folder.
    """
    from seqdoodle import __version__
    from seqdoodle.fileio import sha256_file, write_json

    check_pool(pool)
    out = Path(out)
    if RunLayout(out).config.is_file():
        raise DataFormatError(f"{out}: a run folder; write the ensemble to a folder of its own")
    if set(weights) != set(runs):
        raise DataFormatError(f"ensemble weights {sorted(weights)} are not of runs {sorted(runs)}")
    layout = EnsembleLayout(out)
    out.mkdir(parents=True, exist_ok=True)
    members = []
    for name, run in runs.items():
        if run.kind == ENSEMBLE_KIND:
            raise DataFormatError(f"{run.path}: an ensemble cannot be a member of an ensemble")
        folder = Path(run.path)
        if copy:
            folder = _copy_run(folder, layout.member(name))
        entry = {
            "name": name,
            "kind": run.kind,
            "arch": run.arch,
            "weight": float(weights[name]),
            "path": os.path.relpath(folder.resolve(), out.resolve()),
            "model_sha256": sha256_file(RunLayout(folder).model),
            "copied": bool(copy),
        }
        if not copy:
            entry["abs_path"] = str(folder.resolve())
        members.append(entry)
    first = next(iter(runs.values()))
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "members": members,
        "pool": pool,
        "classes": list(first.classes),
        "validation": validation,
        "dataset": dataset,
        "fitted_by": fitted_by,
        "seqdoodle_version": __version__,
    }
    check_manifest(manifest, layout.manifest)
    write_json(layout.manifest, manifest)
    return out


def _copy_run(src: Path, dst: Path) -> Path:
    """Copy a run's inference files (`RunLayout.inference_files`) into `dst`, atomically each."""
    import shutil

    from seqdoodle.fileio import atomic_write

    dst.mkdir(parents=True, exist_ok=True)
    for file, target in zip(RunLayout(src).inference_files, RunLayout(dst).inference_files):
        if not file.is_file():
            continue
        with open(file, "rb") as f, atomic_write(target, "wb") as g:
            shutil.copyfileobj(f, g)
    return dst


# ----------------------------------------------------------------------------- names


def name_runs(loaded: Sequence) -> tuple[list[str], list]:
    """Names of runs (and ensembles) for reports and ensembles, and them in that order.

    Runs of different kinds are named by their kind, in the registry's order (ensembles after
    them, by folder name); otherwise every model is named by its folder name. Repeated names get
    `_a`, `_b`, ...; `"ensemble"` (reserved for the pool of the compared models) becomes
    `"run_ensemble"`.
    """
    from seqdoodle.kinds import kind_names

    loaded = list(loaded)
    run_kinds = [r.kind for r in loaded if r.kind != ENSEMBLE_KIND]
    by_kind = len(set(run_kinds)) == len(run_kinds)
    if by_kind:
        order = {k: i for i, k in enumerate(kind_names())}
        loaded = sorted(loaded, key=lambda r: order.get(r.kind, len(order)))
    names = [
        r.kind if by_kind and r.kind != ENSEMBLE_KIND else r.path.resolve().name or f"run{i + 1}"
        for i, r in enumerate(loaded)
    ]
    repeated = {n for n in names if names.count(n) > 1}
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if n in repeated:
            seen[n] = seen.get(n, 0) + 1
            n = f"{n}_{chr(ord('a') + seen[n] - 1)}"
        out.append("run_" + n if n == ENSEMBLE_KIND else n)
    return out, loaded
