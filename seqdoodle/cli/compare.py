"""`seqdoodle compare`: train models on the same drawings (or take runs) and compare them.

`--runs` takes two or more run folders, as `--runs A --runs B --runs C` or `--runs A,B,C`; an
ensemble folder among them is scored as one model. `--save-ensemble ENS` writes the ensemble of
the compared runs, with the weights fitted here, as an ensemble folder.
`--arch KIND=ARCH` (repeated, or comma-separated) sets the architecture of a kind trained; kinds,
archs and the demo's sizes in the help come from the registry (`seqdoodle.kinds`).
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from seqdoodle.cli.app import app, handle_errors, refuse_together, usage_error
from seqdoodle.datasets.categories import parse_class_list
from seqdoodle.errors import DataFormatError
from seqdoodle.fileio import write_json
from seqdoodle.kinds import (
    ARCH_KEYWORDS,
    all_kinds,
    arch_choices_text,
    choices_text,
    compared_kinds,
    get_kind,
)


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


def parse_archs(values: list[str] | None) -> dict[str, str]:
    """`--arch` values (`KIND=ARCH`, repeated or comma-separated) as `{kind: arch}`.

    Raises:
        typer.BadParameter: not `KIND=ARCH`, an unknown kind or arch (naming the choices), or
            two archs for one kind.

    Example:
    >>> parse_archs(["cnn=baseline,rnn=tutorial"])
    {'cnn': 'baseline', 'rnn': 'tutorial'}
    """
    archs: dict[str, str] = {}
    for item in (p.strip() for v in values or () for p in v.split(",") if p.strip()):
        kind, sep, arch = (part.strip() for part in item.partition("="))
        try:
            if not sep or not kind or not arch:
                raise DataFormatError(f"give KIND=ARCH ({arch_choices_text()}), got {item!r}")
            name = get_kind(kind).name
            get_kind(name).check_arch(arch)
            if archs.get(name, arch) != arch:
                raise DataFormatError(f"two archs for {name}: {archs[name]} and {arch}")
        except DataFormatError as e:
            raise typer.BadParameter(str(e), param_hint="--arch") from None
        archs[name] = arch
    return archs


def _deprecated_archs(values: dict[str, str | None]) -> dict[str, str]:
    """The hidden `--cnn-arch`/`--rnn-arch` as `{kind: arch}`, each with a note on stderr."""
    found = {}
    for keyword, arch in values.items():
        if arch is None:
            continue
        kind, option = ARCH_KEYWORDS[keyword], "--" + keyword.replace("_", "-")
        typer.echo(f"Note: {option} is deprecated; use --arch {kind}={arch}", err=True)
        try:
            found[kind] = get_kind(kind).check_arch(arch)
        except DataFormatError as e:
            raise typer.BadParameter(str(e), param_hint=option) from None
    return found


def _demo_text(field: str) -> str:
    """`"8 cnn, 15 rnn"`: a `ModelKind.demo` field of the kinds that set it."""
    values = [(getattr(k.demo, field), k.name) for k in all_kinds()]
    return ", ".join(f"{v:g} {name}" for v, name in values if v is not None)


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
            min=1,
            help=f"Epochs of each model (default {_demo_text('epochs')} for the synthetic demo, "
            "else each kind's own).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the split, weights and bootstrap.")] = 0,
    arch: Annotated[
        list[str] | None,
        typer.Option(
            "--arch",
            metavar="KIND=ARCH",
            help=f"Architecture of a kind trained, repeated or comma-separated: "
            f"{arch_choices_text()}; default: each kind's first.",
        ),
    ] = None,
    cnn_arch: Annotated[
        str | None, typer.Option("--cnn-arch", hidden=True, help="Deprecated: --arch cnn=ARCH.")
    ] = None,
    rnn_arch: Annotated[
        str | None, typer.Option("--rnn-arch", hidden=True, help="Deprecated: --arch rnn=ARCH.")
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--time-limit",
            min=0.0,
            help="Minutes of training per model, 0 for none (default "
            f"{_demo_text('time_limit')} for the synthetic demo, else 14).",
        ),
    ] = None,
    kinds: Annotated[
        list[str] | None,
        typer.Option(
            "--kinds",
            help=f"Model kinds to train, repeated or comma-separated ({choices_text()}); "
            f"default {' and '.join(compared_kinds())}.",
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
    save_ensemble: Annotated[
        Path | None,
        typer.Option(
            "--save-ensemble",
            metavar="ENS",
            help="Also write the ensemble of all compared runs (weights fitted on the "
            "validation split) as an ensemble folder that predict, evaluate, serve and export "
            "take.",
        ),
    ] = None,
    progress: Annotated[bool, typer.Option(help="Progress lines and bars on stderr.")] = True,
    strategy: Annotated[
        str, typer.Option(help="Training strategy: auto, default or mirrored (all GPUs here).")
    ] = "auto",
    precision: Annotated[
        str, typer.Option(help="float32, mixed_float16 or mixed_bfloat16 (softmax float32).")
    ] = "float32",
) -> None:
    """Train models of several kinds on the same drawings and compare them.

    By default the bitmap CNN and the stroke model (--kinds picks others, --arch their
    architectures).

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
    training_options = ("epochs", "kinds", "arch", "cnn_arch", "rnn_arch", "time_limit")
    refuse_together(
        ctx, run_paths is not None, "--runs (it only evaluates; they train)", *training_options
    )
    refuse_together(ctx, run_paths is not None, "--runs", "strategy", "precision")
    kind_list = [k.strip() for v in kinds or () for k in v.split(",") if k.strip()] or None
    archs = _deprecated_archs({"cnn_arch": cnn_arch, "rnn_arch": rnn_arch})
    archs.update(parse_archs(arch))
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
        time_limit=time_limit,
        kinds=kind_list,
        archs=archs or None,
        partial=partial,
        strategy=strategy,
        precision=precision,
        pool=pool.value,
        save_ensemble=save_ensemble,
    )
    if json_path is not None and json_path != Path("-"):
        json_path.parent.mkdir(parents=True, exist_ok=True)
        write_json(json_path, report)
    if json_path == Path("-"):  # stdout holds the JSON report only
        typer.echo(json.dumps(report, indent=2))
        return
    typer.echo(summary_table(report))
    typer.echo(f"report: {out / 'report.md'}")
    if save_ensemble is not None:
        typer.echo(f"ensemble: {save_ensemble}")
