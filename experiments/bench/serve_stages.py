"""
Title: Serving, stage by stage: where a request's CPU time goes
Description: The CPU milliseconds of each stage of one `POST /predict` (parse, simplify and
render, encode, each model's onnxruntime call, answer), in one process without HTTP.

A request to `seqdoodle serve CNN_RUN STROKE_RUN` runs: parse and check the JSON body; Google's
simplification of the raw strokes and the rendering the served kinds need (`Engine.prepare`);
each kind's numpy encoding (`Engine.inputs`); one onnxruntime call per model (batched with
whatever else waits); the ensemble pool, the top k and the JSON answer. This benchmark times each
stage over real raw drawings with the server's own `Engine`, its models called one drawing at a
time and in batches of `--batch` (what concurrent clients give the batcher), on one thread. What
is left of the server's CPU per request in `serve` (benchmarks.json) is HTTP (uvicorn, FastAPI)
and the threads' hand-offs.

It bounds what the machine can answer: two cores give at most 2000 / (ms per request)
requests/s, before any HTTP work. Saved under "serve_stages" in experiments/results/benchmarks.json.

Run:
    python -m experiments.bench.serve_stages --cnn RUN --rnn RUN
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from experiments.bench.serve import merge_results, raw_bodies
from experiments.common import argument_parser, command_line, portable

STAGES = ("parse", "prepare", "inputs", "answer")


def _ms(seconds: list) -> float:
    return round(1000.0 * float(np.mean(seconds)), 3)


def measure(engine, bodies: list, batch: int, rounds: int = 3) -> dict:
    """`{"stages_ms", "models_ms_batch1", "models_ms_batched"}`: mean CPU ms a request, the
    best of `rounds` passes (the least disturbed by the rest of the machine)."""
    from seqdoodle.serve.requests import parse_predict

    best: dict = {}
    for _ in range(rounds):
        times = {s: [] for s in STAGES}
        alone = {s.name: [] for s in engine.served}
        items, prepared = [], []
        for body in bodies:
            t0 = time.process_time()
            request = parse_predict(body)
            t1 = time.process_time()
            simplified, ink, drawing = engine.prepare(request.strokes, request.format)
            t2 = time.process_time()
            inputs = engine.inputs(drawing, ink)
            t3 = time.process_time()
            rows = []
            for served, item in zip(engine.served, inputs, strict=True):
                t = time.process_time()
                rows.append(served.predict([item])[0])
                alone[served.name].append(time.process_time() - t)
            t4 = time.process_time()
            json.dumps(engine.answer(rows, simplified, ink, request.top_k))
            t5 = time.process_time()
            for stage, dt in zip(STAGES, (t1 - t0, t2 - t1, t3 - t2, t5 - t4), strict=True):
                times[stage].append(dt)
            items.append(inputs)
            prepared.append(simplified)
        batched = {}
        for j, served in enumerate(engine.served):
            t = time.process_time()
            for k in range(0, len(items), batch):
                served.predict([it[j] for it in items[k : k + batch]])
            batched[served.name] = 1000.0 * (time.process_time() - t) / len(items)
        this = {
            "stages_ms": {s: _ms(v) for s, v in times.items()},
            "models_ms_batch1": {n: _ms(v) for n, v in alone.items()},
            "models_ms_batched": {n: round(v, 3) for n, v in batched.items()},
        }
        total = sum(this["stages_ms"].values()) + sum(this["models_ms_batched"].values())
        this["total_ms_batched"] = round(total, 3)
        if not best or total < best["total_ms_batched"]:
            best = this
    return best


def main(argv=None) -> dict:
    parser = argument_parser(__file__, __doc__)
    parser.add_argument("--cnn", type=Path, required=True, help="bitmap CNN run folder")
    parser.add_argument("--rnn", type=Path, required=True, help="stroke run folder")
    parser.add_argument("--n", type=int, default=400, help="real raw drawings")
    parser.add_argument("--batch", type=int, default=4, help="drawings per batched model call")
    parser.add_argument("--no-save", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if args.n < 1 or args.batch < 1:
        parser.error("--n and --batch must be at least 1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from seqdoodle.serve.engine import load_engine

    engine = load_engine([args.cnn, args.rnn])
    try:
        bodies = raw_bodies(engine.shared, args.n)
        engine.predict(json.loads(bodies[0])["drawing"])  # warm
        section = {
            "command": command_line(__file__, argv),
            "what": "CPU ms of each stage of one POST /predict (CNN + stroke run), no HTTP",
            "drawings": args.n,
            "batch": args.batch,
            **measure(engine, bodies, args.batch),
            "backends": {s.name: s.backend for s in engine.served},
            "runs": {"cnn": portable(args.cnn.absolute()), "rnn": portable(args.rnn.absolute())},
            "cpus": os.cpu_count(),
            "load_average_1min": round(os.getloadavg()[0], 2),
        }
    finally:
        engine.close()
    section["most_requests_per_s_2_cores"] = round(2000.0 / section["total_ms_batched"], 1)
    print(json.dumps(section, indent=2))
    if not args.no_save:
        merge_results(section, key="serve_stages")
    return section


if __name__ == "__main__":
    main()
