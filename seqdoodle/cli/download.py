"""The `download` command: fetch per-class Quick, Draw! files from Google's bucket or a mirror."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from seqdoodle import fileio
from seqdoodle.categories import all_categories, parse_class_list
from seqdoodle.cli.app import EXIT_USAGE, app, handle_errors, is_interactive
from seqdoodle.datasets.sources import download


class FileFormat(str, Enum):
    """Google's per-class file formats."""

    bitmap = "bitmap"
    simplified = "simplified"
    raw = "raw"


@app.command("download")
@handle_errors
def download_command(
    fmt: Annotated[
        FileFormat,
        typer.Option(
            "--format",
            "-f",
            help="bitmap (numpy_bitmap .npy, 28x28 uint8), simplified or raw (.ndjson strokes).",
        ),
    ],
    classes: Annotated[
        str | None,
        typer.Option("--classes", "-c", help='Comma-separated class names, e.g. "cat,dog".'),
    ] = None,
    all_classes: Annotated[
        bool, typer.Option("--all", help="All 345 classes (about 40 GB for simplified).")
    ] = False,
    dest: Annotated[
        Path | None,
        typer.Option(help="Data folder. Defaults to $SEQDOODLE_DATA, else ./data."),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            help="http(s)://, file:// URL or local folder in Google's layout. Defaults to "
            "$SEQDOODLE_BASE_URL, else Google's bucket.",
        ),
    ] = None,
) -> None:
    """Download per-class files into DEST/numpy_bitmap, DEST/simplified or DEST/raw.

    Unfinished downloads resume; files already complete are skipped. Example:
    seqdoodle download --format simplified --classes "cat,The Eiffel Tower"
    """
    if (classes is None) == (not all_classes):
        # a usage error (exit 2); typer.BadParameter would be turned into exit 1 by handle_errors
        typer.secho("Error: give either --classes or --all", fg=typer.colors.RED, err=True)
        raise typer.Exit(EXIT_USAGE)
    names = list(all_categories()) if all_classes else parse_class_list(classes)
    paths = download(
        names, fmt.value, fileio.data_home(dest), base_url=base_url, progress=is_interactive()
    )
    for path in paths:
        typer.echo(str(path))
    typer.secho(f"{len(paths)} files ready in {paths[0].parent}", err=True)
