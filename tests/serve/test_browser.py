"""End to end: `seqdoodle serve` as a real process, its page driven in headless Chromium.

A real raw drawing is replayed as pointer moves (mouse down, moves with the drawing's timing sped
up, mouse up, per stroke); the page must send Google's raw format with millisecond times and show
each model's top class from the server's answer. It serves the trained current runs. Where
Playwright or a Chromium is missing it skips, saying why, except under CI (`CI=true`, or
`SEQDOODLE_REQUIRE_REAL_DATA=1` as `.ci/run` sets), where it fails: a CI run that cannot drive the
page must not pass as green. `SEQDOODLE_SERVE_RUNS=run1:run2` serves other runs and
`SEQDOODLE_SCREENSHOT=path.png` keeps a copy of the screenshot (the README's is made that way).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import real_data_required
from tests.serve.conftest import REPO_ROOT

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str | None:
    """A Chromium to drive: $SEQDOODLE_CHROMIUM, the system's, or Playwright's own."""
    candidates = [os.environ.get("SEQDOODLE_CHROMIUM")]
    candidates += [shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")]
    for path in candidates:
        if path and Path(path).is_file():
            return path
    return None


def browser_required(environ=os.environ) -> bool:
    """Whether this run must drive the page: under CI (`CI` set to 1/true/yes/on) or wherever the
    real data is required (`SEQDOODLE_REQUIRE_REAL_DATA=1`)."""
    ci = environ.get("CI", "").strip().lower() in ("1", "true", "yes", "on")
    return ci or real_data_required(environ)


def browser_missing(reason: str, environ=os.environ):
    """Skip with `reason`, or fail with it where the browser test is required."""
    if browser_required(environ):
        pytest.fail(f"{reason}; CI requires the browser test to run", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> tuple:
    """`(playwright.sync_api, Chromium executable)`, checked before any server starts."""
    try:
        import playwright.sync_api as sync_api
    except ImportError:
        browser_missing("Playwright's Python package is not installed")
    executable = chromium_path()
    if executable is None:
        browser_missing("no Chromium found (install Debian's chromium or set SEQDOODLE_CHROMIUM)")
    return sync_api, executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(chromium, run_dirs, tmp_path_factory):
    """`python -m seqdoodle serve CNN RNN --port P` in its own process; yields (url, run dirs)."""
    override = os.environ.get("SEQDOODLE_SERVE_RUNS")
    runs = [Path(p) for p in override.split(":")] if override else run_dirs
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    cmd = [sys.executable, "-m", "seqdoodle", "serve", *map(str, runs), "--port", str(port)]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"seqdoodle serve exited: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url + "health", timeout=2) as r:
                    if json.load(r)["status"] == "ok":
                        break
            except OSError:
                if time.time() > deadline:
                    pytest.fail("seqdoodle serve did not answer /health within 180 s")
                time.sleep(0.3)
        yield url, runs
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def replay_drawing(shared: Path, classes) -> list:
    """A real raw drawing (2+ strokes) of one of `classes` if ../shared has one, else a cat."""
    for cls in [*classes, "cat"]:
        path = shared / "raw" / f"{cls}.ndjson"
        if path.is_file():
            with open(path, encoding="utf-8") as f:
                for line in f:
                    drawing = json.loads(line)["drawing"]
                    if 2 <= len(drawing) <= 12:
                        return drawing
    pytest.fail(f"no raw drawings under {shared / 'raw'}")


def draw(page, strokes, speedup: float = 4.0) -> None:
    """Replay raw strokes as mouse moves, scaled into the canvas, timing sped up."""
    box = page.locator("#pad").bounding_box()
    xs = [x for s in strokes for x in s[0]]
    ys = [y for s in strokes for y in s[1]]
    low_x, low_y = min(xs), min(ys)
    side = max(max(xs) - low_x, max(ys) - low_y, 1.0)
    scale = 0.8 * min(box["width"], box["height"]) / side

    def at(x, y):
        return box["x"] + 0.1 * box["width"] + (x - low_x) * scale, box["y"] + 0.1 * box[
            "height"
        ] + (y - low_y) * scale

    for stroke in strokes:
        times = stroke[2] if len(stroke) > 2 else [16 * i for i in range(len(stroke[0]))]
        page.mouse.move(*at(stroke[0][0], stroke[1][0]))
        page.mouse.down()
        for i in range(1, len(stroke[0])):
            wait = min(40.0, max(0.0, (times[i] - times[i - 1]) / speedup))
            if wait >= 1:
                page.wait_for_timeout(wait)
            page.mouse.move(*at(stroke[0][i], stroke[1][i]))
        page.mouse.up()
        page.wait_for_timeout(60)


def settled(page, timeout: float = 20_000) -> None:
    """Wait until every request the page sent has been answered and shown."""
    page.wait_for_function("() => inFlight === 0 && sent > 0 && shown === sent", timeout=timeout)


def test_a_missing_browser_fails_under_ci_and_skips_elsewhere():
    reason = "no Chromium found"
    for environ in ({"CI": "true"}, {"SEQDOODLE_REQUIRE_REAL_DATA": "1"}):
        with pytest.raises(pytest.fail.Exception, match="CI requires the browser test"):
            browser_missing(reason, environ)
    for environ in ({}, {"CI": "false"}, {"CI": ""}):
        with pytest.raises(pytest.skip.Exception, match=reason):
            browser_missing(reason, environ)


def test_page_draws_asks_and_shows_each_models_top_class(
    chromium, server, shared_quickdraw, tmp_path
):
    sync_api, executable = chromium
    url, runs = server
    classes = json.loads((Path(runs[0]) / "config.json").read_text())["classes"]
    strokes = replay_drawing(shared_quickdraw, classes)

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 720})
            sent: list = []
            page.on("request", lambda r: sent.append(r) if r.url.endswith("/predict") else None)
            page.goto(url)
            page.wait_for_function(
                "() => document.getElementById('status').textContent.startsWith('Ready')"
            )
            draw(page, strokes)
            settled(page)

            last = sent[-1]
            body = json.loads(last.post_data)
            assert body["format"] == "raw" and len(body["drawing"]) == len(strokes)
            for stroke in body["drawing"]:
                xs, ys, ts = stroke
                assert len(xs) == len(ys) == len(ts) >= 1
                assert all(isinstance(t, int) for t in ts) and ts == sorted(ts)
            assert body["drawing"][-1][2][-1] > 0  # times in ms from the first point
            assert len(sent) > len(strokes)  # also asked while strokes were drawn

            answer = last.response().json()
            assert set(answer["models"]) == {*(Path(r).name for r in runs), "ensemble"}
            for name, model in answer["models"].items():
                card = page.locator(f'[data-model="{name}"]')
                assert (
                    card.locator('.row[data-rank="1"] .cls').inner_text()
                    == (model["top"][0]["class"])
                )
                assert card.locator(".row").count() == 3
            if "bitmap" in answer:  # the page shows the bitmap the server sent
                src = page.locator("#bitmap").get_attribute("src")
                assert src == "data:image/png;base64," + answer["bitmap"]

            shot = tmp_path / "serve-page.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            if os.environ.get("SEQDOODLE_SCREENSHOT"):
                shutil.copyfile(shot, os.environ["SEQDOODLE_SCREENSHOT"])

            n_sent = len(sent)
            page.click("#undo")
            settled(page)
            assert len(sent) == n_sent + 1
            assert len(json.loads(sent[-1].post_data)["drawing"]) == len(strokes) - 1
            page.click("#clear")
            assert page.locator("[data-model]").count() == 0

            phone = browser.new_page(viewport={"width": 390, "height": 844}, has_touch=True)
            phone.goto(url)
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 390  # no sideways scrolling on a phone
        finally:
            browser.close()
