"""Start-up of `seqdoodle serve`: seconds to the first answered request, cold and cached.

`python -m experiments.bench.serve --startup` (see that module's docstring): cold is a start
whose runs have no cached ONNX export (every worker exports with TensorFlow, as every start did
before the cache), cached a start that finds the exports of the cold start (workers load
onnxruntime only and never import TensorFlow).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from experiments.bench.serve import free_port, merge_results
from experiments.common import REPO, command_line


def first_answer_seconds(cmd, port: int, body: bytes, timeout: float = 600.0) -> float:
    """Seconds from starting `cmd` (a server on `port`) to its first answered `POST /predict`."""
    import urllib.request

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL)
    try:
        while time.perf_counter() - t < timeout:
            if proc.poll() is not None:
                raise SystemExit(f"the server exited with code {proc.returncode}")
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/predict", body, {"Content-Type": "application/json"}
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as r:
                    if r.status == 200:
                        return time.perf_counter() - t
            except OSError:
                time.sleep(0.05)
        raise SystemExit("the server did not answer in time")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def startup(args, argv, body: bytes) -> dict:
    """Start-up to the first answer, cold (no ONNX cache) and cached (see the docstring)."""
    import shutil
    import tempfile

    from seqdoodle.runs.layout import RunLayout

    timings: dict = {"cold": [], "cached": []}
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        runs = [Path(tmp) / "cnn", Path(tmp) / "rnn"]
        for source, copy in zip((args.cnn, args.rnn), runs, strict=True):
            shutil.copytree(source, copy, ignore=shutil.ignore_patterns(RunLayout.ONNX_CACHE))
        for _ in range(args.repeat):
            for state in ("cold", "cached"):
                if state == "cold":
                    for run in runs:
                        shutil.rmtree(RunLayout(run).path / RunLayout.ONNX_CACHE, True)
                port = free_port()
                cmd = [sys.executable, "-m", "seqdoodle", "serve", *map(str, runs)]
                cmd += ["--port", str(port), "--backend", args.backend]
                cmd += ["--workers", str(args.workers)]
                timings[state].append(round(first_answer_seconds(cmd, port, body), 2))
    section = {
        "what": "seconds from starting seqdoodle serve (CNN + stroke run) to its first answer",
        "command": command_line(str(Path(__file__).with_name("serve.py")), argv),
        "cold_s": timings["cold"],
        "cached_s": timings["cached"],
        "speedup": round(float(np.median(timings["cold"]) / np.median(timings["cached"])), 2),
        "backend": args.backend,
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(section, indent=2))
    if not args.no_save:
        merge_results(section, key="serve_startup")
    return section
