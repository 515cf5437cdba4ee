"""The `download` command: fetch per-class Quick, Draw! files from Google's bucket or a mirror."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from seqdoodle import fileio
from seqdoodle.cli.app import app, handle_errors, is_interactive, usage_error
from seqdoodle.datasets.categories import all_categories, parse_class_list
from seqdoodle.datasets.sources import download


class FileFormat(str, Enum):
    """Google's per-class file formats."""

    bitmap = "bitmap"
    simplified = "simplified"
    raw = "raw"
    binary = "binary"
    sketchrnn = "sketchrnn"


@app.command("download")
@handle_errors
def download_command(
    fmt: Annotated[
        FileFormat,
        typer.Option(
            "--format",
            "-f",
            help="bitmap (numpy_bitmap .npy, 28x28 uint8), simplified or raw (.ndjson strokes), "
            "binary (Google's .bin) or sketchrnn (magenta's .npz, read without running pickles).",
        ),
    ],
    classes: Annotated[
        str | None,
        typer.Option("--classes", "-c", help='Comma-separated class names, e.g. "cat,dog".'),
    ] = None,
    all_classes: Annotated[
        bool, typer.Option("--all", help="All 345 classes (about 40 GB for simplified).")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Data folder. Defaults to $SEQDOODLE_DATA, else ./data."),
    ] = None,
    dest: Annotated[
        Path | None, typer.Option("--dest", hidden=True, help="Deprecated: use --out.")
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            help="http(s)://, file:// URL or local folder in Google's layout. Defaults to "
            "$SEQDOODLE_BASE_URL, else Google's bucket.",
        ),
    ] = None,
) -> None:
    """Download per-class files into OUT/numpy_bitmap, simplified, raw, binary or sketchrnn.

    Unfinished downloads resume; files already complete are skipped. Example:
    seqdoodle download --format simplified --classes "cat,The Eiffel Tower" --out data
    """
    if classes is not None and all_classes:
        raise usage_error("give either --classes or --all, not both")
    if classes is None and not all_classes:
        raise usage_error("give either --classes or --all")
    if dest is not None:
        if out is not None:
            raise usage_error("--out and --dest cannot go together (--dest is the old --out)")
        typer.secho("Note: --dest is deprecated; use --out", fg=typer.colors.YELLOW, err=True)
        out = dest
    names = list(all_categories()) if all_classes else parse_class_list(classes)
    paths = download(
        names, fmt.value, fileio.data_home(out), base_url=base_url, progress=is_interactive()
    )
    for path in paths:
        typer.echo(str(path))
    typer.secho(f"{len(paths)} files ready in {paths[0].parent}", err=True)
