"""`seqdoodle export`: a run's model as ONNX, LiteRT or a SavedModel, checked in its runtime."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from seqdoodle.cli.app import app, handle_errors, import_tensorflow_quietly


class ExportFormat(str, Enum):
    """Export formats (`seqdoodle.export.formats.FORMATS`)."""

    onnx = "onnx"
    tflite = "tflite"
    savedmodel = "savedmodel"


@app.command("export")
@handle_errors
def export_command(
    run_path: Annotated[Path, typer.Argument(metavar="RUN", help="Run folder to export.")],
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="onnx, tflite (LiteRT) or savedmodel.")
    ],
    out: Annotated[
        Path, typer.Option("--out", help="File to write (.onnx, .tflite) or SavedModel folder.")
    ],
    check: Annotated[
        int, typer.Option("--check", min=1, help="Drawings to check the file on.")
    ] = 64,
) -> None:
    """Export a model with Keras' Model.export and check it in its own runtime.

    Writes PATH and PATH.json (classes, input name, shape, dtype, how to make the input), then
    predicts the run's test drawings (or synthetic ones) in onnxruntime, the LiteRT interpreter
    or tf.saved_model.load; fails, leaving nothing under PATH, when the largest probability
    difference from Keras is above 1e-4 or a top class differs.
    """
    from seqdoodle.export.formats import export_run
    from seqdoodle.runs.folder import load_run

    import_tensorflow_quietly()
    run = load_run(run_path)
    result = export_run(run, fmt.value, out, n_check=check)
    typer.echo(f"Wrote {result.path} and {result.info_path.name}")
    typer.echo(result.summary())
