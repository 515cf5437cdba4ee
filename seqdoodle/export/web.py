"""Export runs as a static web folder: the drawing page, running the models in the browser.

`export_web` writes a folder that any static file server can serve, with no other network:

```
OUT/
  index.html                        the drawing page (serve's page, the models run in the page)
  sw.js                             its service worker: adds COOP/COEP to the page and worker
                                    scripts, so the page is cross-origin isolated (wasm threads)
  manifest.json                     classes, per model its file, sha256, kind, input and
                                    preprocessing; the ensemble's pool and weights; versions
  models/<name>.onnx                each run as ONNX (`export_run`, checked in onnxruntime)
  js/page.js, js/recognizer.js      `createRecognizer(bundleUrl)` (web/src/recognizer.js)
  js/worker.js                      the Web Worker: onnxruntime-web (wasm) and the preprocessing
  js/ort-wasm-simd-threaded.wasm    onnxruntime-web's WebAssembly binary
  NOTICE.md, BUILD.json             licences; how the JavaScript was built
```

The JavaScript is built from `web/` by `npm run build` into `seqdoodle/web/dist`, which ships
inside the package (a wheel needs no npm); `BUILD.json` there records the sha256 of the sources
it was built from (`tests/test_export_web.py` checks it). Several runs are pooled in the page with
equal weights and the log pool (`seqdoodle.evaluation.ensembles.pool_probs`); an ensemble
folder brings its own weights and pool. Each model's `preprocess` entry is its run's input
config (with the dx/dy scale inside the exported model), which `web/src/preprocess.js` follows.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from seqdoodle.errors import DataFormatError, MissingFileError
from seqdoodle.export.checks import CHECK_DRAWINGS
from seqdoodle.export.formats import TOLERANCE, _place, _remove, export_run
from seqdoodle.export.raw_input import export_input_config, input_spec

MANIFEST = "manifest.json"
MODELS = "models"
DIST = Path(__file__).resolve().parent.parent / "web" / "dist"
WEB_FORMAT = "seqdoodle-web"
SIMPLIFY_EPSILON = 2.0


@dataclass
class WebExport:
    """What `export_web` wrote.

    Args:
        path: Path. The folder.
        manifest_path: Path. Its `manifest.json`.
        models: dict of model name to its `ExportResult` (the ONNX check against Keras).
        pool: str or None. The pool of the ensemble the page shows (None: one model).
        weights: dict of model name to weight (empty: one model).
        n_files: int. Files in the folder.
        size_bytes: int. Their total size.
    """

    path: Path
    manifest_path: Path
    models: dict = field(default_factory=dict)
    pool: str | None = None
    weights: dict = field(default_factory=dict)
    n_files: int = 0
    size_bytes: int = 0

    def summary(self) -> str:
        """One line: the folder, its size and what the page runs."""
        what = ", ".join(self.models)
        if self.pool:
            what += f" and their ensemble ({self.pool} pool)"
        return (
            f"{self.path}: {self.n_files} files, {self.size_bytes / 1e6:.1f} MB; the page runs "
            f"{what} in the browser (serve the folder with any static file server, e.g. "
            f"python -m http.server -d {self.path})"
        )


def bundle_info(dist: Path = DIST) -> dict:
    """The shipped JavaScript bundle's `BUILD.json`.

    Raises:
        MissingFileError: the bundle was not built (a source checkout without `npm run build`).
    """
    path = Path(dist) / "BUILD.json"
    if not path.is_file():
        raise MissingFileError(
            f"{path}: the web bundle is not built; run `npm ci && npm run build` in web/"
        )
    return json.loads(path.read_text("utf-8"))


def export_web(
    models, out, n_check: int = CHECK_DRAWINGS, tolerance: float = TOLERANCE, dist=DIST
) -> WebExport:
    """Export runs (or one ensemble folder) as a static web folder that runs them in the page.

    Args:
        models: a run or ensemble (loaded, or its folder), or a list of runs. Several runs are
            pooled with equal weights (log pool); an ensemble folder is exported alone.
        out: str or PathLike. The folder to write (replaced when it exists).
        n_check: int. Drawings each ONNX file is checked on against Keras. Defaults to 64.
        tolerance: float. Largest probability difference accepted. Defaults to 1e-4.
        dist: PathLike. The built JavaScript bundle. Defaults to the package's `web/dist`.

    Returns:
        `WebExport`.

    Raises:
        DataFormatError: no runs, an ensemble given with other runs, runs of different classes,
            or a model that does not export (see `export_run`); nothing is left under `out`.
        MissingFileError: a run folder that does not exist, or an unbuilt bundle.

    Example:
    >>> result = export_web(["runs/cnn", "runs/rnn"], "site")  # doctest: +SKIP
    >>> sorted(p.name for p in result.path.iterdir())  # doctest: +SKIP
    ['BUILD.json', 'NOTICE.md', 'index.html', 'js', 'manifest.json', 'models', 'sw.js']
    """
    dist = Path(dist)
    build = bundle_info(dist)
    named, pool, weights = _models(models)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DataFormatError(f"{out}: exists and is not a folder; a web export is a folder")
    if not out.parent.is_dir():
        raise DataFormatError(f"{out.parent}: no such folder")

    tmp = out.with_name(f".{out.name}.export-{os.getpid()}")
    _remove(tmp)
    try:
        shutil.copytree(dist, tmp)
        (tmp / MODELS).mkdir()
        results, entries = {}, []
        for name, run in named.items():
            file = f"{MODELS}/{_file_name(name)}.onnx"
            results[name] = export_run(run, "onnx", tmp / file, n_check, tolerance)
            entries.append(_entry(name, run, file, tmp, results[name]))
            results[name].info_path.unlink()  # manifest.json holds what it said
            results[name].path = out / file
        classes = list(next(iter(named.values())).classes)
        manifest = _manifest(classes, entries, pool, weights, build)
        from seqdoodle.fileio import write_json

        write_json(tmp / MANIFEST, manifest)
        _place(tmp, out)
    except BaseException:
        _remove(tmp)
        raise
    files = [p for p in out.rglob("*") if p.is_file()]
    return WebExport(
        out,
        out / MANIFEST,
        results,
        pool,
        weights,
        len(files),
        sum(p.stat().st_size for p in files),
    )


def _models(models) -> tuple[dict, str | None, dict]:
    """`({name: Run}, pool, weights)` of what to export; refuses mixes and mismatched classes."""
    from seqdoodle.evaluation.ensembles import DEFAULT_POOL
    from seqdoodle.runs.ensemble import Ensemble, load_model, name_runs

    if isinstance(models, (str, os.PathLike)) or hasattr(models, "predict_proba"):
        models = [models]
    loaded = [m if hasattr(m, "predict_proba") else load_model(m) for m in models]
    if not loaded:
        raise DataFormatError("nothing to export: give at least one run")
    ensembles = [m for m in loaded if isinstance(m, Ensemble)]
    if ensembles and len(loaded) > 1:
        raise DataFormatError(
            f"{ensembles[0].path}: an ensemble folder is exported alone (its members and weights); "
            "give it without other runs"
        )
    if ensembles:
        ens = ensembles[0]
        return dict(ens.members), ens.pool, dict(ens.weights)
    names, loaded = name_runs(loaded)
    first = loaded[0]
    for run in loaded[1:]:
        if sorted(run.classes) != sorted(first.classes):
            extra = sorted(set(run.classes) ^ set(first.classes))[:3]
            raise DataFormatError(
                f"{run.path} and {first.path} have different classes (e.g. {', '.join(extra)}); "
                "the page pools runs of the same classes only"
            )
    named = dict(zip(names, loaded))
    if len(named) == 1:
        return named, None, {}
    return named, DEFAULT_POOL, {n: 1.0 / len(named) for n in named}


def _file_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "model"


def _entry(name: str, run, file: str, folder: Path, result) -> dict:
    from seqdoodle.fileio import sha256_file

    info = json.loads(result.info_path.read_text("utf-8"))
    path = folder / file
    return {
        "name": name,
        "kind": run.kind,
        "title": run.model_kind.title,
        "arch": run.arch,
        "run": str(run.path),
        "file": file,
        "sha256": sha256_file(path),
        "bytes": path.stat().st_size,
        "classes": list(run.classes),
        "input": {**input_spec(run), "name": info["input"]["name"]},
        "preprocess": {**export_input_config(run), "simplify_epsilon": SIMPLIFY_EPSILON},
        "output": info["output"],
        "check": info["check"],
    }


def _manifest(classes, entries, pool, weights, build: dict) -> dict:
    from seqdoodle import __version__

    return {
        "format": WEB_FORMAT,
        "format_version": 1,
        "seqdoodle_version": __version__,
        "classes": classes,
        "models": entries,
        "ensemble": None if pool is None else {"pool": pool, "weights": weights},
        "pooling": "each model's probabilities put in the order of classes by name; log pool "
        "p ~ prod_j p_j ** w_j (p_j clipped at 1e-12), renormalised; linear pool p = sum_j w_j p_j",
        "runtime": {
            "name": "onnxruntime-web",
            "version": build.get("onnxruntime_web"),
            "backend": "wasm",
            "wasm": build.get("wasm"),
        },
        "bundle_sources_sha256": build.get("sources_sha256"),
    }
