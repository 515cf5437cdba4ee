"""The benchmark's sections: each method measures one part and returns its figures."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from experiments.bench import readers
from experiments.bench.benchmark_data import BenchmarkData, raw_drawings, simplified_lines
from experiments.bench.benchmark_sizes import CNN_VARIANTS, FULL_SCALE, HOBBY, MODELS
from experiments.bench.benchmark_timing import (
    evaluate_rate,
    fit_rate,
    model_only_rate,
    new_model,
    pipeline_rate,
)
from experiments.bench.render import best_rate, load_drawings
from experiments.common import load_average


class Benchmark(BenchmarkData):
    """Runs the sections at one `Scale`, keeping the datasets they share in a scratch folder.

    Args:
        shared: Path. The real data folder (`../shared/quickdraw`).
        work: Path. A scratch folder; everything written there is removed by `close()`.
        scale: `Scale`. Sizes. Defaults to `FULL`.
        say: callable. Progress lines. Defaults to printing on stderr.

    Example:
    >>> bench = Benchmark(SHARED, WORK / "b", QUICK)  # doctest: +SKIP
    >>> bench.render()["render"]["drawings_per_s"] > 0  # doctest: +SKIP
    True
    """

    # -- reading and encoding

    def parse(self) -> dict:
        """ndjson drawings parsed per second by `read_drawings`, in a fresh process."""
        n = self.scale.parse_n
        lines = simplified_lines(self.shared / "simplified" / "monkey.ndjson")
        path = self.work / "parse" / "monkey.ndjson"
        path.parent.mkdir(parents=True, exist_ok=True)
        mean_bytes = sum(map(len, lines)) / len(lines)
        readers.write_ndjson(path, lines, int(n * mean_bytes * 1.05))
        result = readers.measure(path, n, runs=self.scale.repeat)
        path.unlink()
        return {
            "drawings": result["drawings_read"],
            "drawings_per_s": result["drawings_per_s"],
            "peak_rss_mb": result["peak_rss_mib"],
            "file_mb": result["file_mb"],
        }

    def render(self) -> dict:
        """`render_bitmaps` and stroke-3 encoders on real simplified drawings, best of repeats."""
        from seqdoodle.kinds.inputs import StrokeFeatures, stroke_batch
        from seqdoodle.strokes.points import strokes_to_points
        from seqdoodle.strokes.raster import cairo_available, render_bitmaps
        from seqdoodle.strokes.stroke3 import drawing_to_stroke3, points_to_stroke3

        drawings = load_drawings(self.shared, self.scale.render_n)
        points = [strokes_to_points(d) for d in drawings]
        repeat = self.scale.repeat
        features = StrokeFeatures()

        def batches(items):
            for i in range(0, len(items), 128):
                stroke_batch(items[i : i + 128], features)

        render = {
            "drawings": len(drawings),
            "points_per_drawing": round(float(np.mean([len(p) for p in points])), 1),
            "cairo": cairo_available(),
            "drawings_per_s": round(best_rate(render_bitmaps, drawings, repeat)),
            "drawings_per_s_2_workers": round(
                best_rate(lambda d: render_bitmaps(d, workers=2), drawings, repeat)
            ),
        }
        stroke3 = {
            "drawings": len(drawings),
            "drawing_to_stroke3_per_s": round(
                best_rate(lambda d: [drawing_to_stroke3(s) for s in d], drawings, 1)
            ),
            "points_to_stroke3_per_s": round(
                best_rate(lambda p: [points_to_stroke3(x) for x in p], points, 1)
            ),
            "stroke_batch_drawings_per_s": round(best_rate(batches, points, repeat)),
        }
        return {"render": render, "stroke3": stroke3}

    # -- preparing

    def prepare(self) -> dict:
        """Prepare (and measure) the two generated datasets."""
        self.dataset("bitmaps345")
        self.dataset("strokes20")
        return {k: self.results[k] for k in ("prepare_345x10k", "prepare_20x10k_ndjson")}

    # -- training speed

    def train(self) -> dict:
        """Training samples/s of the four models through the real input pipeline."""
        ds = self.dataset("strokes8")
        steps = dict(self.scale.train_steps)
        detail, pipeline = {}, {}
        for name, (kind, arch) in MODELS.items():
            s = self.scale
            self.say(f"train {name}: {steps[name]} steps after {s.warmup_steps} warm-up")
            model = new_model(kind, arch, len(ds.classes), self.stroke_features())
            result = fit_rate(
                model, self.batches(kind, ds), s.warmup_steps, steps[name], s.train_repeat
            )
            if s.diagnostics:
                if kind not in pipeline:
                    pipeline[kind] = pipeline_rate(self.batches(kind, ds), steps[name] + 2)
                result.update(pipeline[kind])
                result["model_only_samples_per_s"] = model_only_rate(
                    model, self.batches(kind, ds), steps[name]
                )
            detail[name] = {**result, "load_average": load_average()}
        speeds = {name: d["samples_per_s"] for name, d in detail.items()}
        return {
            "train_samples_per_s": speeds,
            "train_detail": {
                "dataset": f"real 8-class stroke set, {len(ds)} drawings",
                "classes": ds.classes,
                **detail,
            },
        }

    # -- inference

    def inference(self) -> dict:
        """Latency (batch 1) and throughput of reloaded run folders, from raw strokes."""
        from seqdoodle.kinds.inputs import drawing_inputs
        from seqdoodle.runs.evaluate import measure_latency
        from seqdoodle.runs.folder import load_run
        from seqdoodle.training import train

        ds = self.dataset("strokes8")
        drawings = raw_drawings(self.shared, self.scale.latency_drawings)
        latency, throughput, detail = {}, {}, {}
        for kind in ("cnn", "rnn"):
            out = self.work / "runs" / kind
            self.say(f"train a brief {kind} run to load ({self.scale.run_max_train} drawings)")
            train(
                kind,
                ds.path,
                out,
                epochs=1,
                max_train=self.scale.run_max_train,
                progress=False,
                time_limit=None,
            )
            run = load_run(out)
            self.say(f"latency {kind}: {self.scale.latency_repeats} calls of one raw drawing")
            timing = measure_latency(
                lambda d, run=run: run.predict_proba(d),
                drawings,
                batch_size=256,
                repeats=self.scale.latency_repeats,
                warmup=5,
            )
            prep = measure_latency(
                lambda d, run=run: drawing_inputs(d, run.kind, run.input_config),
                drawings,
                batch_size=256,
                repeats=self.scale.latency_repeats,
                warmup=2,
            )
            latency[kind] = {
                "p50": round(timing["batch1_p50"], 2),
                "p95": round(timing["batch1_p95"], 2),
                "batched_per_drawing": round(timing["batched_per_drawing"], 3),
            }
            throughput[kind] = round(1000 / timing["batched_per_drawing"])
            detail[kind] = {
                "arch": run.arch,
                "params": run.n_params,
                "preprocess_only_p50_ms": round(prep["batch1_p50"], 2),
                "preprocess_only_p95_ms": round(prep["batch1_p95"], 2),
                "preprocess_only_batched_per_drawing_ms": round(prep["batched_per_drawing"], 3),
                "load_average": load_average(),
            }
        return {
            "latency_ms": latency,
            "inference_drawings_per_s": throughput,
            "inference_detail": {
                "drawings": len(drawings),
                "input": "raw strokes from ../shared/quickdraw/raw (simplified in the call)",
                "batch_size": 256,
                **detail,
            },
        }

    # -- where the time goes (opt-in)

    def profile(self) -> dict:
        """CNN variants' training cost per CPU-second, and a cProfile of the stroke pipeline."""
        import cProfile
        import pstats

        import keras

        from seqdoodle.models.encoders import BitmapEncoder, add_classifier_head

        ds = self.dataset("strokes8")
        x, y = next(self.batches("cnn", ds).epoch(0))
        repeat, steps = max(2, self.scale.repeat), max(2, self.scale.scale_steps // 4)
        variants = {}
        for name, overrides in CNN_VARIANTS.items():
            self.say(f"profile cnn variant {name}")
            keras.utils.set_random_seed(0)
            overrides = dict(overrides)
            inputs = keras.Input((28, 28, 1))
            encoder = BitmapEncoder(arch=overrides.pop("arch", "default"), seed=0, **overrides)
            backbone = keras.Model(inputs, encoder(inputs))
            model = add_classifier_head(backbone, FULL_SCALE["classes"], 0.3, seed=0)
            model.compile(keras.optimizers.Adam(2e-3), "sparse_categorical_crossentropy")
            for _ in range(3):
                model.train_on_batch(x, y)
            wall, cpu = [], []
            for _ in range(repeat):
                w, c = time.perf_counter(), time.process_time()
                for _ in range(steps):
                    model.train_on_batch(x, y)
                wall.append(time.perf_counter() - w)
                cpu.append(time.process_time() - c)
            variants[name] = {
                "params": int(model.count_params()),
                "samples_per_s": round(steps * len(y) / min(wall), 1),
                "samples_per_cpu_s": round(steps * len(y) / min(cpu), 1),
            }
        batches = self.batches("rnn", ds)
        profiler = cProfile.Profile()
        samples = 0
        profiler.enable()
        for i, (_, labels) in enumerate(batches.epoch(0)):
            samples += len(labels)
            if i + 1 == 4 * self.scale.scale_steps:
                break
        profiler.disable()
        stats = pstats.Stats(profiler).stats
        total = sum(entry[2] for entry in stats.values())
        top = sorted(stats.items(), key=lambda item: -item[1][2])[:12]
        functions = [
            {
                "function": f"{Path(file).name}:{line}({func})",
                "calls": entry[1],
                "own_share": round(entry[2] / total, 3),
                "cumulative_share": round(entry[3] / total, 3),
            }
            for (file, line, func), entry in top
        ]
        return {
            "profile": {
                "cnn_variants_345_classes_batch_256": variants,
                "stroke_generator": {
                    "samples": samples,
                    "samples_per_profiled_s": round(samples / total, 1),
                    "top_functions_by_own_time": functions,
                },
                "load_average": load_average(),
            }
        }

    # -- full-scale projection

    def scale_projection(self, train_speeds: dict | None = None) -> dict:
        """Minutes per epoch at 345 x 10,000 drawings (80% train), projected from a few steps."""
        n_total = FULL_SCALE["classes"] * FULL_SCALE["per_class"]
        n_train, n_val = n_total * FULL_SCALE["train"], n_total * FULL_SCALE["val"]
        detail, minutes = {}, {}
        for kind, arch, name in (("cnn", "default", "bitmaps345"), ("rnn", "default", "strokes20")):
            ds = self.dataset(name)
            self.say(f"full-scale {kind}: {self.scale.scale_steps} steps on {len(ds)} drawings")
            model = new_model(kind, arch, FULL_SCALE["classes"], self.stroke_features())
            s = self.scale
            train_rate = fit_rate(
                model, self.batches(kind, ds), s.warmup_steps, s.scale_steps, s.train_repeat
            )
            val_rate = evaluate_rate(model, self.batches(kind, ds, "val"), self.scale.scale_steps)
            epoch_min = (n_train / train_rate["samples_per_s"] + n_val / val_rate) / 60
            minutes[kind] = round(epoch_min, 1)
            detail[kind] = {
                "arch": arch,
                "measured_on": f"{len(ds)} drawings, {len(ds.classes)} classes, 345-class head",
                "train_samples_per_s": train_rate["samples_per_s"],
                "val_samples_per_s": round(val_rate, 1),
                "train_pass_min": round(n_train / train_rate["samples_per_s"] / 60, 1),
                "val_pass_min": round(n_val / val_rate / 60, 1),
                "epochs_in_hobby_time": round(HOBBY["whole_training_min"] / epoch_min, 1),
                "load_average": load_average(),
            }
        if train_speeds:  # the two reference designs, from the 8-class training speeds
            for name in ("cnn_baseline", "rnn_tutorial"):
                if train_speeds.get(name):
                    train_min = n_train / train_speeds[name] / 60
                    minutes[f"{name}_train_pass"] = round(train_min, 1)
        return {
            "full_scale_epoch_min": minutes,
            "full_scale_detail": {
                "drawings": n_total,
                "train_drawings": int(n_train),
                "val_drawings": int(n_val),
                "hobby_project_whole_training": HOBBY["whole_training"],
                "hobby_project_whole_training_min": HOBBY["whole_training_min"],
                **detail,
            },
        }
