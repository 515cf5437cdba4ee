"""The docs' tables and figures of serving: speed, where a request's time goes, overload and
start-up (see `experiments.doc_tables`)."""

from __future__ import annotations

import numpy as np

from experiments.doc_tables import figure, load, markdown, table, whole
from experiments.doc_tables_bench import BENCH, two
from seqdoodle.errors import MissingFileError


def _serve_row(s: dict, label: str) -> list:
    return [
        f"{label}: `--workers {s['workers']}`, backend `{s['backend']}`, {s['clients']} clients",
        f"{s['load_average_1min']:.1f}",
        whole(s["requests"]),
        s["errors"],
        whole(s.get("refused_503", 0)),
        whole(s["requests_per_s"]),
        f"{s['latency_ms']['p50']:.1f}",
        f"{s['latency_ms']['p95']:.1f}",
        f"{s['latency_ms']['p99']:.1f}",
        f"{s['server_cpu_ms_per_request']:.1f}",
    ]


@table
def serve_speed() -> str:
    data = load(BENCH)
    rows = [_serve_row(data["serve"], "today's server")]
    keys = ("serve",)
    if "serve_before" in data:  # the same load on the code before lean serving, same machine
        rows.insert(0, _serve_row(data["serve_before"], "before lean serving (7503f85)"))
        keys = ("serve_before", "serve")
    header = [
        "server",
        "load",
        "requests",
        "errors",
        "503s",
        "requests/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "server CPU ms / request",
    ]
    return markdown(header, rows, (BENCH, keys))


@figure
def serve_summary() -> str:
    s = load(BENCH)["serve"]
    return (
        f"{whole(s['requests_per_s'])} requests/s from {s['clients']} concurrent clients, "
        f"p95 {s['latency_ms']['p95']:.1f} ms, {s['errors'] or 'no'} errors in "
        f"{whole(s['requests'])} requests" + _refused(s)
    )


def _refused(s: dict) -> str:
    n = s.get("refused_503", 0)
    return f" ({whole(n)} more refused with 503 under its wait limit)" if n else ""


def _section(key: str, command: str) -> dict:
    """`benchmarks.json[key]`, or one line naming the command that measures it.

    Raises:
        MissingFileError: the file, or its section `key`, is missing.
    """
    data = load(BENCH)
    if key not in data:
        raise MissingFileError(f"{BENCH} has no '{key}' section yet; run `{command}`")
    return data[key]


OVERLOAD_COMMAND = "python -m experiments.bench.serve --clients 64 --requests 6000 --workers 2"
STARTUP_COMMAND = "python -m experiments.bench.serve --startup --repeat 3 --workers 2"


def _admission(s: dict) -> str:
    """The admission flags of an overload run, as the table names them."""
    queue = f"`--max-queue {s['max_queue']}`" if s.get("max_queue") else "default `--max-queue`"
    wait = s.get("max_wait_ms")
    if "max_wait_ms" not in s:  # measured before the wait limit existed
        return queue
    if wait is None:
        return f"{queue}, default `--max-wait-ms`"
    return f"{queue}, `--max-wait-ms {wait:g}`" + (" (count only)" if wait == 0 else "")


@table
def serve_overload() -> str:
    data = load(BENCH)
    _section("serve_overload", OVERLOAD_COMMAND)
    keys = tuple(k for k in ("serve_overload_count", "serve_overload") if k in data)
    rows = [_overload_row(data[k]) for k in keys]
    header = [
        "server and load",
        "load",
        "answered",
        "answered/s",
        "answered p50 / p95 ms",
        "503s",
        "503 p95 ms",
        "other errors",
        "RSS MB before / after",
        "next request",
    ]
    return markdown(header, rows, (BENCH, keys))


def _overload_row(s: dict) -> list:
    waits = "wait `Retry-After`" if s["client_waits_retry_after"] else "retry at once"
    after = s["normal_request_after"]
    rss = s["rss_mb"]
    return [
        f"`--workers {s['workers']}`, {_admission(s)}; {s['clients']} clients that {waits}",
        f"{s['load_average_1min']:.1f}",
        whole(s["requests"]),
        whole(s["requests_per_s"]),
        two(s["latency_ms"]["p50"], s["latency_ms"]["p95"], 1),
        whole(s["refused_503"]),
        f"{s['refused_ms_p95']:.1f}",
        s["errors"],
        f"{rss['before']:.0f} / {rss['after']:.0f}",
        f"{after['status']} in {after['ms']:.0f} ms",
    ]


@figure
def serve_overload_summary() -> str:
    s = _section("serve_overload", OVERLOAD_COMMAND)
    return (
        f"{whole(s['requests'])} requests answered with p95 {s['latency_ms']['p95']:.1f} ms and "
        f"{whole(s['refused_503'])} refused at once with 503 from {s['clients']} clients, "
        f"resident memory {s['rss_mb']['before']:.0f} MB before and {s['rss_mb']['after']:.0f} "
        "MB after"
    )


@table
def serve_startup() -> str:
    s = _section("serve_startup", STARTUP_COMMAND)
    cold = float(np.median(s["cold_s"]))
    rows = []
    for key, label in (
        ("cold_s", "no ONNX cache: each worker exports with TensorFlow"),
        ("cached_s", "ONNX cached in the run folders: onnxruntime only, no TensorFlow"),
    ):
        median = float(np.median(s[key]))
        rows.append(
            [
                label,
                f"{median:.1f}",
                ", ".join(f"{x:.1f}" for x in s[key]),
                f"{cold / median:.1f}x",
            ]
        )
    header = [
        f"`seqdoodle serve` CNN + stroke run, `--workers {s['workers']}`, load "
        f"{s['load_average_1min']:.1f}",
        "seconds to the first answer (median)",
        "each start",
        "faster than cold",
    ]
    return markdown(header, rows, (BENCH, ("serve_startup",)))


# ----------------------------------------------------------------------------- the web bundle


STAGES_COMMAND = "python -m experiments.bench.serve_stages --cnn RUN --rnn RUN"


@table
def serve_stages() -> str:
    s = _section("serve_stages", STAGES_COMMAND)
    names = {"parse": "parse and check the body", "prepare": "simplify, render what is needed"}
    names |= {"inputs": "each kind's encoding", "answer": "pool, top k, JSON answer"}
    order = ("parse", "prepare", "inputs", "answer")
    rows = [[names[k], f"{s['stages_ms'][k]:.2f}", ""] for k in order]
    for name, ms in s["models_ms_batched"].items():
        alone = s["models_ms_batch1"][name]
        rows.append([f"model `{name}` ({s['backends'][name]})", f"{ms:.2f}", f"{alone:.2f}"])
    rows.append(["**all but HTTP**", f"**{s['total_ms_batched']:.2f}**", ""])
    header = ["stage of one request", f"CPU ms (models in batches of {s['batch']})", "one alone"]
    return markdown(header, rows, (BENCH, ("serve_stages",)))


@figure
def serve_stages_bound() -> str:
    s = _section("serve_stages", STAGES_COMMAND)
    return (
        f"{s['total_ms_batched']:.1f} ms of CPU a request before any HTTP work, so at most "
        f"{whole(s['most_requests_per_s_2_cores'])} requests/s on two cores"
    )
