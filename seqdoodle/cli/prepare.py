"""`seqdoodle prepare`: build the dataset folder both models train on."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from seqdoodle.cli.app import app, handle_errors, usage_error
from seqdoodle.datasets.categories import parse_class_list


@app.command("prepare")
@handle_errors
def prepare_command(
    out: Annotated[Path, typer.Option("--out", help="Dataset folder to write.")],
    source: Annotated[
        list[str],
        typer.Option(
            "--source",
            help="Folder of per-class files (<class>.npy, .ndjson, Kaggle .csv, sketch-rnn .npz, "
            "binary .bin), or 'synthetic'. Repeat to read several folders (a class's files are "
            "read in the order given).",
        ),
    ] = ["synthetic"],  # noqa: B006 - typer needs a list default
    classes: Annotated[
        str | None, typer.Option("--classes", help="Comma-separated class names.")
    ] = None,
    all_classes: Annotated[
        bool, typer.Option("--all", help="Every class the source has (the default).")
    ] = False,
    per_class: Annotated[
        int, typer.Option("--per-class", min=1, help="Take the first N drawings of each class.")
    ] = 10000,
    val: Annotated[float, typer.Option(min=0.0, max=0.9, help="Validation fraction.")] = 0.1,
    test: Annotated[float, typer.Option(min=0.0, max=0.9, help="Test fraction.")] = 0.1,
    seed: Annotated[int, typer.Option(help="Seed of the split (and synthetic doodles).")] = 0,
    size: Annotated[int, typer.Option(min=8, max=256, help="Bitmap side in pixels.")] = 28,
    progress: Annotated[
        bool | None, typer.Option(help="Progress bars (default: when stderr is a terminal).")
    ] = None,
    recognized_only: Annotated[
        bool,
        typer.Option("--recognized-only", help="Keep only drawings Google's model recognised."),
    ] = False,
    countries: Annotated[
        str | None,
        typer.Option("--countries", help="Keep only these country codes, e.g. US,GB."),
    ] = None,
    split_from_source: Annotated[
        bool,
        typer.Option(
            "--split-from-source",
            help="Keep the source's own train/valid/test split (sketch-rnn .npz files).",
        ),
    ] = False,
) -> None:
    """Take the first N drawings per class, split them (stratified, seeded), render bitmaps.

    The result is one folder that the bitmap CNN and the stroke model both read, so they are trained
    and tested on the very same drawings. Rerun the same command to resume after an interruption.
    """
    from seqdoodle.datasets.filters import make_filter
    from seqdoodle.datasets.prepare import prepare

    if classes and all_classes:
        raise usage_error("give --classes or --all, not both")
    names = parse_class_list(classes) if classes else None
    src = source[0] if len(source) == 1 else source
    ds = prepare(
        src,
        out,
        classes=names,
        per_class=per_class,
        val=val,
        test=test,
        seed=seed,
        size=size,
        progress=progress,
        where=make_filter(recognized_only, countries),
        split_from_source=split_from_source,
    )
    counts = ds.counts()
    kind = "bitmaps + strokes" if ds.has_strokes else "bitmaps only"
    typer.echo(
        f"{out}: {len(ds.classes)} classes, {len(ds)} drawings ({kind}); "
        f"train {counts['train']}, val {counts['val']}, test {counts['test']}"
    )
    skipped = ds.manifest.get("skipped", {})
    if skipped:
        typer.echo(f"skipped bad lines: {sum(skipped.values())} (see manifest.json)")
    filtered = ds.manifest.get("filtered")
    if filtered:
        typer.echo(f"left out by the filter: {sum(filtered.values())} drawings")
