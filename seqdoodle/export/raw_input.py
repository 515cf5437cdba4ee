"""The raw input of an exported model, and the run's model wrapped to take it.

The exported model takes the documented raw input: a CNN `render_bitmap(simplified)[..., None]`
as float32 0..255, a stroke model `drawing_to_stroke3(simplified)` as float32 (the dx/dy scale
fitted on the training split is part of the model; for a run that keeps it in `config.json` the
model is wrapped with it first). Stroke models keep a dynamic length; their LiteRT file takes one
drawing at a time (batch 1), which lets the LSTM loop use built-in LiteRT ops only.
"""

from __future__ import annotations

import numpy as np


def _kind(run):
    from seqdoodle.kinds import get_kind

    return get_kind(run.kind)


def stroke_scale(run) -> tuple[float, float] | None:
    """The dx/dy scale a run's model still needs in front of it, or None.

    None for models that take no stroke-3 rows and for stroke models that hold their scale
    (`kind.raw_input_scale`).
    """
    return _kind(run).raw_input_scale(run.model, run.input_config)


def export_input_config(run) -> dict:
    """The input config of the exported model: the run's, with the scale inside the model."""
    return _kind(run).export_input_config(run.model, run.input_config)


def input_spec(run) -> dict:
    """`{"name", "shape", "dtype", "how"}` of the exported model's input (None = dynamic)."""
    spec = dict(_kind(run).input_spec(export_input_config(run)))
    spec["shape"] = [None if d is None else int(d) for d in spec["shape"]]
    return spec


def raw_input_model(run):
    """The run's model taking the documented raw input (see the module docstring).

    Args:
        run: `seqdoodle.runs.folder.Run`.

    Returns:
        keras.Model: `run.model` itself, or for a stroke run that keeps its scale in
        `config.json` a functional model `StrokeScale(scale) -> run.model`.
    """
    import keras

    scale = stroke_scale(run)
    if scale is None:
        return run.model
    from seqdoodle.models.layers import StrokeScale

    inputs = keras.Input(
        shape=run.model.input_shape[1:], dtype="float32", name=input_spec(run)["name"]
    )
    scaled = StrokeScale(scale=scale, name="stroke_scale")(inputs)
    return keras.Model(inputs, run.model(scaled), name=f"{run.model.name}_raw_input")


def raw_inputs(run, drawings) -> list[np.ndarray]:
    """Each drawing as the exported model's input, batch 1 (`kind.drawing_inputs`)."""
    kind, config = _kind(run), export_input_config(run)
    return [np.asarray(kind.drawing_inputs([d], config), np.float32) for d in drawings]
