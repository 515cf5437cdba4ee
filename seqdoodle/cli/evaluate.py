"""`seqdoodle evaluate`: score a run on labelled drawings (`seqdoodle.evaluate` does the work).

Decision: with `--source`, classes in the folder that the run does not know are skipped with a
note on stderr (a folder of all 345 classes can score a 10-class run); it is an error only when
no class is shared. The same holds for `--data` with a dataset of other classes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from seqdoodle.cli.app import app, handle_errors, refuse_together, usage_error
from seqdoodle.reports import num, pct, per_class_table


def note(message: str) -> None:
    """A note on stderr, in yellow."""
    typer.secho(f"Note: {message}", fg=typer.colors.YELLOW, err=True)


@app.command("evaluate")
@handle_errors
def evaluate_command(
    ctx: typer.Context,
    run_path: Annotated[
        Path, typer.Argument(metavar="RUN", help="Run folder (or ensemble folder) to evaluate.")
    ],
    data: Annotated[
        Path | None, typer.Option("--data", help="Prepared dataset folder (see `prepare`).")
    ] = None,
    split: Annotated[
        str, typer.Option("--split", help="Split of --data: train, val or test.")
    ] = "test",
    source: Annotated[
        Path | None,
        typer.Option(
            "--source",
            help="Folder of <class>.ndjson / <class>.npy files; every drawing of every class "
            "the run knows is scored (other classes are skipped with a note).",
        ),
    ] = None,
    per_class: Annotated[
        int | None,
        typer.Option("--per-class", min=1, help="With --source: the first N drawings per class."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder for report.json, confusion_matrix.png and predictions.npz (each also "
            "has its own option).",
        ),
    ] = None,
    json_path: Annotated[
        Path | None,
        typer.Option("--json", help="Write the report as JSON to this file ('-': stdout only)."),
    ] = None,
    plots: Annotated[
        Path | None, typer.Option("--plots", help="Folder for confusion_matrix.png.")
    ] = None,
    predictions: Annotated[
        Path | None,
        typer.Option("--predictions", help="Save labels and probabilities to this .npz file."),
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Drawings per batch.")
    ] = 256,
    partial: Annotated[
        int,
        typer.Option(
            "--partial",
            min=0,
            help="Early recognition: top-1/top-3 on prefixes (10%..100% of the points, the "
            "first strokes) of N drawings, into --json and --plots (partial.png).",
        ),
    ] = 0,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Score a run on a prepared split (--data) or a folder of class files (--source).

    Prints top-1, top-3, MAP@3 and per-class top-1 accuracy. Every model kind goes through the
    same harness (`seqdoodle.evaluate`); an ensemble folder is scored as one model (its runs'
    probabilities pooled with the fitted weights).
    """
    if data is not None and source is not None:
        raise usage_error("give exactly one of --data DATASET or --source FOLDER, not both")
    if data is None and source is None:
        raise usage_error("give exactly one of --data DATASET or --source FOLDER")
    if per_class is not None and source is None:
        raise usage_error("--per-class goes with --source, not --data")
    refuse_together(ctx, source is not None, "--source (--split picks a split of --data)", "split")
    to_stdout = json_path == Path("-")
    if out is not None:
        json_path = out / "report.json" if json_path is None else json_path
        plots = out if plots is None else plots
        predictions = out / "predictions.npz" if predictions is None else predictions
    from seqdoodle.runs.evaluate import evaluate_run

    result = evaluate_run(
        run_path,
        data=data,
        split=split,
        source=source,
        per_class=per_class,
        batch_size=batch_size,
        progress=None if progress else False,
        json_path=None if to_stdout else json_path,
        plots=plots,
        predictions=predictions,
        partial=partial,
    )
    for line in result.notes:
        note(line)
    if to_stdout:  # stdout holds the JSON report only
        typer.echo(json.dumps(result.to_json(), indent=2))
        return
    run, report = result.run, result.report
    typer.echo(
        f"{run.path} ({_describe(run)}) on {result.where}: {report.n} drawings, "
        f"{len(run.classes)} classes"
    )
    typer.echo(f"top-1 {pct(report.top1)}   top-3 {pct(report.top3)}   MAP@3 {num(report.map3)}")
    typer.echo("per-class top-1 accuracy:")
    typer.echo(per_class_table(report.per_class))
    curves = result.extra.get("partial")
    if curves:
        name = result.report.name
        cells = ", ".join(
            f"{f:.0%} {pct(a)}" for f, a in zip(curves["fractions"], curves["models"][name])
        )
        typer.echo(f"top-1 on the first points of {curves['n_drawings']} drawings: {cells}")
    if json_path is not None:
        typer.echo(f"report: {json_path}")
    if plots is not None:
        typer.echo(f"plot: {plots / 'confusion_matrix.png'}")
    if predictions is not None:
        typer.echo(f"predictions: {predictions}")


def _describe(run) -> str:
    """`"cnn, default"`, or for an ensemble `"ensemble, log pool: cnn 0.53, rnn 0.47"`."""
    weights = getattr(run, "weights", None)
    if weights is None:
        return f"{run.kind}, {run.arch or '?'}"
    shares = ", ".join(f"{name} {w:.2f}" for name, w in weights.items())
    return f"{run.kind}, {run.pool} pool: {shares}"
