"""
Title: An ensemble folder as a model: fit, evaluate, predict, serve and export it on the 26 classes
Description: The ensemble of a CNN, a stroke model and a `timecnn` run made with `seqdoodle
ensemble`, checked against `compare`'s ensemble row, `predict`, a live `seqdoodle serve` and its
ONNX export.

What it measures (each a figure in the JSON, with the largest difference seen):
1. `seqdoodle ensemble RUN RUN RUN --data D --out ENS`: the weights fitted on the validation split.
2. `evaluate` on ENS equals the ensemble row of `compare` on the same runs and test drawings
   (top-1, top-3, MAP@3, macro F1, ECE within 1e-6; every probability within 1e-6).
3. `seqdoodle serve ENS` answers a real raw drawing with the fitted weights: its ensemble
   probabilities (all classes, `top_k` = every class) equal `load_model(ENS).predict_proba`
   within 1e-5, on `--n` real raw drawings of the classes.
4. `seqdoodle export ENS --format onnx`: one checked ONNX file a member and the ensemble's
   weights beside them.

Run (after `compare_26` trained the three runs, or any three runs of one dataset):

    python -m experiments.studies.ensemble_26 --runs experiments/work/short26/runs \\
        --data experiments/work/short26/data
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from experiments.bench.serve import free_port, raw_bodies, wait_ready  # noqa: E402
from experiments.common import (  # noqa: E402
    argument_parser,
    command_line,
    settings_of,
    write_result,
)

KINDS = ("cnn", "rnn", "timecnn")
SCORES = ("top1", "top3", "map3", "macro_f1", "ece")

parser = argument_parser(__file__, __doc__)
parser.add_argument("--runs", type=Path, required=True, help="folder holding cnn/, rnn/, timecnn/")
parser.add_argument("--data", type=Path, required=True, help="the runs' prepared dataset")
parser.add_argument("--ens", type=Path, default=None, help="ensemble folder (default RUNS/ens)")
parser.add_argument("--n", type=int, default=200, help="raw drawings sent to the server")
parser.add_argument("--name", default="ensemble_26")


"""
## The server's answer, all classes

`seqdoodle serve ENS` runs as its own process on a free port of 127.0.0.1; each raw drawing is
posted with `top_k` = every class, so the ensemble's whole distribution comes back and is
compared with `load_model(ENS).predict_proba` on the same drawing, class by class.
"""


def served_probabilities(ens: Path, bodies: list[bytes], classes: list[str]) -> np.ndarray:
    """The ensemble's probabilities from a live `seqdoodle serve ENS`, one row a body."""
    port = free_port()
    cmd = [sys.executable, "-m", "seqdoodle", "serve", str(ens), "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_ready(port, proc, timeout=300)
        rows = []
        for body in bodies:
            payload = json.loads(body) | {"top_k": len(classes)}
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/predict",
                data=json.dumps(payload).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=60) as r:
                answer = json.loads(r.read())
            top = {t["class"]: t["probability"] for t in answer["models"]["ensemble"]["top"]}
            rows.append([top[c] for c in classes])
        return np.array(rows)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


"""
## Fit, evaluate, compare, serve, export

The ensemble is fitted by the library call behind `seqdoodle ensemble` (`fit_ensemble`), then
scored by `evaluate_run` and by `compare` over its three member runs in a temporary folder:
`compare` fits the same weights on the same validation split, so its ensemble row and the
folder's evaluation must agree. The export goes through the command a user types.
"""


def main(argv=None) -> dict:
    args = parser.parse_args(argv)
    from seqdoodle.comparison.job import compare
    from seqdoodle.datasets.records import Drawing
    from seqdoodle.runs.ensemble import fit_ensemble, load_model
    from seqdoodle.runs.evaluate import evaluate_run

    runs = [args.runs / k for k in KINDS]
    ens_dir = args.ens or args.runs / "ens"
    ens = fit_ensemble(runs, args.data, ens_dir, progress=False)
    print(f"{ens_dir}: weights {ens.weights}")

    with tempfile.TemporaryDirectory() as tmp:
        report = compare(runs=runs, data=args.data, out=Path(tmp) / "cmp", progress=False)
        row = report["models"]["ensemble"]
        compared = np.load(Path(tmp) / "cmp" / "predictions_ensemble.npz")["probs"]
        result = evaluate_run(ens, data=args.data, progress=False)
        score_diff = {k: abs(getattr(result.report, k) - row[k]) for k in SCORES}
        prob_diff = float(np.max(np.abs(result.probs - compared)))
        print(f"evaluate vs compare: scores {score_diff}, probabilities {prob_diff:.2e}")

        bodies = raw_bodies(ens.classes, args.n)
        drawings = [Drawing("", json.loads(b)["drawing"], fmt="raw") for b in bodies]
        predicted = load_model(ens_dir).predict_proba(drawings)
        served = served_probabilities(ens_dir, bodies, list(ens.classes))
        serve_diff = float(np.max(np.abs(served - predicted)))
        print(f"serve vs predict on {len(bodies)} raw drawings: {serve_diff:.2e}")

        onnx = Path(tmp) / "ens-onnx"
        cmd = ["seqdoodle", "export", str(ens_dir), "--format", "onnx", "--out", str(onnx)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.strip()[-500:]}")
        exported = sorted(p.name for p in onnx.rglob("*") if p.is_file())
        print(f"export --format onnx: {exported}")

    payload = {
        "ensemble": {"members": list(KINDS), "weights": dict(ens.weights)},
        "compare_row": {k: row[k] for k in (*SCORES, "n")},
        "evaluate": {k: getattr(result.report, k) for k in SCORES},
        "evaluate_vs_compare": {"scores_max_abs": max(score_diff.values()), "probs": prob_diff},
        "serve_vs_predict": {"drawings": len(bodies), "max_abs_prob": serve_diff},
        "onnx_files": exported,
        "targets": {"evaluate_vs_compare": 1e-6, "serve_vs_predict": 1e-5},
        "met": {
            "evaluate_vs_compare": max(*score_diff.values(), prob_diff) <= 1e-6,
            "serve_vs_predict": serve_diff <= 1e-5,
        },
    }
    write_result(args.name, payload, command_line(__file__, argv), settings_of(args))
    return payload


if __name__ == "__main__":
    main()
