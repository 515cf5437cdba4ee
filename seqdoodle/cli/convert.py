"""`seqdoodle convert`: write drawings from any source in another Quick, Draw! format."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from seqdoodle.cli.app import app, handle_errors
from seqdoodle.datasets.categories import parse_class_list
from seqdoodle.datasets.convert import TARGETS

# Formats `convert` writes: those of the table of formats with a writer, and png.
Target = Enum("Target", {name.replace("-", "_"): name for name in TARGETS}, type=str)


@app.command("convert")
@handle_errors
def convert_command(
    source: Annotated[
        list[str],
        typer.Argument(
            help="Source folder(s) of per-class files (.ndjson, .npy, .csv, .npz, .bin), "
            "'synthetic', or a prepared dataset folder."
        ),
    ],
    to: Annotated[Target, typer.Option("--to", help="The format to write.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write, one file per class.")],
    classes: Annotated[
        str | None, typer.Option("--classes", help="Comma-separated class names.")
    ] = None,
    per_class: Annotated[
        int | None, typer.Option("--per-class", min=1, help="At most N drawings per class.")
    ] = None,
    recognized_only: Annotated[
        bool, typer.Option("--recognized-only", help="Keep only recognised drawings.")
    ] = False,
    countries: Annotated[
        str | None, typer.Option("--countries", help="Keep only these country codes, e.g. US,GB.")
    ] = None,
    progress: Annotated[
        bool | None, typer.Option(help="Progress bars (default: when stderr is a terminal).")
    ] = None,
) -> None:
    """Convert drawings, streaming one class at a time: feed magenta (sketchrnn), a Kaggle
    notebook (kaggle-csv), tools reading Google's binary files, or look at them (png).
    """
    from seqdoodle.datasets.convert import convert
    from seqdoodle.datasets.filters import make_filter

    names = parse_class_list(classes) if classes else None
    src = source[0] if len(source) == 1 else source
    written = convert(
        src,
        to.value,
        out,
        classes=names,
        per_class=per_class,
        where=make_filter(recognized_only, countries),
        progress=progress,
    )
    typer.echo(f"{out}: {sum(written.values())} drawings of {len(written)} classes as {to.value}")
