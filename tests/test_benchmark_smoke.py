"""Smoke tests of `python -m experiments.bench.benchmark`: every code path at a tiny scale.

No timing claims: the figures of a tiny run say nothing about speed, but they must agree with
each other (a rate is the samples over the seconds recorded beside it, a ratio is the quotient
of the figures it names, a target judges the figure it names) and the recorded command must
parse back to the arguments that were used.
"""

from __future__ import annotations

import json
import shlex

import numpy as np
import pytest

from experiments.bench import benchmark
from experiments.bench.benchmark_data import (
    run_prepare,
    write_generated_ndjson,
    write_generated_npy,
)
from experiments.bench.benchmark_report import ratios, table, targets
from experiments.bench.benchmark_sizes import MODELS, Scale
from experiments.common import REPO, command_line

TINY = Scale(
    npy_classes=3,
    npy_per_class=60,
    ndjson_classes=2,
    ndjson_per_class=50,
    stroke_per_class=40,
    parse_n=100,
    render_n=100,
    repeat=1,
    warmup_steps=1,
    train_steps=(("cnn_baseline", 1), ("cnn_default", 1), ("rnn_tutorial", 1), ("rnn_default", 2)),
    train_repeat=2,
    diagnostics=True,
    scale_steps=2,
    run_max_train=64,
    latency_drawings=6,
    latency_repeats=3,
)


def rate_agrees(rate: float, amount: float, seconds: float, seconds_digits: int = 2) -> bool:
    """Whether `rate` (rounded to 0.1) is `amount / seconds` for a `seconds` rounded as recorded."""
    half = 0.5 * 10**-seconds_digits
    low = amount / (seconds + half) - 0.05
    high = amount / (seconds - half) + 0.05 if seconds > half else float("inf")
    return low <= rate <= high


def test_targets_and_ratios_judge_the_figures():
    results = {
        "prepare_345x10k": {"peak_rss_mb": 2000.0},
        "render": {"drawings_per_s": 4000, "drawings_per_s_2_workers": 5200},
        "train_samples_per_s": {
            "cnn_baseline": 3000.0,
            "cnn_default": 1200.0,
            "rnn_tutorial": 100.0,
            "rnn_default": 600.0,
        },
        "latency_ms": {"cnn": {"p50": 5.0, "p95": 19.9}, "rnn": {"p50": 9.0, "p95": 20.0}},
    }
    results["ratios"] = ratios(results)
    assert results["ratios"]["rnn_default_over_tutorial"] == 6.0
    assert results["ratios"]["cnn_default_over_target"] == 0.8
    met = {t["name"]: t["met"] for t in targets(results)}
    assert met == {
        "prepare_peak_rss_mb": False,
        "render_drawings_per_s": True,  # the faster of one process and two workers
        "rnn_default_over_tutorial": True,
        "cnn_default_samples_per_s": False,
        "cnn_latency_p95_ms": True,
        "rnn_latency_p95_ms": False,  # 20 ms is not below 20 ms
    }
    assert {t["met"] for t in targets({})} == {None}
    text = table({**results, "targets": targets(results)})
    assert "NOT met" in text and "19.9" in text


def test_recorded_command_parses_back_to_the_arguments_used(shared_quickdraw, tmp_path):
    argv = ["--quick", "--sections", "render,train", "--shared", str(shared_quickdraw.resolve())]
    argv += ["--workdir", str(tmp_path), "--max-load", "2"]
    command = command_line(benchmark.__file__, argv)
    words = shlex.split(command)
    assert words[:3] == ["python", "-m", "experiments.bench.benchmark"]
    parser = benchmark.build_parser()
    used, recorded = parser.parse_args(argv), parser.parse_args(words[3:])
    for name, value in vars(used).items():
        again = getattr(recorded, name)
        if name == "shared":  # written relative to the checkout when beside it: ../shared/quickdraw
            assert (REPO / again).resolve() == value.resolve()
        else:
            assert again == value, name


def test_generated_npy_files_have_googles_shape_and_dtype(tmp_path, shared_quickdraw):
    classes = ["cat", "dog"]
    nbytes = write_generated_npy(shared_quickdraw, tmp_path, classes, per_class=2500)
    assert nbytes == 2 * 2500 * 784
    rows = np.load(tmp_path / "cat.npy")
    assert rows.shape == (2500, 784) and rows.dtype == np.uint8
    real = np.load(sorted((shared_quickdraw / "bitmap").glob("*.npy"))[0])[:1000]
    real = real.reshape(-1, 28, 28)
    blocks = rows.reshape(-1, 28, 28)
    for start in (0, len(real), 2 * len(real)):  # each block: real rows shifted by <= 2 pixels
        block = blocks[start : start + 500]
        shifts = [
            (dy, dx)
            for dy in range(-2, 3)
            for dx in range(-2, 3)
            if np.array_equal(block, np.roll(real[:500], (dy, dx), axis=(1, 2)))
        ]
        assert shifts, f"block at row {start} is not a small shift of the real rows"


def test_prepare_runs_in_a_child_and_reports_its_memory(tmp_path, shared_quickdraw):
    inputs = tmp_path / "nd"
    classes = write_generated_ndjson(shared_quickdraw, inputs, 2, per_class=30)
    assert len(classes) == 2
    assert all(sum(1 for _ in open(inputs / f"{c}.ndjson")) >= 30 for c in classes)
    result = run_prepare(inputs, tmp_path / "ds", classes, per_class=30)
    assert result["drawings"] == 60 and result["classes"] == 2
    assert result["peak_rss_mb"] >= result["rss_before_mb"] > 0
    assert rate_agrees(result["drawings_per_s"], result["drawings"], result["seconds"])
    assert result["tensorflow_loaded"] is False


@pytest.mark.slow
def test_tiny_benchmark_figures_agree_with_each_other(tmp_path, shared_quickdraw):
    out = tmp_path / "benchmarks.json"
    argv = ["--out", str(out), "--workdir", str(tmp_path)]
    command = command_line(benchmark.__file__, argv)
    results = benchmark.run_benchmark(
        shared_quickdraw, out, TINY, workdir=tmp_path, command=command
    )
    saved = json.loads(out.read_text())
    assert saved["targets"] == results["targets"]
    assert saved["commands"] == {section: command for section in benchmark.SECTIONS}
    assert saved["sections_run"] == list(benchmark.SECTIONS) and saved["complete"] is True

    # Preparing: the drawings asked for, at the rate their seconds give.
    for key, drawings in (("prepare_345x10k", 3 * 60), ("prepare_20x10k_ndjson", 2 * 50)):
        prepared = saved[key]
        assert prepared["drawings"] == drawings
        assert rate_agrees(prepared["drawings_per_s"], drawings, prepared["seconds"])
        assert prepared["peak_rss_mb"] >= prepared["rss_before_mb"] > 0

    # Training: each model's rate is its samples over its best time, and the best of its fits.
    speeds, detail = saved["train_samples_per_s"], saved["train_detail"]
    assert set(speeds) == set(MODELS)
    steps = dict(TINY.train_steps)
    for name, speed in speeds.items():
        d = detail[name]
        assert speed == d["samples_per_s"] and d["steps"] == steps[name]
        assert 0 < d["samples"] <= d["steps"] * d["batch_size"]
        assert rate_agrees(speed, d["samples"], d["seconds"])
        assert len(d["all_samples_per_s"]) == TINY.train_repeat
        assert speed == max(d["all_samples_per_s"])
        assert d["samples_per_cpu_s"] > 0 and d["model_only_samples_per_s"] > 0
    assert saved["ratios"]["rnn_default_over_tutorial"] == round(
        speeds["rnn_default"] / speeds["rnn_tutorial"], 2
    )
    judged = {t["name"]: t for t in saved["targets"]}
    assert judged["cnn_default_samples_per_s"]["value"] == speeds["cnn_default"]
    assert judged["cnn_default_samples_per_s"]["met"] == (speeds["cnn_default"] >= 1500)

    # Inference: p95 at least p50; throughput is the inverse of the batched time per drawing.
    for kind in ("cnn", "rnn"):
        latency = saved["latency_ms"][kind]
        assert latency["p95"] >= latency["p50"] > 0
        assert judged[f"{kind}_latency_p95_ms"]["value"] == latency["p95"]
        per_drawing = latency["batched_per_drawing"]
        throughput = saved["inference_drawings_per_s"][kind]
        fastest = 1000 / max(per_drawing - 5e-4, 1e-9) + 1
        assert 1000 / (per_drawing + 5e-4) - 1 <= throughput <= fastest

    # Full-scale projection: an epoch is its training pass plus its validation pass.
    scale = saved["full_scale_detail"]
    for kind in ("cnn", "rnn"):
        d = scale[kind]
        minutes = saved["full_scale_epoch_min"][kind]
        assert minutes == pytest.approx(d["train_pass_min"] + d["val_pass_min"], abs=0.15)
        train_min = scale["train_drawings"] / d["train_samples_per_s"] / 60
        assert d["train_pass_min"] == pytest.approx(train_min, abs=0.051)

    # Reading and rendering rates, and the machine they ran on.
    assert saved["ndjson_parse"]["drawings"] == TINY.parse_n
    assert saved["render"]["drawings"] == TINY.render_n
    assert judged["render_drawings_per_s"]["value"] == max(
        saved["render"]["drawings_per_s"], saved["render"]["drawings_per_s_2_workers"]
    )
    for key in ("cpu_model", "cores", "ram_gb", "os", "python", "numpy", "tensorflow", "keras"):
        assert saved["machine"][key], key
    assert not any(tmp_path.glob("seqdoodle-bench-*")), "scratch folder left behind"

    # A rerun of one section merges into the file, keeps the other figures and commands.
    again = command_line(benchmark.__file__, [*argv, "--sections", "render"])
    benchmark.run_benchmark(
        shared_quickdraw, out, TINY, sections=["render"], workdir=tmp_path, command=again
    )
    merged = json.loads(out.read_text())
    assert merged["sections_run"] == ["render"]
    assert merged["train_samples_per_s"] == saved["train_samples_per_s"]
    assert merged["commands"] == {**saved["commands"], "render": again}
    with pytest.raises(ValueError, match="unknown section"):
        benchmark.run_benchmark(shared_quickdraw, out, TINY, sections=["nope"])
