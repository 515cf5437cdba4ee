"""How the benchmark times training: `model.fit` through the real input pipeline, the
pipeline alone, the model alone, and `model.evaluate`."""

from __future__ import annotations

import time


def new_model(kind: str, arch: str, num_classes: int, features=None):
    """A model built and compiled exactly as `seqdoodle.training` does (`models.task`)."""
    import keras

    from seqdoodle.kinds import get_kind
    from seqdoodle.kinds.inputs import StrokeFeatures, bitmap_config
    from seqdoodle.models.task import compile_classifier

    model_kind = get_kind(kind)
    keras.utils.set_random_seed(0)
    if model_kind.needs_strokes:
        input_config = (features or StrokeFeatures(scale_in_model=True)).to_config()
    else:
        input_config = bitmap_config()
    model = model_kind.build_model(arch, num_classes, input_config, seed=0)
    return compile_classifier(model, model_kind.defaults.lr)


def _batch_sizes(batches, n_batches: int) -> list[int]:
    """Sizes of the first `n_batches` batches that `batches.dataset(repeat=True)` yields."""
    sizes, epoch = [], 0
    while len(sizes) < n_batches:
        sizes += [len(rows) for rows in batches.batch_indices(epoch)]
        epoch += 1
    return sizes[:n_batches]


def fit_rate(model, batches, warmup: int, steps: int, repeat: int = 1) -> dict:
    """Samples/s of `model.fit` on `batches.dataset()` for `steps` steps after `warmup` steps.

    Every fit reads a fresh iterator of the same pipeline (`tf.data.Dataset.from_generator` with
    prefetch, as in `seqdoodle.training`), so the timed steps include the input pipeline. The
    best of `repeat` timed fits is kept (the machine is shared).

    Args:
        model: compiled `keras.Model`.
        batches: a `seqdoodle.kinds.batches` batch source (`BitmapBatches` or `StrokeBatches`).
        warmup: int. Untimed steps first (tracing, caches).
        steps: int. Timed steps.
        repeat: int. Timed fits; the fastest is reported. Defaults to 1.

    Returns:
        dict: `batch_size`, `steps`, `samples`, `seconds`, `samples_per_s`, `samples_per_cpu_s`,
        `all_samples_per_s`, `params`.
    """
    data = batches.dataset(repeat=True)
    model.fit(data, steps_per_epoch=max(1, warmup), epochs=1, verbose=0, shuffle=False)
    samples = sum(_batch_sizes(batches, steps))
    runs = []
    for _ in range(max(1, repeat)):
        wall, cpu = time.perf_counter(), time.process_time()
        model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    wall = min(w for w, _ in runs)
    cpu = min(c for _, c in runs)
    return {
        "batch_size": batches.batch_size,
        "steps": steps,
        "samples": samples,
        "seconds": round(wall, 2),
        "samples_per_s": round(samples / wall, 1),
        "samples_per_cpu_s": round(samples / max(cpu, 1e-9), 1),
        "all_samples_per_s": [round(samples / w, 1) for w, _ in runs],
        "params": int(model.count_params()),
    }


def _premade(batches, steps: int):
    """The first `steps` batches of epoch 0, made now, as a `tf.data` source that only yields."""
    import tensorflow as tf

    made = []
    for x, y in batches.epoch(0):
        made.append((x, y))
        if len(made) == steps:
            break
    data = tf.data.Dataset.from_generator(
        lambda: iter(made), output_signature=batches.signature()
    ).repeat()
    return data, sum(len(y) for _, y in made), len(made)


def model_only_rate(model, batches, steps: int) -> float:
    """Samples/s of `model.fit` on batches made beforehand, so without the input pipeline's work.

    The batches go through `tf.data` with the pipeline's signature (one traced graph, as in
    training) but are not computed during the timing.
    """
    data, samples, n = _premade(batches, steps)
    model.fit(data, steps_per_epoch=1, epochs=1, verbose=0, shuffle=False)
    start = time.perf_counter()
    model.fit(data, steps_per_epoch=n, epochs=1, verbose=0, shuffle=False)
    return round(samples / (time.perf_counter() - start), 1)


def pipeline_rate(batches, steps: int) -> dict:
    """Samples/s of the input pipeline alone: the Python generator, and through `tf.data`."""
    start, samples = time.perf_counter(), 0
    for i, (_, y) in enumerate(batches.epoch(0)):
        samples += len(y)
        if i + 1 == steps:
            break
    generator = samples / (time.perf_counter() - start)
    iterator = iter(batches.dataset(repeat=True))
    next(iterator)
    start, samples = time.perf_counter(), 0
    for _ in range(steps):
        samples += int(next(iterator)[1].shape[0])
    return {
        "pipeline_only_samples_per_s": round(samples / (time.perf_counter() - start), 1),
        "generator_only_samples_per_s": round(generator, 1),
    }


def evaluate_rate(model, batches, steps: int) -> float:
    """Samples/s of `model.evaluate` on `batches.dataset()` (the validation pass of training)."""
    data = batches.dataset(repeat=True)
    model.evaluate(data, steps=1, verbose=0)
    samples = sum(_batch_sizes(batches, steps))
    start = time.perf_counter()
    model.evaluate(data, steps=steps, verbose=0)
    return samples / (time.perf_counter() - start)
