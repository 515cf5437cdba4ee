"""
Title: Serving: N concurrent clients posting real raw drawings to `seqdoodle serve`
Description: p50/p95/p99 latency and requests/s of `POST /predict` with a CNN and a stroke run
served together.

Starts `seqdoodle serve CNN_RUN STROKE_RUN` as its own process on a free port of 127.0.0.1, then
runs N client connections (HTTP/1.1 keep-alive, each sending its next request as soon as the
last answer arrived) for at most `--requests` requests or `--seconds` seconds, whichever comes
first. Bodies are real raw drawings from ../shared/quickdraw/raw (`format: raw`), so every request
is simplified, rendered and predicted by both models. Prints p50/p95/p99 latency and requests/s
and merges them into experiments/results/benchmarks.json under "serve" (other keys are kept).

Overload (`--clients 64`, more clients than the server admits within `serve --max-wait-ms`): the
server answers what it can and refuses the rest at once with 503 and `Retry-After` (a client waits
that long, or not at all with `--hammer`). It records the answered requests, the 503s, other
errors, p95 of the answered ones, the server's RSS (its process tree, /proc VmRSS) before and
after, and whether a normal request is answered right after; saved under "serve_overload"
(`--section` names another section, e.g. `serve_overload_count` for the count-only limit,
`--max-wait-ms 0`).

Start-up (`--startup`): the seconds from starting `seqdoodle serve` to its first answered
`POST /predict`, cold (copies of the runs without their cached ONNX export, so every worker
exports with TensorFlow as the server did before the cache) and then cached (the same copies, the
exports cached by the cold start: workers load onnxruntime only); `--repeat` starts of each, saved
under "serve_startup".

Without --cnn/--rnn it first trains two small runs into `--work` (default architectures,
`--epochs` epochs on 500 drawings a class of the 8-class real stroke set; kept and reused by the
next run); serving costs the same whatever the training.

Run:
    python -m experiments.bench.serve --clients 8 --requests 4000 --workers 2
    python -m experiments.bench.serve --clients 64 --requests 6000 --workers 2
    python -m experiments.bench.serve --startup --repeat 3 --workers 2
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from experiments.common import (
    REPO,
    RESULTS,
    SHARED,
    STROKE_CLASSES,
    WORK,
    argument_parser,
    command_line,
    portable,
    prepare_stroke_set,
)
from seqdoodle.fileio import write_json

BENCHMARKS = RESULTS / "benchmarks.json"
OVERLOAD_CLIENTS = 8  # more clients than this is the overload run ("serve_overload")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raw_bodies(classes, n: int, seed: int = 0) -> list[bytes]:
    """`n` request bodies of real raw drawings, taken round-robin from the runs' classes."""
    folder = SHARED / "raw"
    files = [folder / f"{c}.ndjson" for c in classes if (folder / f"{c}.ndjson").is_file()]
    if not files:
        files = sorted(folder.glob("*.ndjson"))[:20]
    per_file = [[json.loads(line)["drawing"] for line in f.open()] for f in files]
    rng = np.random.default_rng(seed)
    bodies = []
    for i in range(n):
        drawings = per_file[i % len(per_file)]
        drawing = drawings[int(rng.integers(len(drawings)))]
        bodies.append(json.dumps({"drawing": drawing, "format": "raw", "top_k": 3}).encode())
    return bodies


def train_runs(work: Path, epochs: int = 2) -> tuple[Path, Path]:
    """Two small runs (cnn, rnn; default architectures) on the real 8-class stroke set."""
    import seqdoodle

    data = work / "data"
    if not (data / "manifest.json").exists():
        prepare_stroke_set(data, STROKE_CLASSES, SHARED, per_class=500)
    runs = []
    for kind in ("cnn", "rnn"):
        out = work / kind
        if not (out / "config.json").exists():
            seqdoodle.train(
                kind, str(data), str(out), epochs=epochs, progress=False, time_limit=None
            )
        runs.append(out)
    return runs[0], runs[1]


async def client(
    host,
    port,
    bodies,
    start,
    stop_at,
    deadline,
    latencies,
    errors,
    counter,
    refused=None,
    wait=True,
):
    """One keep-alive connection sending requests back to back; a 503 goes to `refused`."""
    reader, writer = await asyncio.open_connection(host, port)
    i = start
    try:
        while counter[0] < stop_at and time.perf_counter() < deadline:
            counter[0] += 1
            body = bodies[i % len(bodies)]
            i += 7
            head = (
                f"POST /predict HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            t = time.perf_counter()
            writer.write(head + body)
            status_line = await reader.readline()
            length, retry_after = 0, None
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
                elif name.strip().lower() == b"retry-after":
                    retry_after = float(value)
            payload = await reader.readexactly(length)
            elapsed = time.perf_counter() - t
            if refused is not None and b" 503 " in status_line and retry_after is not None:
                refused.append(elapsed)
                if wait:
                    await asyncio.sleep(retry_after)
                continue
            latencies.append(elapsed)
            if b" 200 " not in status_line or b'"models"' not in payload:
                errors.append(status_line.decode(errors="replace").strip())
    finally:
        writer.close()


async def load(host, port, bodies, clients, requests, seconds, refused=None, wait=True):
    latencies, errors, counter = [], [], [0]
    deadline = time.perf_counter() + seconds
    t = time.perf_counter()
    await asyncio.gather(
        *[
            client(
                host, port, bodies, k, requests, deadline, latencies, errors, counter, refused, wait
            )
            for k in range(clients)
        ]
    )
    return latencies, errors, time.perf_counter() - t


def wait_ready(port: int, proc, timeout: float = 180.0) -> None:
    import urllib.request

    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the server did not answer /health in time")


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def process_tree(pid: int) -> set[int]:
    """A process and its descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(_stat(int(entry.name))[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, grew = {pid}, True
    while grew:
        more = {p for p, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return tree


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants in MB (VmRSS of /proc/PID/status)."""
    total_kb = 0
    for p in process_tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except (OSError, ValueError):
            continue
    return round(total_kb / 1024, 1)


def answered_normally(port: int, body: bytes) -> dict:
    """One request after the load: `{"status", "ms", "models"}` (models: whether it answered)."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/predict", data=body, headers={"Content-Type": "application/json"}
    )
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            status, payload = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, payload = e.code, e.read()
    ms = round(1000 * (time.perf_counter() - t), 2)
    return {"status": status, "ms": ms, "models": b'"models"' in payload}


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its descendants so far (Linux /proc)."""
    tree = process_tree(pid)
    total = 0.0
    for p in tree:
        try:
            fields = _stat(p)
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def merge_results(section: dict, path: Path = BENCHMARKS, key: str = "serve") -> None:
    """Write `section` under `key` in the benchmarks JSON, keeping the other keys."""
    data = {}
    if path.is_file():
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError:
            data = {}
    data[key] = section
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, data)


def main(argv=None) -> dict:
    parser = argument_parser(__file__, __doc__)
    parser.add_argument("--cnn", type=Path, help="bitmap CNN run folder (default: train one)")
    parser.add_argument("--rnn", type=Path, help="stroke run folder (default: train one)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections")
    parser.add_argument("--requests", type=int, default=4000, help="most requests in all")
    parser.add_argument("--seconds", type=float, default=60.0, help="most seconds of load")
    parser.add_argument("--warmup", type=int, default=200, help="requests before measuring")
    parser.add_argument("--backend", default="auto", help="serve --backend: auto, onnx, keras")
    parser.add_argument("--workers", type=int, default=2, help="serve --workers")
    parser.add_argument("--epochs", type=int, default=2, help="epochs of the runs it trains")
    parser.add_argument("--work", type=Path, default=WORK / "bench_serve", help="runs it trains")
    parser.add_argument("--max-queue", type=int, help="serve --max-queue (default: its own)")
    parser.add_argument("--max-wait-ms", type=float, help="serve --max-wait-ms (default: its own)")
    parser.add_argument(
        "--hammer", action="store_true", help="retry a 503 at once, not after its Retry-After"
    )
    parser.add_argument(
        "--startup", action="store_true", help="measure start-up to the first answer instead"
    )
    parser.add_argument("--repeat", type=int, default=3, help="--startup: starts of each kind")
    parser.add_argument("--no-save", action="store_true", help="print only")
    parser.add_argument(
        "--section", help="section of benchmarks.json (default: serve, or serve_overload)"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 256:
        parser.error("--clients must be within 1..256")
    if args.requests < 1 or args.seconds <= 0:
        parser.error("--requests and --seconds must be positive")

    if args.cnn is None or args.rnn is None:
        args.work.mkdir(parents=True, exist_ok=True)
        cnn, rnn = train_runs(args.work, args.epochs)
        args.cnn, args.rnn = args.cnn or cnn, args.rnn or rnn
    classes = json.loads((args.cnn / "config.json").read_text())["classes"]
    bodies = raw_bodies(classes, 500)
    if args.startup:
        from experiments.bench.serve_startup import startup

        return startup(args, argv, bodies[0])
    port = free_port()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    cmd = [
        sys.executable,
        "-m",
        "seqdoodle",
        "serve",
        str(args.cnn),
        str(args.rnn),
        "--port",
        str(port),
        "--backend",
        args.backend,
        "--workers",
        str(args.workers),
    ]
    if args.max_queue is not None:
        cmd += ["--max-queue", str(args.max_queue)]
    if args.max_wait_ms is not None:
        cmd += ["--max-wait-ms", str(args.max_wait_ms)]
    wait = not args.hammer
    refused: list = []
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL)
    try:
        wait_ready(port, proc)
        asyncio.run(load("127.0.0.1", port, bodies, args.clients, args.warmup, 30.0, [], wait))
        rss_before = rss_mb(proc.pid)
        server_cpu, client_cpu = cpu_seconds(proc.pid), time.process_time()
        latencies, errors, wall = asyncio.run(
            load(
                "127.0.0.1", port, bodies, args.clients, args.requests, args.seconds, refused, wait
            )
        )
        server_cpu = cpu_seconds(proc.pid) - server_cpu
        client_cpu = time.process_time() - client_cpu
        rss_after = rss_mb(proc.pid)
        after = answered_normally(port, bodies[0])
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    ms = np.asarray(latencies or [float("nan")]) * 1000
    points = [sum(len(s[0]) for s in json.loads(b)["drawing"]) for b in bodies]
    section = {
        "what": "POST /predict, raw drawings, a CNN and a stroke run served together",
        "command": command_line(__file__, argv),
        "clients": args.clients,
        "requests": len(latencies),
        "errors": len(errors),
        "refused_503": len(refused),
        "seconds": round(wall, 2),
        "requests_per_s": round(len(latencies) / wall, 1),
        "latency_ms": {
            "p50": round(float(np.percentile(ms, 50)), 2),
            "p95": round(float(np.percentile(ms, 95)), 2),
            "p99": round(float(np.percentile(ms, 99)), 2),
            "max": round(float(ms.max()), 2),
        },
        "server_cpu_ms_per_request": round(1000 * server_cpu / max(1, ms.size), 2),
        "client_cpu_ms_per_request": round(1000 * client_cpu / max(1, ms.size), 2),
        "drawing_points_mean": round(float(np.mean(points)), 1),
        "runs": {"cnn": portable(args.cnn.absolute()), "rnn": portable(args.rnn.absolute())},
        "backend": args.backend,
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    if refused or args.clients > OVERLOAD_CLIENTS:
        section["what"] = "overload: " + section["what"] + ", more clients than it admits"
        section["refused_ms_p95"] = round(float(np.percentile(np.asarray(refused or [0]), 95)), 2)
        section["client_waits_retry_after"] = wait
        section["max_queue"] = args.max_queue
        section["max_wait_ms"] = args.max_wait_ms
        section["rss_mb"] = {
            "before": rss_before,
            "after": rss_after,
            "growth": round(rss_after - rss_before, 1),
        }
        section["normal_request_after"] = after
    print(json.dumps(section, indent=2))
    if errors:
        print(f"first error: {errors[0]}", file=sys.stderr)
    if not args.no_save:
        overload = args.clients > OVERLOAD_CLIENTS
        merge_results(section, key=args.section or ("serve_overload" if overload else "serve"))
    return section


if __name__ == "__main__":
    main()
