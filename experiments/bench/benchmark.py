"""
Title: The seqdoodle benchmark: speed, memory and scale on this machine
Description: One command that measures reading, rendering, preparing, training, inference and
the projected full-scale epoch, with the machine it ran on.

Every figure is measured in this one run, so ratios between them (stroke default vs tutorial, the
CNN against its target) compare like with like. Sections:

1. **parse / render**: ndjson drawings parsed per second (fresh process), `render_bitmaps` and the
   stroke-3 encoders on the real simplified drawings.
1b. **input_pipeline**: bitmaps and augmented stroke drawings per second out of the training
   `tf.data` pipeline alone, no model (`experiments.bench.input`; its own targets).
2. **prepare**: `prepare` on 345 classes x 10,000 generated `numpy_bitmap` files (real rows tiled
   with small random shifts, Google's `(n, 784) uint8`) and on 20 classes x 10,000 generated
   ndjson files (real simplified lines repeated), each in a fresh process whose peak resident
   memory is read.
3. **train**: samples/s of the four models through the real training input pipeline
   (`seqdoodle.kinds.batches.BitmapBatches` / `StrokeBatches` -> `tf.data`) on the real 8-class
   stroke set, for a fixed number of steps after warm-up; plus the pipeline alone and the model
   alone.
4. **inference**: latency of one drawing (p50/p95) and batched throughput of a saved, reloaded
   run folder (`seqdoodle.runs.folder.load_run`), from raw strokes (simplify + render or encode
   inside the timed call).
5. **scale**: minutes per epoch at the full seed scale (345 x 10,000 drawings, 80% train),
   measured on the prepared 345-class bitmap set (CNN) and the 20-class stroke set with a
   345-class head (stroke model), projected from a fixed number of steps.

Run:
    python -m experiments.bench.benchmark                 # about 5 minutes on 2 cores
    python -m experiments.bench.benchmark --quick         # under a minute, small sizes
    python -m experiments.bench.benchmark --sections train   # rerun one part, merged in the JSON
    python -m experiments.bench.benchmark --max-load 2       # wait for a quieter machine first
    python -m experiments.bench.benchmark --sections profile # opt-in: where the time goes
    python -m experiments.bench.benchmark --only input_pipeline  # the input pipeline alone

Writes `experiments/results/benchmarks.json` (atomically) and prints a table. Real data comes
from `--shared` (default `../shared/quickdraw`); its acceptance-only folder is never read.
Scratch files go to a temporary folder under `--workdir` (default `experiments/work`), removed
at the end. The sections live in `benchmark_sizes` (the sizes), `benchmark_data` (inputs and
datasets), `benchmark_sections`, `benchmark_timing` and `benchmark_report` (targets, table).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from experiments.bench import input as input_pipeline  # noqa: E402
from experiments.bench.benchmark_report import UNITS, ratios, table, targets  # noqa: E402
from experiments.bench.benchmark_sections import Benchmark  # noqa: E402
from experiments.bench.benchmark_sizes import FULL, QUICK, Scale  # noqa: E402
from experiments.common import (  # noqa: E402
    RESULTS,
    SHARED,
    WORK,
    argument_parser,
    command_line,
    describe_machine,
    load_average,
    utc_now,
)
from seqdoodle.fileio import write_json  # noqa: E402

DEFAULT_OUT = RESULTS / "benchmarks.json"
SECTIONS = ("parse", "render", "input_pipeline", "prepare", "train", "inference", "scale")
OPTIONAL_SECTIONS = ("profile",)  # run only when named in --sections


def wait_for_quiet(max_load: float | None, max_wait_s: float, poll_s: float = 10.0) -> float:
    """Wait until the 1-minute load average is at most `max_load` (or `max_wait_s` passed).

    Args:
        max_load: float or None. Load average to wait for; None returns at once.
        max_wait_s: float. Longest wait in seconds.
        poll_s: float. Seconds between looks. Defaults to 10.

    Returns:
        Seconds waited.
    """
    started = time.monotonic()
    if max_load is None:
        return 0.0
    while os.getloadavg()[0] > max_load and time.monotonic() - started < max_wait_s:
        time.sleep(min(poll_s, max(0.0, max_wait_s - (time.monotonic() - started))))
    return round(time.monotonic() - started, 1)


def run_benchmark(
    shared,
    out,
    scale: Scale = FULL,
    sections=SECTIONS,
    workdir=WORK,
    quick: bool = False,
    max_load: float | None = None,
    max_wait_s: float = 600.0,
    command: str | None = None,
) -> dict:
    """Run the chosen sections and write the JSON (merged into `out` for a subset of sections).

    Args:
        shared: path. The real data folder (`../shared/quickdraw`).
        out: path. The JSON file to write.
        scale: `Scale`. Sizes. Defaults to `FULL`.
        sections: iterable of str. Sections to run, from `SECTIONS`. Defaults to all.
        workdir: path or None. Where the scratch folder is made (None: the system's temporary
            folder). Defaults to `experiments/work`.
        quick: bool. Recorded in the JSON. Defaults to False.
        max_load: float or None. Before the timing sections (train, inference, scale, profile)
            wait until the 1-minute load average is at most this. Defaults to None (no wait).
        max_wait_s: float. Longest wait per section, seconds. Defaults to 600.
        command: str or None. The command line, recorded as `commands[section]` for each
            section run. Defaults to None.

    Returns:
        The results dict that was written.

    Example:
    >>> run_benchmark(SHARED, WORK / "b.json", QUICK)  # doctest: +SKIP
    """
    sections = list(sections)
    unknown = sorted(set(sections) - set(SECTIONS) - set(OPTIONAL_SECTIONS))
    if unknown:
        choices = ", ".join(SECTIONS + OPTIONAL_SECTIONS)
        raise ValueError(f"unknown section(s) {', '.join(unknown)}; choose from {choices}")
    out = Path(out)
    partial = set(sections) != set(SECTIONS)
    results = json.loads(out.read_text()) if partial and out.exists() else {}
    started = time.perf_counter()
    if workdir is not None:
        Path(workdir).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="seqdoodle-bench-", dir=workdir))
    bench = Benchmark(shared, work, scale)
    seconds = results.get("section_seconds", {})
    finished = results.setdefault("section_finished_utc", {})
    loads = results.get("load_average", {})
    loads["start"] = load_average()
    info = describe_machine(frameworks=True)
    out.parent.mkdir(parents=True, exist_ok=True)

    def save(done: list[str]) -> None:
        """Write what is measured so far, so a failed section loses only itself."""
        results.update(
            machine=info,
            quick=quick,
            scale=asdict(scale),
            sections_run=done,
            complete=done == sections,
            section_seconds=seconds,
            total_seconds=round(time.perf_counter() - started, 1),
            load_average={**loads, "end": load_average()},
            units=UNITS,
        )
        results["ratios"] = ratios(results)
        results["targets"] = targets(results)
        if command:  # the command line that measured each section (a subset merges)
            results.setdefault("commands", {}).update({section: command for section in done})
        write_json(out, results)

    runners = {
        "parse": lambda: {"ndjson_parse": bench.parse()},
        "render": bench.render,
        "prepare": bench.prepare,
        "train": bench.train,
        "inference": bench.inference,
        "scale": lambda: bench.scale_projection(results.get("train_samples_per_s")),
        "profile": bench.profile,
        "input_pipeline": lambda: {  # experiments.bench.input, on the real 8-class set
            "input_pipeline": input_pipeline.measure(bench.dataset("strokes8"), repeat=scale.repeat)
        },
    }
    try:
        for n, section in enumerate(sections):
            if section in ("input_pipeline", "train", "inference", "scale", "profile"):
                waited = wait_for_quiet(max_load, max_wait_s)
                if max_load is not None:
                    results.setdefault("waited_for_load_s", {})[section] = waited
            t0 = time.perf_counter()
            loads[section] = load_average()
            results.update(runners[section]())
            results.update(bench.results)  # preparations run on demand by other sections
            seconds[section] = round(time.perf_counter() - t0, 1)
            finished[section] = utc_now()
            save(sections[: n + 1])
    finally:
        bench.close()
    return results


def build_parser():
    """The command line of `python -m experiments.bench.benchmark`."""
    parser = argument_parser(__file__, __doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON file to write")
    parser.add_argument("--shared", type=Path, default=SHARED, help="real data folder")
    parser.add_argument("--workdir", type=Path, default=WORK, help="where scratch files go")
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=(
            f"comma-separated sections from {','.join(SECTIONS + OPTIONAL_SECTIONS)} "
            "(profile only when named); a subset merges into --out"
        ),
    )
    parser.add_argument("--only", default=None, help="one section alone (as --sections X)")
    parser.add_argument(
        "--max-load",
        type=float,
        default=None,
        help="before each timing section wait until the 1-minute load average is at most this",
    )
    parser.add_argument("--max-wait", type=float, default=600, help="longest such wait, seconds")
    return parser


def main(argv: list[str] | None = None) -> dict:
    args = build_parser().parse_args(argv)
    scale = QUICK if args.quick else FULL
    sections = [s.strip() for s in (args.only or args.sections).split(",") if s.strip()]
    results = run_benchmark(
        args.shared,
        args.out,
        scale,
        sections,
        args.workdir,
        args.quick,
        args.max_load,
        args.max_wait,
        command=command_line(__file__, argv),
    )
    print(table(results))
    if args.quick:
        print("quick run: few steps and small sizes; judge the targets on a full run")
    print(f"total {results['total_seconds']:.0f} s; wrote {args.out}")
    return results


if __name__ == "__main__":
    main()
