"""
Title: The web bundle agrees with `seqdoodle predict`: top-1 and probabilities on real drawings
Description: `seqdoodle export RUN... --format web` (or an ensemble folder) served from a local
static server in Debian's headless Chromium, every other request blocked; each model's and the
ensemble's answers in the page compared with the Python package's on the same drawings.

The drawings: every real raw drawing of the exported classes in `../shared/quickdraw/raw`
(`format: raw`, so the page simplifies them in JavaScript), then simplified drawings of those
classes from the test split of `--data` (`format: simplified`) until `--n` is reached. The
reference is `Run.predict_proba` on the same strokes (what `seqdoodle predict` prints) and, for
the ensemble, `seqdoodle.evaluation.ensembles.pool_probs` with the manifest's weights and pool.

Per model: the share of drawings whose top-1 class is the same, the share whose probabilities
all agree within `--tol` (default 1e-3), the largest difference. Targets: top-1 on >= 99.5%,
probabilities within 1e-3 on >= 99%.

Run:
    python -m experiments.bench.web_agreement --runs ENSEMBLE_FOLDER --data DATASET --n 1000

Writes `experiments/results/web_agreement.json` (or `--out`) with the command that remakes it.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from experiments.bench.web import browser_on, load_once
from experiments.common import (
    RESULTS,
    SHARED,
    argument_parser,
    command_line,
    settings_of,
    write_result,
)

TARGETS = {"top1_agreement": 0.995, "probabilities_within_tol": 0.99}
CHUNK = 50  # drawings per page.evaluate call

RECOGNIZE = """async ([drawings, format]) => {
    const out = [];
    for (const d of drawings) {
        const a = await window.__recognizer.recognize(d, {format, topK: 1, probabilities: true});
        const models = {};
        for (const [name, m] of Object.entries(a.models)) models[name] = m.probabilities;
        out.push(models);
    }
    return out;
}"""


def drawings_of(classes, shared: Path, data: Path | None, n: int) -> list[tuple[str, list]]:
    """`(format, strokes)`: raw drawings of `classes`, then test-split simplified ones to `n`."""
    out = []
    for cls in classes:
        path = shared / "raw" / f"{cls}.ndjson"
        if path.is_file():
            with open(path, encoding="utf-8") as f:
                out += [("raw", json.loads(line)["drawing"]) for line in f if line.strip()]
    if len(out) < n and data is not None:
        from seqdoodle.datasets.prepared import PreparedDataset

        ds = PreparedDataset(data)
        rows = ds.indices("test")
        rows = rows[np.random.default_rng(0).permutation(rows.size)][: n - len(out)]
        strokes = (ds.strokes_of(int(r)) for r in rows)
        out += [("simplified", [[[int(v) for v in s[0]], [int(v) for v in s[1]]] for s in d])
                for d in strokes]  # fmt: skip
    if len(out) < n:
        raise SystemExit(f"only {len(out)} drawings of the exported classes; asked for {n}")
    return out


def python_probs(manifest: dict, drawings) -> dict[str, np.ndarray]:
    """Each model's and the ensemble's probabilities in the manifest's class order."""
    from seqdoodle.datasets.records import Drawing
    from seqdoodle.evaluation.ensembles import pool_probs
    from seqdoodle.runs.folder import load_run

    records = [Drawing("?", strokes=d, fmt=fmt) for fmt, d in drawings]
    out = {}
    for model in manifest["models"]:
        run = load_run(model["run"])
        probs = run.predict_proba(records)
        out[model["name"]] = probs[:, [run.classes.index(c) for c in manifest["classes"]]]
    if manifest.get("ensemble"):
        names = [m["name"] for m in manifest["models"]]
        weights = [manifest["ensemble"]["weights"][n] for n in names]
        out["ensemble"] = pool_probs([out[n] for n in names], weights, manifest["ensemble"]["pool"])
    return out


def page_probs(site: Path, drawings) -> tuple[dict[str, np.ndarray], list, str, int]:
    """The page's probabilities per model, the blocked requests, the browser's version and the
    WebAssembly threads the page ran."""
    blocked: list = []
    answers: list = []
    with browser_on(site) as (browser, url):
        context, page, _ = load_once(browser, url, blocked)
        threads = page.evaluate("window.__recognizer.threads")
        for start in range(0, len(drawings), CHUNK):
            chunk = drawings[start : start + CHUNK]
            for fmt in ("raw", "simplified"):
                idx = [i for i, (f, _) in enumerate(chunk) if f == fmt]
                if idx:
                    got = page.evaluate(RECOGNIZE, [[chunk[i][1] for i in idx], fmt])
                    answers += list(zip((start + i for i in idx), got))
            print(f"\r  {min(start + CHUNK, len(drawings))}/{len(drawings)} drawings "
                  "recognised in the page", end="", flush=True)  # fmt: skip
        print()
        context.close()
        version = browser.version
    answers.sort(key=lambda a: a[0])
    names = list(answers[0][1])
    probs = {n: np.array([a[1][n] for a in answers], np.float64) for n in names}
    return probs, blocked, version, threads


def agreement(page: dict, reference: dict, tol: float) -> dict:
    out = {}
    for name, ref in reference.items():
        got = page[name]
        diff = np.abs(got - ref).max(axis=1)
        out[name] = {
            "drawings": int(len(ref)),
            "top1_agreement": round(float(np.mean(got.argmax(1) == ref.argmax(1))), 5),
            "probabilities_within_tol": round(float(np.mean(diff <= tol)), 5),
            "max_abs_diff": float(diff.max()),
            "p99_abs_diff": float(np.percentile(diff, 99)),
        }
        out[name]["meets_targets"] = all(out[name][k] >= v for k, v in TARGETS.items())
    return out


def main(argv=None) -> None:
    parser = argument_parser(__file__, __doc__)
    parser.add_argument("--runs", nargs="+", type=Path, help="runs or one ensemble folder")
    parser.add_argument("--site", type=Path, help="an exported web folder (skips the export)")
    parser.add_argument("--data", type=Path, help="prepared dataset: test-split drawings to fill")
    parser.add_argument("--n", type=int, default=1000, help="drawings compared (at least)")
    parser.add_argument("--tol", type=float, default=1e-3, help="probability tolerance")
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--out", type=Path, default=RESULTS / "web_agreement.json")
    args = parser.parse_args(argv)
    if not args.runs and not args.site:
        parser.error("give --runs (runs or an ensemble folder) or --site")

    with tempfile.TemporaryDirectory() as tmp:
        site = args.site
        if site is None:
            from seqdoodle.export.web import export_web

            site = export_web(args.runs, Path(tmp) / "site").path
        manifest = json.loads((site / "manifest.json").read_text("utf-8"))
        drawings = drawings_of(manifest["classes"], args.shared, args.data, args.n)
        print(f"{len(drawings)} drawings ({sum(f == 'raw' for f, _ in drawings)} raw)")
        reference = python_probs(manifest, drawings)
        page, blocked, version, threads = page_probs(site, drawings)
    result = {
        "browser": f"Chromium {version} (headless)",
        "threads": threads,
        "drawings": {
            "raw": sum(f == "raw" for f, _ in drawings),
            "simplified": sum(f == "simplified" for f, _ in drawings),
        },
        "models": {m["name"]: {"kind": m["kind"], "run": m["run"]} for m in manifest["models"]},
        "ensemble": manifest.get("ensemble"),
        "tolerance": args.tol,
        "targets": TARGETS,
        "blocked_requests": blocked,
        "agreement": agreement(page, reference, args.tol),
    }
    settings = settings_of(args, runs=[str(r) for r in args.runs or []])
    path = write_result(args.out, result, command_line(__file__, argv), settings)
    for name, a in result["agreement"].items():
        print(f"{name:>10}: top-1 {a['top1_agreement']:.2%}, within {args.tol:g} "
              f"{a['probabilities_within_tol']:.2%}, max diff {a['max_abs_diff']:.2e}")  # fmt: skip
    print(f"blocked requests: {len(blocked)}; wrote {path}")


if __name__ == "__main__":
    main()
