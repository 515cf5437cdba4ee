"""`seqdoodle predict`: classify drawing files with a run or an ensemble, one line per drawing."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from seqdoodle.cli.app import app, handle_errors, usage_error
from seqdoodle.cli.evaluate import note
from seqdoodle.fileio import atomic_write
from seqdoodle.reports import predictions_table

STREAM_CHUNK = 1024  # table rows printed at a time


@app.command("predict")
@handle_errors
def predict_command(
    run_path: Annotated[
        Path,
        typer.Argument(metavar="RUN", help="Run folder (or ensemble folder) to predict with."),
    ],
    inputs: Annotated[
        list[Path],
        typer.Argument(
            metavar="INPUT...",
            help=".npy bitmap rows, .ndjson drawings, PNG/JPEG images, or folders of them.",
        ),
    ],
    top_k: Annotated[int, typer.Option("--top-k", min=1, help="Classes to show per drawing.")] = 3,
    json_path: Annotated[
        Path | None,
        typer.Option(
            "--json", help="Write the results as JSON to this file ('-': stdout, no table)."
        ),
    ] = None,
    submission: Annotated[
        Path | None,
        typer.Option(
            "--submission",
            help="Write a Kaggle submission (key_id,word: top 3, underscores) for one Kaggle "
            "test CSV, streaming, instead of printing.",
        ),
    ] = None,
) -> None:
    """Classify drawings: one line per drawing with its most likely classes.

    A bitmap run takes every input type; images are made to look like Quick, Draw! bitmaps at
    the run's own size (grey, inverted when dark on light, cropped, scaled, centred). A stroke
    run needs strokes (.ndjson). An ensemble folder (`seqdoodle ensemble`) pools its runs with
    the fitted weights and takes what all of its runs take. Inputs are read and classified in
    batches, so files of any size stream through.
    """
    if submission is not None and len(inputs) != 1:
        raise usage_error(f"--submission takes one Kaggle test CSV, got {len(inputs)} inputs")
    if submission is not None and json_path is not None:
        raise usage_error("--submission and --json cannot go together; give one")
    to_stdout = json_path == Path("-")
    if json_path is not None and not to_stdout:
        target = json_path.resolve()
        clash = next((p for p in inputs if p.resolve() == target), None)
        if clash is not None:
            raise usage_error(f"--json {json_path} would overwrite the input {clash}")
    from seqdoodle.runs.ensemble import load_model
    from seqdoodle.runs.predict import iter_predictions

    run = load_model(run_path)
    if submission is not None:
        from seqdoodle.datasets.kaggle import write_submission

        n = write_submission(run, inputs[0], submission, top_k=top_k)
        typer.echo(f"{submission}: {n} rows")
        return
    notes: list[str] = []
    results = iter_predictions(run, inputs, top_k=top_k, notes=notes)
    if json_path is None:
        _print_table(results)
    elif to_stdout:
        _write_json_array(sys.stdout, results)
    else:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(json_path, "w") as f:
            n = _write_json_array(f, results)
        typer.echo(f"{json_path}: {n} drawings")
    for line in notes:
        note(line)


def _json_row(r: dict) -> dict:
    top = [{"class": c, "probability": p} for c, p in r["top"]]
    return {"source": r["source"], "word": r["word"], "top": top}


def _write_json_array(f, results) -> int:
    """Write `results` as one indented JSON array, a row at a time; returns the row count."""
    n = 0
    for r in results:
        row = json.dumps(_json_row(r), indent=2).replace("\n", "\n  ")
        f.write(("[\n  " if n == 0 else ",\n  ") + row)
        n += 1
    f.write("\n]\n" if n else "[]\n")
    f.flush()
    return n


def _print_table(results, chunk: int = STREAM_CHUNK) -> None:
    """Print results as a table, `chunk` rows at a time (columns sized by the first chunk)."""
    rows = []
    header = True
    for r in results:
        rows.append(r)
        if len(rows) == chunk:
            _echo_rows(rows, header)
            rows, header = [], False
    if rows or header:
        _echo_rows(rows, header)


def _echo_rows(rows: list[dict], header: bool) -> None:
    text = predictions_table(rows)
    if not header:
        text = text.split("\n", 1)[1] if "\n" in text else ""
    if text:
        typer.echo(text)
