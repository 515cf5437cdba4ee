"""
Title: The web bundle in headless Chromium: latency per guess, first load, size
Description: `seqdoodle export RUN... --format web` served from a local static server (no
COOP/COEP headers: the bundle's service worker isolates the page) and driven in Debian's headless
Chromium: onnxruntime-web (wasm, in threads) in the page's Web Worker.

Measured in one browser on this machine:

1. **per guess**: `recognize()` round trips from the page's main thread (postMessage to the
   worker, simplification, preprocessing, inference, pooling, the answer back) over `--n` real
   raw drawings from `../shared/quickdraw/raw` (the first drawings of every class, in class
   order), for each model alone (`recognize(d, {models: [name]})`) and for all models with
   their ensemble; p50, p95, p99 and mean in ms after `--warmup` guesses. Before them, the
   first `--settle` guesses of all models after the page is ready are timed apart
   (`after_load`): the browser is still compiling the hot WebAssembly code then, and a 2-core
   machine feels it (the worker warms the models up in the background once ready, for up to
   3 s while no guess waits). With `--from-load` each row is timed on its own freshly loaded
   page instead, from its first guess (no `--warmup`), sent `--start-after` ms after the page
   is ready; `after_load` is then the first `--settle` guesses of the row of all models, and
   `warmed` says how long each page's background warm-up ran. `--compare-without-warmup` times
   the same rows again with the warm-up turned off (`?warmup=0`: `without_background_warmup`).
   The worker's own time
   (`in_worker`: simplification to pooling) and per model (preprocessing + inference) are
   recorded beside it. The page runs `--threads` WebAssembly threads (default: the page's own,
   min(4, cores)); the same guesses are timed again with `--baseline-threads` (default 1) in
   another page of the same browser, for comparison (`baseline`).
2. **first load**: from the first navigation to the models being ready (`window.__readyMs`,
   the service worker's registration and the one-time reload included), in a fresh browser
   context (empty cache, no service worker) each of `--loads` times, from a local `http.server`;
   and as many with service workers blocked (`first_load_without_service_worker_ms`: no reload,
   one thread, as the page was before it had one).
3. **size**: every file of the exported folder, the shipped bundle (`seqdoodle/web/dist`) and
   the ONNX files.

Run:
    python -m experiments.bench.web --runs RUN1 RUN2 RUN3           # exports, then measures
    python -m experiments.bench.web --site FOLDER                   # an exported folder
    python -m experiments.bench.web --n 20 --loads 1 --out /tmp/web.json   # a functional check
    python -m experiments.bench.web --threads 1 --baseline-threads 0 ...     # one thread only
    python -m experiments.bench.web --from-load --compare-without-warmup ...  # guesses from load

Writes `experiments/results/web_bundle.json` (or `--out`) with the command that remakes it.
Targets (on trained 26-class runs): p95 per guess <= 20 ms for one model, <= 40 ms for an
ensemble of three. Run it on a quiet machine: the figures are those of this machine's 2 cores.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import tempfile
import threading
from pathlib import Path

import numpy as np

from experiments.common import (
    REPO,
    RESULTS,
    SHARED,
    argument_parser,
    command_line,
    settings_of,
    write_result,
)

DEFAULT_RUNS = [REPO / "tests" / "fixtures" / "runs_current" / k for k in ("cnn", "rnn", "timecnn")]
TARGET_P95_MS = {"single": 20.0, "ensemble of three": 40.0}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
    }

    def log_message(self, *args):
        pass


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """A static server of `folder` on 127.0.0.1 in a thread, and its URL."""
    handler = functools.partial(_Handler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def chromium() -> str:
    for path in (os.environ.get("SEQDOODLE_CHROMIUM"), shutil.which("chromium")):
        if path and Path(path).is_file():
            return path
    raise SystemExit("no Chromium found (install Debian's chromium or set SEQDOODLE_CHROMIUM)")


def raw_drawings(shared: Path, n: int) -> list:
    """The first `n` raw drawings taking one line of every class file in turn."""
    files = sorted((shared / "raw").glob("*.ndjson"))
    handles = [open(f, encoding="utf-8") for f in files]  # noqa: SIM115 - closed below
    out: list = []
    try:
        while len(out) < n and handles:
            for h in list(handles):
                line = h.readline()
                if not line:
                    handles.remove(h)
                    continue
                out.append(json.loads(line)["drawing"])
                if len(out) == n:
                    break
    finally:
        for h in handles:
            h.close()
    if len(out) < n:
        raise SystemExit(f"only {len(out)} raw drawings under {shared / 'raw'}; asked for {n}")
    return out


def stats(values) -> dict:
    v = np.asarray(values, np.float64)
    return {
        "n": int(v.size),
        "p50_ms": round(float(np.percentile(v, 50)), 3),
        "p95_ms": round(float(np.percentile(v, 95)), 3),
        "p99_ms": round(float(np.percentile(v, 99)), 3),
        "mean_ms": round(float(v.mean()), 3),
    }


TIMED = """async ([drawings, models, warmup]) => {
    const r = window.__recognizer, trips = [], inWorker = [], worker = {};
    for (let i = 0; i < drawings.length + warmup; i++) {
        const d = drawings[i % drawings.length];
        const t = performance.now();
        const answer = await r.recognize(d, {format: 'raw', topK: 3, models});
        const ms = performance.now() - t;
        if (i < warmup) continue;
        trips.push(ms);
        inWorker.push(answer.ms);
        for (const [name, m] of Object.entries(answer.models)) {
            if (m.ms !== undefined) (worker[name] = worker[name] || []).push(m.ms);
        }
    }
    return {trips, inWorker, worker};
}"""


@contextlib.contextmanager
def browser_on(site: Path):
    """`(browser, url)`: headless Chromium and `site` served on 127.0.0.1, both closed after."""
    from playwright.sync_api import sync_playwright

    server, url = serve(site)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
            try:
                yield browser, url
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()


WARMED = "window.__warmed === undefined ? 'still running' : window.__warmed"
INFO = "({threads: window.__recognizer.threads, isolated: crossOriginIsolated})"


def per_guess(
    browser, url: str, names: list, drawings: list, warmup: int, settle: int, threads,
    from_load: bool = False, start_after: int = 0, warm_up: bool = True,
):  # fmt: skip
    """Round trips: `{threads, isolated, after_load, per_guess}`, every row on one page, or with
    `from_load` each on its own fresh page from its first guess, `start_after` ms after ready."""
    labels = [*((n, [n]) for n in names), ("all", names)]
    guesses, warmed = {}, {}
    if from_load:
        for label, models in labels:
            context, page, _ = load_once(browser, url, threads=threads, warm_up=warm_up)
            info = page.evaluate(INFO)
            if start_after:
                page.wait_for_timeout(start_after)
            timed = page.evaluate(TIMED, [drawings, models, 0])
            with contextlib.suppress(Exception):  # the warm-up ends once the worker is idle
                page.wait_for_function("() => window.__warmed !== undefined", timeout=5_000)
            warmed[label] = page.evaluate(WARMED)
            guesses[label] = _row(models, timed)
            context.close()
            first = timed["trips"][:settle] if label == "all" and settle else []
        info["warmed"] = warmed
    else:
        context, page, _ = load_once(browser, url, threads=threads, warm_up=warm_up)
        info = page.evaluate(INFO)
        first = page.evaluate(TIMED, [drawings[:settle], names, 0])["trips"] if settle else []
        for label, models in labels:
            guesses[label] = _row(models, page.evaluate(TIMED, [drawings, models, warmup]))
        context.close()
    info["after_load"] = {"models": names, "round_trip": stats(first)} if first else None
    return {**info, "per_guess": guesses}


def _row(models: list, timed: dict) -> dict:
    return {
        "models": models,
        "round_trip": stats(timed["trips"]),
        "in_worker": stats(timed["inWorker"]),
        "worker_ms_per_model": {k: stats(v) for k, v in timed["worker"].items()},
    }


def measure(
    site: Path, drawings: list, warmup: int, loads: int, threads=None, baseline_threads=1, settle=0,
    from_load=False, start_after=0, compare_without_warmup=False,
) -> dict:  # fmt: skip
    manifest = json.loads((site / "manifest.json").read_text("utf-8"))
    names = [m["name"] for m in manifest["models"]]
    with browser_on(site) as (browser, url):
        first, plain = [], []
        for _ in range(loads):  # alternated, so that both meet the same machine
            for times, blocked in ((first, "allow"), (plain, "block")):
                context, _, ms = load_once(browser, url, threads=threads, service_workers=blocked)
                times.append(ms)
                context.close()
        timing = (drawings, warmup, settle)
        how = {"from_load": from_load, "start_after": start_after}
        main = per_guess(browser, url, names, *timing, threads, **how)
        base = cold = None
        if baseline_threads:
            base = per_guess(browser, url, names, *timing, baseline_threads, **how)
        if compare_without_warmup:
            cold = per_guess(browser, url, names, *timing, threads, **how, warm_up=False)
        version = browser.version
    runtime = f"onnxruntime-web {manifest['runtime']['version']} wasm"
    return {
        "browser": f"Chromium {version} (headless)",
        "backend": f"{runtime}, {main['threads']} thread(s)",
        "threads": main["threads"],
        "cross_origin_isolated": main["isolated"],
        "models": {
            m["name"]: {"kind": m["kind"], "classes": len(m["classes"])} for m in manifest["models"]
        },
        "per_guess": main["per_guess"],
        "after_load": main["after_load"],
        "warmed": main.get("warmed"),
        "without_background_warmup": cold and {k: cold[k] for k in ("per_guess", "after_load")},
        "first_load_ms": _loads(first),
        "first_load_without_service_worker_ms": _loads(plain),
        "baseline": base and {"backend": f"{runtime}, {base['threads']} thread(s)", **base},
    }


def _loads(ms: list) -> dict:
    return {"each": [round(x, 1) for x in ms], "median": round(float(np.median(ms)), 1)}


def load_once(
    browser, url: str, blocked: list | None = None, threads=None, warm_up=True, **context_args
):
    """A fresh context (no cache, no service worker) loading the page: (context, page, ms from
    the first navigation to the models ready, the one-time reload included).

    Every request outside `url` is aborted (and appended to `blocked` when given). `threads`:
    the WebAssembly threads the page asks for (`?threads=N`; None: the page's default);
    `warm_up` False turns the worker's background warm-up off (`?warmup=0`).
    """
    context = browser.new_context(**context_args)

    def route(r):
        if r.request.url.startswith(url):
            r.continue_()
        else:
            if blocked is not None:
                blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    query = [*([f"threads={threads}"] if threads is not None else []),
             *([] if warm_up else ["warmup=0"])]  # fmt: skip
    page.goto(f"{url}?{'&'.join(query)}" if query else url)
    page.wait_for_function("() => !!window.__recognizer", timeout=120_000)
    return context, page, float(page.evaluate("window.__readyMs"))


def sizes(site: Path) -> dict:
    from seqdoodle.export.web import DIST

    def folder(root: Path) -> dict:
        files = {
            p.relative_to(root).as_posix(): p.stat().st_size
            for p in sorted(root.rglob("*"))
            if p.is_file()
        }
        return {"bytes": sum(files.values()), "files": files}  # fmt: skip

    return {"exported_folder": folder(site), "shipped_bundle": folder(DIST)["bytes"]}


def main(argv=None) -> None:
    parser = argument_parser(__file__, __doc__)
    parser.add_argument(
        "--runs", nargs="+", type=Path, default=DEFAULT_RUNS, help="runs to export and measure"
    )
    parser.add_argument("--site", type=Path, help="an exported web folder (skips the export)")
    parser.add_argument("--n", type=int, default=500, help="real raw drawings timed (>= 500)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed guesses first, each")
    parser.add_argument(
        "--settle", type=int, default=300, help="guesses of all models after load, timed apart"
    )
    parser.add_argument(
        "--from-load", action="store_true", help="each row on a fresh page, from its first guess"
    )
    parser.add_argument(
        "--start-after", type=int, default=0, help="--from-load: ms from ready to the first guess"
    )
    parser.add_argument(
        "--compare-without-warmup", action="store_true", help="the rows again without warm-up"
    )
    parser.add_argument("--loads", type=int, default=5, help="first loads timed")
    parser.add_argument(
        "--threads", type=int, help="WebAssembly threads the page asks for (default: its own)"
    )
    parser.add_argument(
        "--baseline-threads", type=int, default=1, help="threads of the comparison (0: none)"
    )
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--out", type=Path, default=RESULTS / "web_bundle.json")
    args = parser.parse_args(argv)

    drawings = raw_drawings(args.shared, args.n)
    with tempfile.TemporaryDirectory() as tmp:
        site = args.site
        if site is None:
            from seqdoodle.export.web import export_web

            site = export_web(args.runs, Path(tmp) / "site").path
        result = measure(
            site,
            drawings,
            args.warmup,
            args.loads,
            args.threads,
            args.baseline_threads,
            args.settle,
            args.from_load,
            args.start_after,
            args.compare_without_warmup,
        )
        result["size"] = sizes(site)
    result["targets_p95_ms"] = TARGET_P95_MS
    settings = settings_of(args, runs=None if args.site else [str(r) for r in args.runs])
    path = write_result(args.out, result, command_line(__file__, argv), settings)
    for what in (result, result["baseline"] or {"per_guess": {}}):
        for label, g in what["per_guess"].items():
            rt = g["round_trip"]
            print(f"{label:>10}, {what['threads']} thread(s): p50 {rt['p50_ms']:.2f} ms, "
                  f"p95 {rt['p95_ms']:.2f} ms ({rt['n']} guesses)")  # fmt: skip
    cold = result["without_background_warmup"] or {"per_guess": {}}
    for label, g in cold["per_guess"].items():
        rt = g["round_trip"]
        print(f"{label:>10}, no background warm-up: p50 {rt['p50_ms']:.2f} ms, "
              f"p95 {rt['p95_ms']:.2f} ms ({rt['n']} guesses)")  # fmt: skip
    for what, d in (("", result), (", no background warm-up", cold)):
        if d.get("after_load"):
            rt = d["after_load"]["round_trip"]
            print(f"the first {rt['n']} guesses of all after load{what}: p50 {rt['p50_ms']:.2f} "
                  f"ms, p95 {rt['p95_ms']:.2f} ms")  # fmt: skip
    if result["warmed"]:
        print(f"background warm-up per page: {result['warmed']}")
    print(f"first load: median {result['first_load_ms']['median']} ms "
          f"({result['first_load_without_service_worker_ms']['median']} ms without the service "
          f"worker); folder "
          f"{result['size']['exported_folder']['bytes'] / 1e6:.1f} MB; wrote {path}")  # fmt: skip


if __name__ == "__main__":
    main()
