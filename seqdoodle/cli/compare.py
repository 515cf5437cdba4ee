"""`seqdoodle compare`: train both models on the same drawings (or take two runs) and compare them.

`--runs` takes two run folders, as `--runs A --runs B` or `--runs A,B`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from seqdoodle.categories import parse_class_list
from seqdoodle.cli.app import CnnArch, RnnArch, app, handle_errors


def split_runs(values: list[str] | None) -> list[Path] | None:
    """The two run folders of `--runs`, given as two options or one comma-separated value.

    Example:
    >>> split_runs(["runs/cnn,runs/rnn"])
    [PosixPath('runs/cnn'), PosixPath('runs/rnn')]
    """
    if not values:
        return None
    parts = [p.strip() for v in values for p in v.split(",") if p.strip()]
    if len(parts) != 2:
        raise typer.BadParameter(
            f"give two run folders (--runs A --runs B, or --runs A,B), got {len(parts)}",
            param_hint="--runs",
        )
    return [Path(p) for p in parts]


@app.command("compare")
@handle_errors
def compare_command(
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
            help="Only evaluate two existing runs: --runs A --runs B (or --runs A,B). Without "
            "--data/--source they are scored on the test split of the dataset they were "
            "trained on.",
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
    progress: Annotated[bool, typer.Option(help="Progress lines and bars on stderr.")] = True,
) -> None:
    """Train the bitmap CNN and the stroke model on the same drawings and compare them.

    With no arguments: the built-in synthetic doodles, a few minutes on 2 CPU cores. Writes
    OUT/report.md, OUT/report.json, figures (confusion matrices, per-class accuracy, training
    curves, wrong drawings) and every model's test predictions, and prints the results: top-1,
    top-3, MAP@3 and macro-F1 of both models and their ensemble, and whether the difference is
    significant (exact McNemar test, paired bootstrap interval).
    """
    from seqdoodle.pipeline import compare, summary_table

    run_paths = split_runs(runs)
    if data is not None and source:
        raise typer.BadParameter("give --data or --source, not both", param_hint="--data")
    if run_paths is not None and epochs is not None:
        raise typer.BadParameter("--epochs trains; --runs only evaluates", param_hint="--epochs")
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
    )
    typer.echo(summary_table(report))
    typer.echo(f"report: {out / 'report.md'}")
