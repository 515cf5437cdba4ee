"""WebAssembly threads from a plain static server: the exported page's service worker, in Chromium.

A plain `http.server` sends no COOP/COEP headers, so a page it serves is not cross-origin
isolated and onnxruntime-web runs one thread. The exported folder's service worker (`sw.js`)
re-serves the folder's responses with those headers: the page registers it, reloads once, and
runs the models in min(4, cores) threads (onnxruntime's thread workers load the bundled
`js/worker.js` again, which must leave them alone). Where service workers are refused the page
runs one thread and says so; when the folder is no longer served, the service worker leaves.
"""

from __future__ import annotations

import http.server
import threading
import urllib.request
from pathlib import Path

import pytest

from tests.web.test_browser_bundle import _Handler, browser, chromium, open_page  # noqa: F401

pytestmark = pytest.mark.slow

DRAWING = [[[0, 50, 90], [0, 40, 5]], [[10, 80], [60, 70]]]
ENGINE = """() => ({isolated: crossOriginIsolated, threads: window.__recognizer.threads,
    cores: navigator.hardwareConcurrency, engine: document.getElementById('engine').textContent,
    reason: window.__isolation.reason})"""
RECOGNIZE = "(d) => window.__recognizer.recognize(d, {format: 'raw'})"


@pytest.fixture(scope="module")
def site(chromium, current_runs, tmp_path_factory) -> Path:  # noqa: F811
    """One current run exported with `--format web`."""
    from typer.testing import CliRunner

    from seqdoodle.cli import app

    out = tmp_path_factory.mktemp("web") / "site"
    run = str(next(iter(current_runs.values())))
    result = CliRunner().invoke(app, ["export", run, "--format", "web", "--out", str(out),
                                      "--check", "1"])  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


class _Folder(_Handler):
    """Serves whatever folder `server.folder` names now."""

    def __init__(self, request, address, server):
        super().__init__(request, address, server, directory=str(server.folder))


@pytest.fixture(scope="module")
def server(site):
    """A plain static server of `site` on 127.0.0.1 whose folder can be swapped."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Folder)
    httpd.folder = site
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield httpd, f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_plain_static_server_gets_threads_after_one_reload(browser, server):  # noqa: F811
    _, url = server
    with urllib.request.urlopen(url) as response:  # the server's own headers: none of them
        assert response.headers["Cross-Origin-Embedder-Policy"] is None
        assert response.headers["Cross-Origin-Opener-Policy"] is None
    blocked, seen = [], []
    context, page = open_page(browser[1], url, blocked, seen)
    try:
        first = page.evaluate(ENGINE)
        navigations = seen.count(url)
        page.reload()  # the service worker is in place: no second reload
        page.wait_for_function("() => !!window.__recognizer", timeout=60_000)
        again = page.evaluate(ENGINE)
        answer = page.evaluate(RECOGNIZE, DRAWING)
    finally:
        context.close()
    assert blocked == []
    assert navigations == 2 and seen.count(url) == 3  # the first navigation, the one reload
    for got in (first, again):
        assert got["isolated"] is True, got
        assert got["threads"] == min(4, got["cores"]) and got["threads"] >= 2, got
        assert f"Running in {got['threads']} WebAssembly threads" in got["engine"], got
    assert answer["models"]


def test_without_service_workers_the_page_runs_one_thread(browser, server):  # noqa: F811
    _, url = server
    blocked: list = []
    context, page = open_page(browser[1], url, blocked, service_workers="block")
    try:
        got = page.evaluate(ENGINE)
        answer = page.evaluate(RECOGNIZE, DRAWING)
    finally:
        context.close()
    assert blocked == []
    assert got["isolated"] is False and got["threads"] == 1, got
    assert "Running in one WebAssembly thread" in got["engine"] and got["reason"], got
    assert answer["models"]


def test_the_service_worker_leaves_when_its_folder_is_gone(browser, server, site, tmp_path):  # noqa: F811
    httpd, url = server
    other = tmp_path / "other"
    other.mkdir()
    (other / "index.html").write_text("<!doctype html><title>another site</title>", "utf-8")
    context, page = open_page(browser[1], url, [])
    try:
        assert page.evaluate("crossOriginIsolated") is True
        httpd.folder = other
        page.goto(url)
        page.wait_for_function(
            "async () => (await navigator.serviceWorker.getRegistrations()).length === 0",
            timeout=10_000,
        )
        assert page.title() == "another site"
        assert page.evaluate("crossOriginIsolated") is False
    finally:
        httpd.folder = site
        context.close()
