"""The benchmark's inputs: generated Google-format files, raw drawings, and the prepared
datasets its sections share (`BenchmarkData`), with `prepare` measured in a fresh process."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from experiments.bench import readers
from experiments.bench.benchmark_sizes import FULL, Scale
from experiments.common import REPO, STROKE_CLASSES, STROKE_FOLDERS, load_average, stroke_sources

# ----------------------------------------------------------------------------- generated inputs


def simplified_lines(path: Path) -> list[bytes]:
    """The non-empty lines of an ndjson file, each ending with a newline."""
    return [line + b"\n" for line in path.read_bytes().splitlines() if line.strip()]


def write_generated_ndjson(shared: Path, dest: Path, n_classes: int, per_class: int) -> list[str]:
    """Write `n_classes` files `<class>.ndjson` of `per_class` (or more) real simplified lines.

    The classes with the most real simplified drawings are taken (ties by name); each file
    repeats its class's lines (`experiments.bench.readers.write_ndjson`). Returns the class names.
    """
    counted = [(p.read_bytes().count(b"\n"), p) for p in (shared / "simplified").glob("*.ndjson")]
    files = [p for _, p in sorted(counted, key=lambda c: (-c[0], c[1].name))]
    classes = []
    dest.mkdir(parents=True, exist_ok=True)
    for path in files[:n_classes]:
        lines = simplified_lines(path)
        mean_bytes = sum(map(len, lines)) / len(lines)
        readers.write_ndjson(dest / path.name, lines, int(per_class * mean_bytes) + 1)
        classes.append(path.stem)
    return classes


def write_generated_npy(
    shared: Path, dest: Path, classes: list[str], per_class: int, seed: int = 0
) -> int:
    """Write one `(per_class, 784) uint8` file `<class>.npy` per class, Google's format.

    Rows are real `numpy_bitmap` rows (the classes in `shared/bitmap`, used in turn) tiled in
    blocks, each block shifted by up to 2 pixels (`np.roll`), so no two neighbouring blocks are
    equal. Returns the bytes written.
    """
    sources = sorted((shared / "bitmap").glob("*.npy"))
    rng = np.random.default_rng(seed)
    dest.mkdir(parents=True, exist_ok=True)
    written = 0
    for i, name in enumerate(classes):
        real = np.load(sources[i % len(sources)], mmap_mode="r")
        base = np.asarray(real[: min(len(real), 1000)]).reshape(-1, 28, 28)
        blocks, n = [], 0
        while n < per_class:
            dy, dx = rng.integers(-2, 3, 2)
            blocks.append(np.roll(base, (int(dy), int(dx)), axis=(1, 2)))
            n += len(base)
        rows = np.concatenate(blocks)[:per_class].reshape(per_class, 784)
        readers.write_npy(dest / f"{name}.npy", rows, per_class)
        written += rows.nbytes
    return written


def raw_drawings(shared: Path, n: int) -> list:
    """Up to `n` raw-format `Drawing` records from `shared/raw`, taken in turn from each class.

    The class does not matter for timing, so every class's file is used (sorted by name).
    """
    from seqdoodle.datasets.readers import read_drawings

    per_class = []
    for path in sorted((shared / "raw").glob("*.ndjson")):
        per_class.append(list(read_drawings(path, limit=-(-n // 300) + 1)))
    out = []
    for i in range(max(map(len, per_class))):
        out += [drawings[i] for drawings in per_class if i < len(drawings)]
    return out[:n]


def run_prepare(source, out: Path, classes: list[str] | None, per_class: int) -> dict:
    """Run `prepare` in a fresh process (`experiments.bench.prepare`); its time and peak memory.

    Args:
        source: path or list of paths. The source folder(s).
        out: Path. Dataset folder to write.
        classes: list of str or None. Classes (None: all the source has).
        per_class: int. Drawings per class.

    Returns:
        dict: `drawings`, `classes`, `seconds`, `drawings_per_s`, `peak_rss_mb` (the child's
        whole-process peak, `VmHWM`), `rss_before_mb` (after its imports), `tensorflow_loaded`.
    """
    sources = [str(s) for s in (source if isinstance(source, list) else [source])]
    sources = [str(Path(s).absolute()) for s in sources]
    command = [sys.executable, "-m", "experiments.bench.prepare", *sources]
    command += [str(Path(out).absolute())]
    command += ["--per-class", str(per_class)]
    if classes is not None:
        command += ["--classes", json.dumps(classes)]
    child = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    if child.returncode != 0:
        tail = child.stderr.strip()[-500:]
        raise RuntimeError(f"experiments.bench.prepare failed ({child.returncode}): {tail}")
    result = json.loads(child.stdout.strip().splitlines()[-1])
    return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in result.items()}


# ----------------------------------------------------------------------------- datasets


class BenchmarkData:
    """The datasets the sections share at one `Scale`, prepared on first use in a scratch folder.

    The sections themselves are `experiments.bench.benchmark_sections.Benchmark`, a subclass.

    Args:
        shared: Path. The real data folder (`../shared/quickdraw`).
        work: Path. A scratch folder; everything written there is removed by `close()`.
        scale: `Scale`. Sizes. Defaults to `FULL`.
        say: callable. Progress lines. Defaults to printing on stderr.
    """

    def __init__(self, shared: Path, work: Path, scale: Scale = FULL, say=None):
        self.shared, self.work, self.scale = Path(shared), Path(work), scale
        self.say = say or (lambda msg: print(msg, file=sys.stderr, flush=True))
        self.results: dict = {}
        self._datasets: dict = {}
        self._stroke_features = None
        for folder in ("simplified", "raw", "bitmap", *STROKE_FOLDERS):
            if not (self.shared / folder).is_dir():
                raise FileNotFoundError(f"{self.shared / folder}: real data folder missing")

    def close(self) -> None:
        """Remove everything the benchmark wrote under `work`."""
        shutil.rmtree(self.work, ignore_errors=True)

    def dataset(self, name: str):
        """The prepared dataset `name` (`"bitmaps345"`, `"strokes20"`, `"strokes8"`), prepared on
        first use; the preparation of the first two is measured in a fresh process."""
        from seqdoodle.datasets.prepared import PreparedDataset

        if name in self._datasets:
            return self._datasets[name]
        s = self.scale
        out = self.work / f"ds_{name}"
        if name == "bitmaps345":
            from seqdoodle.datasets.categories import all_categories

            classes = list(all_categories())[: s.npy_classes]
            need = 3.2 * len(classes) * s.npy_per_class * 784 + 1e9  # inputs, parts, output
            free = shutil.disk_usage(self.work).free
            if free < need:
                raise OSError(f"{self.work}: {free / 1e9:.1f} GB free, need {need / 1e9:.1f} GB")
            inputs = self.work / "npy_inputs"
            self.say(f"writing {len(classes)} generated .npy files of {s.npy_per_class} rows")
            started = time.perf_counter()
            nbytes = write_generated_npy(self.shared, inputs, classes, s.npy_per_class)
            write_s = time.perf_counter() - started
            self.say(f"prepare {len(classes)} x {s.npy_per_class} bitmaps (fresh process)")
            result = run_prepare(inputs, out, None, s.npy_per_class)
            shutil.rmtree(inputs)
            self.results["prepare_345x10k"] = {
                **result,
                "per_class": s.npy_per_class,
                "source": "generated numpy_bitmap files: real rows tiled with shifts <= 2 px",
                "input_gb": round(nbytes / 1e9, 2),
                "input_write_seconds": round(write_s, 1),
                "load_average": load_average(),
            }
        elif name == "strokes20":
            inputs = self.work / "ndjson_inputs"
            classes = write_generated_ndjson(
                self.shared, inputs, s.ndjson_classes, s.ndjson_per_class
            )
            self.say(f"prepare {len(classes)} x {s.ndjson_per_class} ndjson drawings")
            result = run_prepare(inputs, out, classes, s.ndjson_per_class)
            shutil.rmtree(inputs)
            self.results["prepare_20x10k_ndjson"] = {
                **result,
                "per_class": s.ndjson_per_class,
                "source": "generated ndjson files: real simplified lines repeated",
                "load_average": load_average(),
            }
        elif name == "strokes8":
            from seqdoodle.datasets.prepare import prepare

            folders = stroke_sources(self.shared)
            self.say(f"prepare the real 8-class stroke set ({s.stroke_per_class} per class)")
            prepare(folders, out, STROKE_CLASSES, per_class=s.stroke_per_class, progress=False)
        else:
            raise KeyError(name)
        ds = self._datasets[name] = PreparedDataset(out, verify=False)
        key = {"bitmaps345": "prepare_345x10k", "strokes20": "prepare_20x10k_ndjson"}.get(name)
        if key and ds.has_strokes:
            self.results[key]["points_per_drawing"] = round(ds.manifest["n_points"] / len(ds), 1)
        return ds

    def stroke_features(self):
        """The stroke encoding fitted on the 8-class set's training split, as training does."""
        from seqdoodle.kinds.inputs import fit_stroke_features

        if self._stroke_features is None:
            ds = self.dataset("strokes8")
            self._stroke_features = fit_stroke_features(
                ds, ds.indices("train"), seed=0, scale_in_model=True
            )
        return self._stroke_features

    def batches(self, kind: str, ds, split: str = "train"):
        """The training pipeline's batch source for `kind` on `ds` (train: shuffled, augmented)."""
        from seqdoodle.kinds import get_kind
        from seqdoodle.kinds.batches import BitmapBatches, StrokeBatches

        batch_size = get_kind(kind).defaults.batch_size
        train = split == "train"
        if kind == "cnn":
            return BitmapBatches(ds, ds.indices(split), batch_size, seed=0, train=train)
        return StrokeBatches(
            ds, ds.indices(split), batch_size, self.stroke_features(), seed=0, train=train
        )
