"""End to end: `seqdoodle export RUN... --format web` served by a plain static server, in Chromium.

The trained current runs (one of each kind) are exported as one web folder, served by Python's
`http.server` on 127.0.0.1; every request to anywhere else is blocked (and must not happen). In
headless Chromium (Debian's), the models run in onnxruntime-web (wasm) in the page's worker and
must agree with `Run.predict_proba` (what `seqdoodle predict` prints) and with
`seqdoodle.evaluation.ensembles.pool_probs` for the ensemble:

- `recognize()` called directly on real raw drawings: the same top class, probabilities within
  `PROB_TOL`;
- real raw drawings replayed as pointer moves on a desktop viewport (mouse) and on an emulated
  touch phone (touch events through CDP): the guesses the page shows are those of the drawing it
  recorded, compared the same way.

The server sends no COOP/COEP headers: the bundle's service worker adds them and the page runs
the models in WebAssembly threads, so the answers compared are the threaded ones
(`tests/web/test_browser_isolation.py` checks the isolation itself).

Under CI (or `SEQDOODLE_REQUIRE_REAL_DATA=1`) a missing Playwright or Chromium fails the test.
"""

from __future__ import annotations

import functools
import http.server
import json
import threading
from pathlib import Path

import numpy as np
import pytest

from tests.serve.test_browser import CHROMIUM_ARGS, browser_missing, chromium_path

pytestmark = pytest.mark.slow

PROB_TOL = 1e-3
N_DIRECT = 50  # drawings recognised through recognize() in the page
N_REPLAYED = 3  # drawings replayed as pointer moves, per device
PHONE = "Pixel 5"


@pytest.fixture(scope="module")
def chromium():
    try:
        import playwright.sync_api as sync_api
    except ImportError:
        browser_missing("Playwright's Python package is not installed")
    executable = chromium_path()
    if executable is None:
        browser_missing("no Chromium found (install Debian's chromium or set SEQDOODLE_CHROMIUM)")
    return sync_api, executable


@pytest.fixture(scope="module")
def site(chromium, current_runs, tmp_path_factory) -> Path:
    """The current runs exported with `--format web` (the CLI, as a user would)."""
    from typer.testing import CliRunner

    from seqdoodle.cli import app

    out = tmp_path_factory.mktemp("web") / "site"
    runs = [str(p) for p in current_runs.values()]
    result = CliRunner().invoke(app, ["export", *runs, "--format", "web", "--out", str(out),
                                      "--check", "4"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "MB" in result.output and "ensemble" in result.output
    return out


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
        ".mjs": "text/javascript",
    }

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture(scope="module")
def static_url(site):
    """`http://127.0.0.1:PORT/` serving the folder from a thread."""
    handler = functools.partial(_Handler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser(chromium):
    sync_api, executable = chromium
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield p, browser
        finally:
            browser.close()


def open_page(
    browser, url: str, blocked: list, seen: list | None = None, query: str = "", **context_args
):
    """A page on `url` (and `query`) in a fresh context where every other request is aborted
    (and recorded); `seen` gets every request's URL."""
    context = browser.new_context(**context_args)

    def route(r):
        if seen is not None:
            seen.append(r.request.url)
        if r.request.url.startswith(url):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors: list = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url + query)
    try:
        page.wait_for_function("() => !!window.__recognizer", timeout=60_000)
    except Exception:
        status = page.locator("#status").inner_text()
        pytest.fail(f"the page did not load its models: {status} {errors}", pytrace=False)
    return context, page


def real_raw_drawings(shared: Path, classes, per_class: int, skip: int = 0) -> list:
    """`(word, strokes)` of real raw drawings of `classes`, `per_class` of each, after `skip`."""
    out = []
    for cls in classes:
        with open(shared / "raw" / f"{cls}.ndjson", encoding="utf-8") as f:
            rows = [json.loads(line) for _, line in zip(range(skip + per_class), f)][skip:]
        out += [(cls, r["drawing"]) for r in rows]
    return out


@functools.cache
def _loaded(path: str):
    from seqdoodle.runs.folder import load_run

    return load_run(path)


def python_probs(site: Path, drawings) -> dict[str, np.ndarray]:
    """Each model's and the ensemble's probabilities, in the manifest's class order."""
    from seqdoodle.datasets.records import Drawing
    from seqdoodle.evaluation.ensembles import pool_probs

    manifest = json.loads((site / "manifest.json").read_text("utf-8"))
    records = [Drawing("?", strokes=d, fmt="raw") for d in drawings]
    out = {}
    for model in manifest["models"]:
        run = _loaded(model["run"])
        probs = run.predict_proba(records)
        out[model["name"]] = probs[:, [run.classes.index(c) for c in manifest["classes"]]]
    if manifest["ensemble"]:
        names = [m["name"] for m in manifest["models"]]
        weights = [manifest["ensemble"]["weights"][n] for n in names]
        out["ensemble"] = pool_probs([out[n] for n in names], weights, manifest["ensemble"]["pool"])
    return out


def compare(answers: list, reference: dict, classes: list) -> dict:
    """Top-1 agreement and largest probability difference of the page's answers, per model."""
    stats = {}
    for name, probs in reference.items():
        page = np.array([a["models"][name]["probabilities"] for a in answers])
        top = [a["models"][name]["top"][0]["class"] for a in answers]
        stats[name] = {
            "top1": float(np.mean([t == classes[i] for t, i in zip(top, probs.argmax(1))])),
            "max_diff": float(np.abs(page - probs).max()),
        }
    return stats


def test_recognize_in_chromium_matches_predict(browser, static_url, site, shared_quickdraw):
    _, chromium_browser = browser
    manifest = json.loads((site / "manifest.json").read_text("utf-8"))
    classes = manifest["classes"]
    per_class = -(-N_DIRECT // len(classes))
    drawings = [d for _, d in real_raw_drawings(shared_quickdraw, classes, per_class)]
    blocked: list = []
    context, page = open_page(chromium_browser, static_url, blocked)
    try:
        threads = page.evaluate("[window.__recognizer.threads, navigator.hardwareConcurrency]")
        assert threads[0] == min(4, threads[1]), threads
        answers = page.evaluate(
            """async (drawings) => {
                const out = [];
                for (const d of drawings) {
                    out.push(await window.__recognizer.recognize(
                        d, {format: 'raw', topK: 3, probabilities: true}));
                }
                return out;
            }""",
            drawings,
        )
    finally:
        context.close()
    assert blocked == []
    assert set(answers[0]["models"]) == {*(m["name"] for m in manifest["models"]), "ensemble"}
    stats = compare(answers, python_probs(site, drawings), classes)
    for name, s in stats.items():
        assert s["top1"] == 1.0 and s["max_diff"] <= PROB_TOL, (name, s)


def test_the_worker_warms_up_after_ready_and_answers_meanwhile(browser, static_url, site):
    """Once ready, the worker runs warm-up inferences in the background for a bounded time;
    a guess sent meanwhile is answered (between two of them), and `?warmup=0` turns it off."""
    _, chromium_browser = browser
    drawing = [[[10.5, 60.25, 120.0, 40.0], [20.0, 90.5, 30.0, 15.0], [0, 40, 90, 130]]]
    blocked: list = []
    context, page = open_page(chromium_browser, static_url, blocked)
    try:
        during = page.evaluate(
            """async (d) => [window.__warmed === undefined,
                await window.__recognizer.recognize(d, {format: 'raw'})]""",
            drawing,
        )
        page.wait_for_function("() => window.__warmed !== undefined", timeout=30_000)
        warmed = page.evaluate("window.__warmed")
        after = page.evaluate("(d) => window.__recognizer.recognize(d, {format: 'raw'})", drawing)
    finally:
        context.close()
    assert during[0], "the warm-up ended before the first guess"
    n_models = len(json.loads((site / "manifest.json").read_text("utf-8"))["models"])
    assert warmed["runs"] >= n_models and warmed["ms"] < 10_000, warmed
    for name in during[1]["models"]:
        top = [[t["class"] for t in a["models"][name]["top"]] for a in (during[1], after)]
        assert top[0] == top[1], (name, top)
    context, page = open_page(chromium_browser, static_url, blocked, query="?warmup=0")
    try:
        page.wait_for_function("() => window.__warmed !== undefined", timeout=10_000)
        assert page.evaluate("window.__warmed") is None
    finally:
        context.close()
    assert blocked == []


def mouse_draw(page, strokes) -> None:
    box, at = _frame(page, strokes)
    for stroke in strokes:
        page.mouse.move(*at(stroke[0][0], stroke[1][0]))
        page.mouse.down()
        for x, y in zip(stroke[0][1:], stroke[1][1:]):
            page.mouse.move(*at(x, y))
        page.mouse.up()


def touch_draw(page, strokes) -> None:
    """Touch strokes through CDP (`Input.dispatchTouchEvent`): pointer events of type touch."""
    cdp = page.context.new_cdp_session(page)
    box, at = _frame(page, strokes)
    for stroke in strokes:
        points = [at(x, y) for x, y in zip(stroke[0], stroke[1])]
        kinds = ["touchStart"] + ["touchMove"] * (len(points) - 1)
        for kind, (x, y) in zip(kinds, points):
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def _frame(page, strokes):
    page.locator("#pad").scroll_into_view_if_needed()
    box = page.locator("#pad").bounding_box()
    xs = [x for s in strokes for x in s[0]]
    ys = [y for s in strokes for y in s[1]]
    low_x, low_y = min(xs), min(ys)
    side = max(max(xs) - low_x, max(ys) - low_y, 1.0)
    scale = 0.8 * min(box["width"], box["height"]) / side

    def at(x, y):
        return (box["x"] + 0.1 * box["width"] + (x - low_x) * scale,
                box["y"] + 0.1 * box["height"] + (y - low_y) * scale)  # fmt: skip

    return box, at


def settled(page) -> None:
    page.wait_for_function(
        "() => { const s = window.__page; return s.sent > 0 && s.inFlight === 0"
        " && s.shown === s.sent; }",
        timeout=30_000,
    )


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_drawing_on_the_page_shows_the_models_guesses(
    browser, static_url, site, shared_quickdraw, device
):
    p, chromium_browser = browser
    manifest = json.loads((site / "manifest.json").read_text("utf-8"))
    classes = manifest["classes"]
    if device == "desktop":
        args, draw = {"viewport": {"width": 1000, "height": 720}}, mouse_draw
    else:
        args, draw = dict(p.devices[PHONE]), touch_draw
        assert args["has_touch"] and args["is_mobile"]
    picked = [
        (w, d)
        for w, d in real_raw_drawings(shared_quickdraw, classes, 2, skip=12)
        if 1 <= len(d) <= 12
    ][: N_REPLAYED if device == "desktop" else 2]
    blocked: list = []
    context, page = open_page(chromium_browser, static_url, blocked, **args)
    try:
        if device == "phone":
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= args["viewport"]["width"]  # no sideways scrolling
        recorded, shown, answers = [], [], []
        for _, strokes in picked:
            page.click("#clear")
            draw(page, strokes)
            settled(page)
            drawing = page.evaluate("window.__lastDrawing")
            assert len(drawing) == len(strokes)
            assert all(len(s) == 3 and len(s[0]) == len(s[2]) for s in drawing)
            recorded.append(drawing)
            shown.append(
                {
                    name: page.locator(
                        f'[data-model="{name}"] .row[data-rank="1"] .cls'
                    ).inner_text()
                    for name in [*(m["name"] for m in manifest["models"]), "ensemble"]
                }
            )
            answers.append(
                page.evaluate(
                    "(d) => window.__recognizer.recognize(d, {format: 'raw', probabilities: true})",
                    drawing,
                )
            )
        page.screenshot(path=str(site.parent / f"page-{device}.png"), full_page=True)
    finally:
        context.close()
    assert blocked == []
    reference = python_probs(site, recorded)
    for i, answer in enumerate(answers):
        for name in reference:
            assert shown[i][name] == answer["models"][name]["top"][0]["class"]
    stats = compare(answers, reference, classes)
    for name, s in stats.items():
        assert s["top1"] == 1.0 and s["max_diff"] <= PROB_TOL, (device, name, s)


def test_the_page_says_plainly_when_webassembly_is_missing(browser, static_url):
    _, chromium_browser = browser
    context = chromium_browser.new_context()
    context.add_init_script("delete globalThis.WebAssembly;")
    page = context.new_page()
    try:
        page.goto(static_url)
        page.wait_for_function("() => document.querySelector('#results .card.error') !== null")
        assert "cannot run WebAssembly" in page.locator("#results").inner_text()
    finally:
        context.close()
