"""`seqdoodle export RUN... --format web`: the folder, its manifest, refusals, and the shipped
JavaScript bundle (`seqdoodle/web/dist`) against its sources in `web/`.

The bundle check has two levels: without node, the sha256 of the sources recorded in
`dist/BUILD.json` must equal the sources' digest now and every file must have its recorded
sha256 (a source changed without `npm run build` fails here); with node and `web/node_modules`
(`npm ci`), `node build.mjs --check` rebuilds into a temporary folder and compares byte for byte.
Under CI a missing node or `web/node_modules` fails rather than skips. The page itself runs in
Chromium in `tests/web/test_browser_bundle.py`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seqdoodle.cli import app
from tests.serve.test_browser import browser_required

REPO = Path(__file__).resolve().parents[1]
WEB = REPO / "web"
DIST = REPO / "seqdoodle" / "web" / "dist"
OLD_RUN = REPO / "tests" / "fixtures" / "runs_fc5b9ec" / "cnn"  # 12 synthetic classes


def sources_digest(root: Path, rels) -> str:
    """As `digest` in web/build.mjs: sha256 over `path NUL sha256(file) LF`, sorted by path."""
    files = []
    for rel in rels:
        path = root / rel
        found = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        files += [p.relative_to(root).as_posix() for p in found]
    lines = "".join(
        f"{rel}\0{hashlib.sha256((root / rel).read_bytes()).hexdigest()}\n" for rel in sorted(files)
    )
    return hashlib.sha256(lines.encode()).hexdigest()


def test_the_shipped_bundle_was_built_from_the_sources():
    info = json.loads((DIST / "BUILD.json").read_text("utf-8"))
    assert info["sources_sha256"] == sources_digest(WEB, info["sources"]), (
        "web/ changed since seqdoodle/web/dist was built; run `npm run build` in web/"
    )
    shipped = sorted(p.relative_to(DIST).as_posix() for p in DIST.rglob("*") if p.is_file())
    assert shipped == sorted([*info["files"], "BUILD.json"])
    for rel, digest in info["files"].items():
        assert hashlib.sha256((DIST / rel).read_bytes()).hexdigest() == digest, rel
    lock = json.loads((WEB / "package-lock.json").read_text("utf-8"))["packages"]
    assert lock["node_modules/onnxruntime-web"]["version"] == info["onnxruntime_web"]
    assert lock["node_modules/esbuild"]["version"] == info["esbuild"]
    assert info["wasm"] in info["files"]


@pytest.mark.slow
def test_a_fresh_build_gives_the_shipped_bundle():
    node = shutil.which("node")
    if node is None or not (WEB / "node_modules" / "esbuild").is_dir():
        reason = "node or web/node_modules missing (run `npm ci` in web/)"
        if browser_required():
            pytest.fail(f"{reason}; CI requires the build check", pytrace=False)
        pytest.skip(reason)
    done = subprocess.run(
        [node, "build.mjs", "--check"], cwd=WEB, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr + done.stdout


@pytest.fixture(scope="module")
def exported(current_runs, tmp_path_factory):
    """The cnn and stroke current runs exported as one web folder by the CLI: (folder, output)."""
    out = tmp_path_factory.mktemp("web") / "site"
    runs = [str(p) for p in list(current_runs.values())[:2]]
    result = CliRunner().invoke(
        app, ["export", *runs, "--format", "web", "--out", str(out), "--check", "4"]
    )
    assert result.exit_code == 0, result.output
    return out, result.output, runs


@pytest.mark.slow
def test_the_folder_holds_page_bundle_models_and_manifest(exported):
    from seqdoodle import __version__
    from seqdoodle.runs.folder import load_run

    out, output, runs = exported
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    names = [m["name"] for m in manifest["models"]]
    assert files == sorted(
        [
            "BUILD.json", "NOTICE.md", "index.html", "manifest.json",
            "js/ort-wasm-simd-threaded.wasm", "js/page.js", "js/recognizer.js", "js/worker.js",
            "sw.js", *(f"models/{n}.onnx" for n in names),
        ]
    )  # fmt: skip
    size = sum((out / f).stat().st_size for f in files)
    assert f"{len(files)} files, {size / 1e6:.1f} MB" in output
    assert manifest["format"] == "seqdoodle-web" and manifest["seqdoodle_version"] == __version__
    assert manifest["runtime"]["wasm"] == "js/ort-wasm-simd-threaded.wasm"
    assert manifest["ensemble"] == {"pool": "log", "weights": {n: 0.5 for n in names}}
    for model, path in zip(manifest["models"], runs):
        run = load_run(path)
        assert model["kind"] == run.kind and model["classes"] == list(run.classes)
        onnx = out / model["file"]
        assert model["sha256"] == hashlib.sha256(onnx.read_bytes()).hexdigest()
        assert model["bytes"] == onnx.stat().st_size
        assert model["input"]["shape"][1:] == run.input_spec["shape"][1:]
        assert model["preprocess"]["type"] == run.input_config["type"]
        assert model["preprocess"]["simplify_epsilon"] == 2.0
        assert model["check"]["top1_agreement"] == 1.0
    assert manifest["classes"] == manifest["models"][0]["classes"]
    assert not list(out.parent.glob(".site.export-*"))  # no temporary folder left


def _fails(args) -> str:
    result = CliRunner().invoke(app, ["export", *args])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def test_bad_inputs_fail_in_one_line(current_runs, tmp_path):
    cnn = str(next(iter(current_runs.values())))
    out = str(tmp_path / "site")
    assert "nothere" in _fails([str(tmp_path / "nothere"), "--format", "web", "--out", out])
    line = _fails([cnn, str(OLD_RUN), "--format", "web", "--out", out])
    assert "different classes" in line
    line = _fails([cnn, cnn, "--format", "onnx", "--out", str(tmp_path / "a.onnx")])
    assert "several runs go together with --format web" in line
    assert not (tmp_path / "site").exists()


def test_an_unbuilt_bundle_is_named(current_runs, tmp_path):
    from seqdoodle.errors import MissingFileError
    from seqdoodle.export.web import export_web

    with pytest.raises(MissingFileError, match="npm run build"):
        export_web(next(iter(current_runs.values())), tmp_path / "site", dist=tmp_path)
