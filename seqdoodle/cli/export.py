"""`seqdoodle export`: a run's model as ONNX, LiteRT or a SavedModel, checked in its runtime.

An ensemble folder exports to a folder: one file per member run and `ensemble.json`
(`seqdoodle.export.ensemble`).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from seqdoodle.cli.app import app, handle_errors, import_tensorflow_quietly
from seqdoodle.errors import DataFormatError


class ExportFormat(str, Enum):
    """Export formats (`seqdoodle.export.formats.FORMATS`)."""

    onnx = "onnx"
    tflite = "tflite"
    savedmodel = "savedmodel"
    web = "web"


@app.command("export")
@handle_errors
def export_command(
    run_paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="RUN...",
            help="Run folder (or ensemble folder) to export; --format web takes several runs.",
        ),
    ],
    fmt: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            help="onnx, tflite (LiteRT), savedmodel, or web (a static folder: the drawing page "
            "running the models in the browser).",
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="File to write (.onnx, .tflite) or SavedModel folder; for an ensemble, the "
            "folder for its members' files and ensemble.json.",
        ),
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

    An ensemble folder (`seqdoodle ensemble`) is exported member by member into the folder OUT
    (OUT/<member>.onnx and .json each) with OUT/ensemble.json (weights, pool, classes, each
    member's input); the members are then checked pooled against the ensemble itself.

    --format web writes the folder OUT for any static file server: the drawing page, one ONNX
    file per run (each checked as above), onnxruntime-web and manifest.json; several runs are
    pooled in the page with equal weights, an ensemble folder with its own. It prints the size.
    """
    from seqdoodle.export.formats import export_run
    from seqdoodle.runs.ensemble import Ensemble, load_model

    import_tensorflow_quietly()
    if fmt is ExportFormat.web:
        from seqdoodle.export.web import export_web

        site = export_web(run_paths, out, n_check=check)
        for name, member in site.models.items():
            typer.echo(f"Wrote {member.path} ({name}): {member.summary()}")
        typer.echo(f"Wrote {site.summary()}")
        return
    if len(run_paths) != 1:
        raise DataFormatError(
            f"--format {fmt.value} exports one RUN (or an ensemble folder), got "
            f"{len(run_paths)}; several runs go together with --format web"
        )
    run = load_model(run_paths[0])
    if isinstance(run, Ensemble):
        from seqdoodle.export.ensemble import export_ensemble

        pooled = export_ensemble(run, fmt.value, out, n_check=check)
        for member in pooled.members.values():
            typer.echo(f"Wrote {member.path} and {member.info_path.name}: {member.summary()}")
        typer.echo(f"Wrote {pooled.manifest_path}")
        typer.echo(pooled.summary())
        return
    result = export_run(run, fmt.value, out, n_check=check)
    typer.echo(f"Wrote {result.path} and {result.info_path.name}")
    typer.echo(result.summary())
