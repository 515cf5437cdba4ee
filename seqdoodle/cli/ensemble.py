"""`seqdoodle ensemble`: fit ensemble weights on a validation split and write an ensemble folder.

The folder opens like a run (`seqdoodle.runs.ensemble.load_model`): `predict`, `evaluate`,
`compare --runs`, `serve` and `export` take it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from seqdoodle.cli.app import app, handle_errors, usage_error
from seqdoodle.cli.compare import Pool
from seqdoodle.reports import num, pct, text_table


@app.command("ensemble")
@handle_errors
def ensemble_command(
    runs: Annotated[
        list[Path],
        typer.Argument(
            metavar="RUN RUN [RUN...]", help="Two or more run folders trained on the same classes."
        ),
    ],
    data: Annotated[
        Path,
        typer.Option(
            "--data",
            help="Prepared dataset whose validation split fits the weights (usually the one the "
            "runs were trained on).",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Ensemble folder to write.")],
    pool: Annotated[
        Pool,
        typer.Option(
            "--pool",
            help="How the runs' probabilities are combined: log (weighted geometric mean, "
            "renormalised) or linear (weighted mean).",
        ),
    ] = Pool.log,
    copy: Annotated[
        bool,
        typer.Option(
            "--copy",
            help="Copy the runs' model files into the folder instead of referring to them.",
        ),
    ] = False,
    progress: Annotated[bool, typer.Option(help="Progress lines on stderr.")] = True,
) -> None:
    """Pool runs into one model: weights fitted on the validation split, as `compare` fits them.

    Writes OUT/ensemble.json (the runs, by path and the sha256 of their model files, their
    weights, the pool, the classes and the validation scores the weights were fitted on) and
    prints the weights and those scores. A run whose model file changes afterwards is refused
    when the ensemble is loaded.
    """
    if len(runs) < 2:
        raise usage_error(f"give two or more run folders, got {len(runs)}")
    from seqdoodle.runs.ensemble import fit_ensemble

    ens = fit_ensemble(runs, data, out, pool=pool.value, copy=copy, progress=progress)
    typer.echo(ensemble_table(ens))
    typer.echo(f"ensemble: {ens.layout.manifest}")


def ensemble_table(ens) -> str:
    """The members' weights and validation scores, and the ensemble's, as a text table."""
    scores = ens.validation
    members = scores.get("members") or {}
    rows = [["model", "kind", "weight", "val top-1", "val log-loss"]]
    for name, run in ens.members.items():
        s = members.get(name) or {}
        rows.append(
            [name, run.kind, num(ens.weights[name], 3), pct(s.get("top1")), num(s.get("log_loss"))]
        )
    s = scores.get("ensemble") or {}
    rows.append(["ensemble", f"{ens.pool} pool", "", pct(s.get("top1")), num(s.get("log_loss"))])
    n = scores.get("n_drawings")
    head = f"{ens.path}: {len(ens.members)} runs, {len(ens.classes)} classes"
    if n:
        head += f", weights fitted on {n} validation drawings"
    return head + "\n" + text_table(rows, right=[False, False, True, True, True])
