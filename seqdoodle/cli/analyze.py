"""`seqdoodle analyze`: exploratory figures and tables of a data folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from seqdoodle.cli.app import app, handle_errors
from seqdoodle.datasets.categories import parse_class_list


@app.command("analyze")
@handle_errors
def analyze_command(
    out: Annotated[Path, typer.Option("--out", help="Folder for the PNGs and summary.md/json.")],
    source: Annotated[
        list[str],
        typer.Option(
            "--source",
            help="Folder of per-class <class>.npy or <class>.ndjson files, or 'synthetic'. "
            "Repeat to read several folders (e.g. simplified, raw and bitmap).",
        ),
    ] = ["synthetic"],  # noqa: B006 - typer needs a list default
    classes: Annotated[
        str | None,
        typer.Option("--classes", help="Comma-separated class names. Default: every class found."),
    ] = None,
    per_class: Annotated[
        int,
        typer.Option("--per-class", min=1, help="Read at most the first N drawings per class."),
    ] = 500,
    seed: Annotated[
        int, typer.Option(help="Seed of the sample grids (and synthetic doodles).")
    ] = 0,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    recognized_only: Annotated[
        bool, typer.Option("--recognized-only", help="Only drawings Google's model recognised.")
    ] = False,
    countries: Annotated[
        str | None, typer.Option("--countries", help="Only these country codes, e.g. US,GB.")
    ] = None,
) -> None:
    """Per-class statistics and figures: samples, mean images, pixel values, ink, strokes, time.

    Writes PNG figures, summary.md (one table per source kind) and summary.json into --out.
    Only the first --per-class drawings of each class are read, never whole large files.
    """
    from seqdoodle.datasets.filters import make_filter
    from seqdoodle.reports.analysis import analyze

    names = parse_class_list(classes) if classes else None
    src = source[0] if len(source) == 1 else source
    where = make_filter(recognized_only, countries)
    summary = analyze(
        src, out, classes=names, per_class=per_class, seed=seed, progress=progress, where=where
    )
    parts = []
    for kind, part in summary["kinds"].items():
        n_figures = sum(len(files) for files in part["figures"].values())
        parts.append(
            f"{kind}: {len(part['classes'])} classes, {part['drawings']} drawings, "
            f"{n_figures} figures"
        )
    typer.echo(f"{out}: " + "; ".join(parts))
    skipped = sum(part["skipped_lines"] for part in summary["kinds"].values())
    if skipped:
        typer.echo(f"skipped bad lines: {skipped} (see {out / 'summary.md'})")
    typer.echo(f"summary: {out / 'summary.md'}")
