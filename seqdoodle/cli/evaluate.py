"""`seqdoodle evaluate` (score a run on labelled drawings) and `seqdoodle predict` (classify files).

Decision: with `--source`, classes in the folder that the run does not know are skipped with a
note on stderr (a folder of all 345 classes can score a 10-class run); it is an error only when
no class is shared. The same holds for `--data` with a dataset of other classes.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer

from seqdoodle.cli.app import app, handle_errors


def _note(message: str) -> None:
    typer.secho(f"Note: {message}", fg=typer.colors.YELLOW, err=True)


def _pct(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{100 * value:.1f}%"


def per_class_table(per_class: dict, width: int = 100) -> str:
    """Per-class accuracies as a compact table, several `class  acc` cells to a line.

    Args:
        per_class: dict. Class name to accuracy in [0, 1] or None.
        width: int. Line width to fill. Defaults to 100.

    Returns:
        str, lines without a trailing newline.

    Example:
    >>> print(per_class_table({"cat": 0.5, "dog": None}, width=20))
    cat   50.0%
    dog       -
    """
    names = list(per_class)
    if not names:
        return ""
    name_width = max(len(n) for n in names)
    cell = name_width + 8  # name, space, "100.0%" right-aligned
    per_line = max(1, (width + 2) // (cell + 2))
    rows = math.ceil(len(names) / per_line)
    lines = []
    for r in range(rows):
        cells = [
            f"{n:<{name_width}} {_pct(per_class[n]):>7}" for n in names[r::rows][:per_line]
        ]  # column-major: read down, then across
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


@app.command("evaluate")
@handle_errors
def evaluate_command(
    run_path: Annotated[Path, typer.Argument(metavar="RUN", help="Run folder to evaluate.")],
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
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the report as JSON to this file.")
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
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Score a run on a prepared split (--data) or a folder of class files (--source).

    Prints top-1, top-3, MAP@3 and per-class top-1 accuracy. Both model kinds go through the
    same harness (`evaluation.evaluate_predictions`).
    """
    if (data is None) == (source is None):
        raise typer.BadParameter("give exactly one of --data DATASET or --source FOLDER")
    if per_class is not None and source is None:
        raise typer.BadParameter("--per-class goes with --source")
    from seqdoodle.artifacts import load_run
    from seqdoodle.evaluation import evaluate_predictions, save_predictions
    from seqdoodle.fileio import write_json
    from seqdoodle.inference import dataset_predictions, folder_drawings
    from seqdoodle.progress import progress_bars

    run = load_run(run_path)
    with progress_bars(None if progress else False) as bars:
        if data is not None:
            from seqdoodle.datasets.prepared import PreparedDataset

            dataset = PreparedDataset(data)
            task = bars.add_task(f"evaluate {split}", total=len(dataset.indices(split)))
            result = dataset_predictions(
                run,
                dataset,
                split,
                batch_size=batch_size,
                progress=lambda k: bars.advance(task, k),
            )
            ids = result.ids
            where = f"{data} ({split} split)"
            y_true, probs, notes = result.y_true, result.probs, result.notes
        else:
            drawings, y_true, notes = folder_drawings(run, source, per_class)
            task = bars.add_task("evaluate", total=len(drawings))
            probs = run.predict_proba(
                drawings, batch_size=batch_size, progress=lambda k: bars.advance(task, k)
            )
            ids = [d.source or "" for d in drawings]
            where = str(source)
    for note in notes:
        _note(note)

    report = evaluate_predictions(y_true, probs, run.classes, name=run.path.name, kind=run.kind)
    report.n_params = run.n_params
    report.saved_size_bytes = run.saved_size_bytes
    if predictions is not None:
        predictions.parent.mkdir(parents=True, exist_ok=True)
        save_predictions(predictions, y_true, probs, run.classes, ids=ids)
        report.predictions = {"path": str(predictions)}

    typer.echo(
        f"{run.path} ({run.kind}, {run.arch or '?'}) on {where}: {report.n} drawings, "
        f"{len(run.classes)} classes"
    )
    typer.echo(f"top-1 {_pct(report.top1)}   top-3 {_pct(report.top3)}   MAP@3 {report.map3:.4f}")
    typer.echo("per-class top-1 accuracy:")
    typer.echo(per_class_table(report.per_class))

    if json_path is not None:
        out = report.to_json()
        out.update(run=str(run.path), data=str(data or source), split=split if data else None)
        out["notes"] = notes
        json_path.parent.mkdir(parents=True, exist_ok=True)
        write_json(json_path, out)
        typer.echo(f"report: {json_path}")
    if plots is not None:
        from seqdoodle.plots import save_figure
        from seqdoodle.plots.evaluation import plot_confusion_matrix

        plots.mkdir(parents=True, exist_ok=True)
        fig = plot_confusion_matrix(
            report.confusion, run.classes, title=f"{run.path.name} on {where}"
        )
        save_figure(fig, plots / "confusion_matrix.png")
        typer.echo(f"plot: {plots / 'confusion_matrix.png'}")
    if predictions is not None:
        typer.echo(f"predictions: {predictions}")


def predictions_table(results: list[dict]) -> str:
    """`predict` results as a text table: source, (word,) then one column per ranked class.

    Example:
    >>> print(predictions_table([{"source": "a.png", "word": None, "top": [("cat", 0.9)]}]))
    source  top-1
    a.png   cat 90.0%
    """
    if not results:
        return ""
    with_word = any(r.get("word") for r in results)
    k = max(len(r["top"]) for r in results)
    header = ["source", *(["word"] if with_word else []), *(f"top-{i + 1}" for i in range(k))]
    rows = [
        [
            str(r["source"]),
            *([r.get("word") or ""] if with_word else []),
            *(f"{c} {_pct(p)}" for c, p in r["top"]),
        ]
        for r in results
    ]
    widths = [
        max(len(row[i]) for row in [header, *rows] if i < len(row)) for i in range(len(header))
    ]
    return "\n".join(
        "  ".join(f"{cell:<{w}}" for cell, w in zip(row, widths)).rstrip()
        for row in [header, *rows]
    )


@app.command("predict")
@handle_errors
def predict_command(
    run_path: Annotated[Path, typer.Argument(metavar="RUN", help="Run folder to predict with.")],
    inputs: Annotated[
        list[Path],
        typer.Argument(
            metavar="INPUT...",
            help=".npy bitmap rows, .ndjson drawings, PNG/JPEG images, or folders of them.",
        ),
    ],
    top_k: Annotated[int, typer.Option("--top-k", min=1, help="Classes to show per drawing.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Classify drawings: one line per drawing with its most likely classes.

    A bitmap (cnn) run takes every input type; images are made to look like Quick, Draw! bitmaps
    (grey, inverted when dark on light, cropped, scaled, centred). A stroke (rnn) run needs
    .ndjson strokes.
    """
    from seqdoodle.artifacts import load_run
    from seqdoodle.inference import predict

    run = load_run(run_path)
    notes: list[str] = []
    results = predict(run, inputs, top_k=top_k, notes=notes)
    for note in notes:
        _note(note)
    if as_json:
        out = [
            {
                "source": r["source"],
                "word": r["word"],
                "top": [{"class": c, "probability": p} for c, p in r["top"]],
            }
            for r in results
        ]
        typer.echo(json.dumps(out, indent=2))
    else:
        typer.echo(predictions_table(results))
