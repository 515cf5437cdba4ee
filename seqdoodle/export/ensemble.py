"""Export an ensemble: one file per member run and an `ensemble.json` manifest, checked pooled.

`export_ensemble` writes a folder:

```
OUT/
  <member>.onnx         each member run exported by `export_run` (checked against Keras alone)
  <member>.onnx.json    its classes and input (name, shape, dtype, how to make it)
  ensemble.json         format, pool, classes, and per member its file, weight, classes, input
```

(`.tflite` files or SavedModel folders for the other formats.) A runtime pools the members as
`Ensemble.combine` does: each member's probabilities put in the ensemble's class order by name,
then `p(c) ~ prod_j p_j(c) ** w_j` renormalised (log pool, probabilities clipped at 1e-12) or
`sum_j w_j p_j(c)` (linear pool). Before the folder is put in place the exported members are run
in their runtime on the same drawings, pooled, and compared with `Ensemble.predict_proba`; above
`tolerance` or below 100% top-1 agreement nothing is left under OUT.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seqdoodle.errors import DataFormatError
from seqdoodle.export.checks import CHECK_DRAWINGS, RUNTIMES, check_drawings
from seqdoodle.export.formats import FORMATS, TOLERANCE, _place, _remove, export_run
from seqdoodle.export.raw_input import raw_inputs
from seqdoodle.runs.layout import EnsembleLayout

MANIFEST = EnsembleLayout.MANIFEST


@dataclass
class EnsembleExport:
    """What `export_ensemble` wrote and how the pooled files agreed with the ensemble.

    Args:
        path: Path. The folder.
        manifest_path: Path. Its `ensemble.json`.
        format: str. `"onnx"`, `"tflite"` or `"savedmodel"`.
        runtime: str. The runtime the files were checked in.
        files: dict of member name to its file name in the folder.
        n_checked: int. Drawings predicted pooled.
        source: str. Where they came from.
        max_abs_diff: float. Largest pooled probability difference from `Ensemble.predict_proba`.
        top1_agreement: float. Share of drawings with the same top class.
        members: dict of member name to its own `ExportResult`.
    """

    path: Path
    manifest_path: Path
    format: str
    runtime: str
    files: dict
    n_checked: int
    source: str
    max_abs_diff: float
    top1_agreement: float
    members: dict = field(default_factory=dict)

    def summary(self) -> str:
        """One line: how the pooled files agreed with the ensemble."""
        return (
            f"{len(self.files)} members pooled in {self.runtime} on {self.n_checked} "
            f"{self.source}: largest probability difference from the ensemble "
            f"{self.max_abs_diff:.2e}, top-1 agreement {100 * self.top1_agreement:.1f}%"
        )


def export_ensemble(
    ens, fmt: str, out, n_check: int = CHECK_DRAWINGS, tolerance: float = TOLERANCE
) -> EnsembleExport:
    """Export every member of an ensemble and check them pooled in the target runtime.

    Args:
        ens: `seqdoodle.runs.ensemble.Ensemble` or its folder.
        fmt: str. `"onnx"`, `"tflite"` or `"savedmodel"`.
        out: str or PathLike. The folder to write (replaced when it exists).
        n_check: int. Drawings to check on. Defaults to 64.
        tolerance: float. Largest pooled probability difference accepted. Defaults to 1e-4.

    Returns:
        `EnsembleExport`.

    Raises:
        DataFormatError: an unknown format, a member that does not export (see `export_run`),
            or pooled files that disagree with the ensemble; nothing is left under `out` then.

    Example:
    >>> result = export_ensemble("ens", "onnx", "ens-onnx")  # doctest: +SKIP
    >>> sorted(p.name for p in result.path.iterdir())  # doctest: +SKIP
    ['cnn.onnx', 'cnn.onnx.json', 'ensemble.json', 'rnn.onnx', 'rnn.onnx.json']
    """
    from seqdoodle.fileio import write_json
    from seqdoodle.runs.ensemble import Ensemble, load_ensemble

    if fmt not in FORMATS:
        raise DataFormatError(f"unknown export format {fmt!r}; choose {', '.join(FORMATS)}")
    if n_check < 1:
        raise DataFormatError(f"n_check must be at least 1, got {n_check}")
    if not isinstance(ens, Ensemble):
        ens = load_ensemble(ens)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DataFormatError(f"{out}: exists and is not a folder; an ensemble exports to a folder")
    if not out.parent.is_dir():
        raise DataFormatError(f"{out.parent}: no such folder")
    suffix, runtime = FORMATS[fmt][1], FORMATS[fmt][2]
    runs = list(ens.members.values())
    drawings, source = check_drawings(
        next((r for r in runs if r.model_kind.needs_strokes), runs[0]), n_check
    )
    reference = np.asarray(ens.predict_proba(drawings), np.float64)

    tmp = out.with_name(f".{out.name}.export-{os.getpid()}")
    _remove(tmp)
    tmp.mkdir()
    try:
        files, results, probs = {}, {}, {}
        for name, run in ens.members.items():
            files[name] = f"{name}{suffix}"
            results[name] = export_run(run, fmt, tmp / files[name], n_check, tolerance)
            _, predict = RUNTIMES[fmt](tmp / files[name])
            probs[name] = np.asarray(predict(raw_inputs(run, drawings)), np.float64)
        pooled = ens.combine(probs)
        diff = float(np.abs(pooled - reference).max())
        agree = float(np.mean(pooled.argmax(1) == reference.argmax(1)))
        result = EnsembleExport(
            out, out / MANIFEST, fmt, runtime, files, len(drawings), source, diff, agree, results
        )
        if not diff <= tolerance or agree < 1.0:
            raise DataFormatError(
                f"{fmt} export of the ensemble {ens.path} disagrees with it pooled "
                f"({result.summary()}); limit {tolerance:g} and 100% top-1; nothing written"
            )
        write_json(tmp / MANIFEST, _manifest(ens, fmt, result, tmp))
        _place(tmp, out)
    except BaseException:
        _remove(tmp)
        raise
    for member in results.values():  # they were checked in the temporary folder
        member.path, member.info_path = out / member.path.name, out / member.info_path.name
    return result


def _manifest(ens, fmt: str, result: EnsembleExport, folder: Path) -> dict:
    from seqdoodle import __version__
    from seqdoodle.export.formats import info_path_for

    members = []
    for name, run in ens.members.items():
        info_path = info_path_for(folder / result.files[name])
        info = json.loads(info_path.read_text("utf-8"))
        members.append(
            {
                "name": name,
                "kind": run.kind,
                "arch": run.arch,
                "weight": ens.weights[name],
                "file": result.files[name],
                "info": info_path.name,
                "classes": list(run.classes),
                "input": info["input"],
            }
        )
    return {
        "format": fmt,
        "kind": ens.kind,
        "ensemble": str(ens.path),
        "pool": ens.pool,
        "classes": list(ens.classes),
        "members": members,
        "output": {
            "dtype": "float32",
            "what": "pool the members' probabilities, each put in the order of classes by name: "
            "log pool p ~ prod_j p_j ** w_j (p_j clipped at 1e-12), renormalised; linear pool "
            "p = sum_j w_j p_j",
        },
        "check": {
            "runtime": result.runtime,
            "drawings": result.n_checked,
            "source": result.source,
            "max_abs_diff": result.max_abs_diff,
            "top1_agreement": result.top1_agreement,
        },
        "seqdoodle_version": __version__,
    }
