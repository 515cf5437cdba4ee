"""`seqdoodle compare`: train models on the same drawings (or take runs) and compare them.

`--runs` takes two or more run folders, as `--runs A --runs B --runs C` or `--runs A,B,C`.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from seqdoodle.cli.app import CnnArch, RnnArch, app, handle_errors, refuse_together, usage_error
from seqdoodle.datasets.categories import parse_class_list
from seqdoodle.fileio import write_json
from seqdoodle.kinds import choices_text


class Pool(str, Enum):
    """How the ensemble pools the models' probabilities (`seqdoodle.evaluation.ensembles`)."""

    log = "log"
    linear = "linear"


def split_runs(values: list[str] | None) -> list[Path] | None:
    """The run folders of `--runs` (two or more), as repeated options or comma-separated.

    Example:
    >>> split_runs(["runs/cnn,runs/rnn"])
    [PosixPath('runs/cnn'), PosixPath('runs/rnn')]
    """
    if not values:
        return None
    parts = [p.strip() for v in values for p in v.split(",") if p.strip()]
    if len(parts) < 2:
        raise typer.BadParameter(
            "give at least two run folders (--runs A --runs B [--runs C ...], or --runs A,B), "
            f"got {len(parts)}",
            param_hint="--runs",
        )
    return [Path(p) for p in parts]


@app.command("compare")
@handle_errors
def compare_command(
    ctx: typer.Context,
    data: Annotated[
        Path | None,
        typer.Option("--data", help="Prepared dataset folder to train on (or to score --runs on)."),
    ] = None,
    source: Annotated[
        list[str] | None,
        typer.Option(
            "--source",
            help="'synthetic' (the default) or a folder of <class>.ndjson files; repeat for "
            "several folders. With --runs: a folder whose drawings are all scored.",
        ),
    ] = None,
    classes: Annotated[
        str | None, typer.Option("--classes", help="Comma-separated class names.")
    ] = None,
    per_class: Annotated[
        int | None,
        typer.Option(
            "--per-class",
            min=1,
            help="Drawings per class to prepare (default 1000 synthetic, 10000 otherwise).",
        ),
    ] = None,
    runs: Annotated[
        list[str] | None,
        typer.Option(
            "--runs",
            help="Only evaluate existing runs, two or more: --runs A --runs B [--runs C] (or "
            "--runs A,B,C). Without --data/--source they are scored on the test split of the "
            "dataset they were trained on.",
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="Report folder (rerun the command to resume).")
    ] = Path("compare-report"),
    epochs: Annotated[
        int | None,
        typer.Option(
            min=1, help="Epochs of each model (default 8 cnn, 15 rnn for the synthetic demo)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the split, weights and bootstrap.")] = 0,
    cnn_arch: Annotated[
        CnnArch, typer.Option("--cnn-arch", help="Bitmap CNN architecture.")
    ] = CnnArch.default,
    rnn_arch: Annotated[
        RnnArch, typer.Option("--rnn-arch", help="Stroke model architecture.")
    ] = RnnArch.default,
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--time-limit",
            min=0.0,
            help="Minutes of training per model, 0 for none (default 1.6 cnn, 1.3 rnn for the "
            "synthetic demo, else 14).",
        ),
    ] = None,
    kinds: Annotated[
        list[str] | None,
        typer.Option(
            "--kinds",
            help=f"Model kinds to train, repeated or comma-separated ({choices_text()}); "
            "default cnn and rnn.",
        ),
    ] = None,
    partial: Annotated[
        int,
        typer.Option(
            "--partial",
            min=0,
            help="Early recognition: every model and the ensemble on prefixes of N test "
            "drawings (report.json 'partial', partial.png); 0 for none.",
        ),
    ] = 0,
    json_path: Annotated[
        Path | None,
        typer.Option(
            "--json",
            help="Also write report.json's contents to this file ('-': stdout, instead of the "
            "table).",
        ),
    ] = None,
    pool: Annotated[
        Pool,
        typer.Option(
            "--pool",
            help="How the ensembles combine the models' probabilities: log (weighted geometric "
            "mean, renormalised) or linear (weighted mean).",
        ),
    ] = Pool.log,
    progress: Annotated[bool, typer.Option(help="Progress lines and bars on stderr.")] = True,
    strategy: Annotated[
        str, typer.Option(help="Training strategy: auto, default or mirrored (all GPUs here).")
    ] = "auto",
    precision: Annotated[
        str, typer.Option(help="float32, mixed_float16 or mixed_bfloat16 (softmax float32).")
    ] = "float32",
) -> None:
    """Train the bitmap CNN and the stroke model on the same drawings and compare them.

    With no arguments: the built-in synthetic doodles, a few minutes on 2 CPU cores. Writes
    OUT/report.md, OUT/report.json, figures (confusion matrices, per-class accuracy, training
    curves, wrong drawings) and every model's test predictions, and prints the results: top-1,
    top-3, MAP@3 and macro-F1 of every model and their ensemble, and whether the differences
    are significant (exact McNemar test, paired bootstrap interval; Holm-adjusted for three or
    more models, with ensembles of every subset fitted on the validation split).
    """
    from seqdoodle.comparison.job import compare
    from seqdoodle.reports import summary_table

    if data is not None and source:
        raise usage_error("give --data or --source, not both")
    run_paths = split_runs(runs)
    training_options = ("epochs", "kinds", "cnn_arch", "rnn_arch", "time_limit")
    refuse_together(
        ctx, run_paths is not None, "--runs (it only evaluates; they train)", *training_options
    )
    refuse_together(ctx, run_paths is not None, "--runs", "strategy", "precision")
    kind_list = [k.strip() for v in kinds or () for k in v.split(",") if k.strip()] or None
    names = parse_class_list(classes) if classes else None
    if not source:
        src = "synthetic"
    else:
        src = source[0] if len(source) == 1 else source
    report = compare(
        data=data,
        source=src,
        classes=names,
        per_class=per_class,
        runs=run_paths,
        out=out,
        epochs=epochs,
        seed=seed,
        progress=progress,
        cnn_arch=cnn_arch.value,
        rnn_arch=rnn_arch.value,
        time_limit=time_limit,
        kinds=kind_list,
        partial=partial,
        strategy=strategy,
        precision=precision,
        pool=pool.value,
    )
    if json_path is not None and json_path != Path("-"):
        json_path.parent.mkdir(parents=True, exist_ok=True)
        write_json(json_path, report)
    if json_path == Path("-"):  # stdout holds the JSON report only
        typer.echo(json.dumps(report, indent=2))
        return
    typer.echo(summary_table(report))
    typer.echo(f"report: {out / 'report.md'}")
