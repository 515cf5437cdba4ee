"""`seqdoodle train cnn` and `seqdoodle train rnn`: train a model on a prepared dataset folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from seqdoodle.cli.app import CnnArch, RnnArch, handle_errors, train_app

Data = Annotated[
    Path, typer.Option("--data", help="Prepared dataset folder (see `seqdoodle prepare`).")
]
Out = Annotated[
    Path, typer.Option("--out", help="Run folder to write; rerun the command to resume it.")
]
Epochs = Annotated[
    int | None,
    typer.Option(min=1, help="Epochs (default 10 for cnn, 30 for rnn); more extends a run."),
]
BatchSize = Annotated[
    int | None, typer.Option("--batch-size", min=1, help="Batch size (default 256 cnn, 128 rnn).")
]
Lr = Annotated[
    float | None, typer.Option(min=0.0, help="Initial learning rate of Adam (default 0.002).")
]
Seed = Annotated[int, typer.Option(help="Seed of weights, shuffling and augmentation.")]
InitFrom = Annotated[
    Path | None,
    typer.Option(
        "--init-from",
        help="Start from this run's weights; a different class list gets a new head.",
    ),
]
Freeze = Annotated[
    bool,
    typer.Option("--freeze-backbone", help="Train only the head (with --init-from)."),
]
Patience = Annotated[
    int | None,
    typer.Option(
        min=1, help="Stop after this many epochs without a better val accuracy [cnn 3, rnn 5]."
    ),
]
TimeLimit = Annotated[
    float,
    typer.Option(
        "--time-limit",
        min=0.0,
        help="Minutes; stop cleanly after the epoch that would overrun them (0 for no limit).",
    ),
]
MaxTrain = Annotated[
    int | None,
    typer.Option("--max-train", min=1, help="Train on a seeded sample of at most N drawings."),
]
Progress = Annotated[
    bool, typer.Option(help="Progress bar on a terminal, one line per epoch otherwise.")
]


def _run(kind: str, data, out, arch, time_limit, **options) -> None:
    """Train with the command's options (`arch` is the option's enum; time limit 0 = none)."""
    from seqdoodle.training import train

    summary = train(kind, data, out, arch=arch.value, time_limit=time_limit or None, **options)
    if summary.get("already_finished"):
        return
    speed = summary.get("samples_per_second")
    typer.echo(
        f"{out}: {summary['epochs_run']} epochs in {summary['seconds'] / 60:.1f} min"
        + (f" ({speed:.0f} drawings/s)" if speed else "")
        + f"; model, metrics and history in {out}"
    )


@train_app.command("cnn")
@handle_errors
def train_cnn(
    data: Data,
    out: Out,
    arch: Annotated[
        CnnArch, typer.Option(help="default (batch norm, augmentation) or baseline (hobby CNN).")
    ] = CnnArch.default,
    epochs: Epochs = None,
    batch_size: BatchSize = None,
    lr: Lr = None,
    seed: Seed = 0,
    init_from: InitFrom = None,
    freeze_backbone: Freeze = False,
    patience: Patience = None,
    time_limit: TimeLimit = 14.0,
    max_train: MaxTrain = None,
    progress: Progress = True,
) -> None:
    """Train the bitmap CNN on a prepared dataset's 28x28 bitmaps.

    Keeps the best model by validation accuracy in OUT/model.keras, writes history.csv/json and
    training.png, and scores the test split at the end (metrics.json). After every epoch a
    checkpoint is saved: rerun the same command after an interruption to continue.
    """
    _run("cnn", **locals())


@train_app.command("rnn")
@handle_errors
def train_rnn(
    data: Data,
    out: Out,
    arch: Annotated[
        RnnArch,
        typer.Option(help="default (strided Conv1D + BiLSTM-96, fast) or tutorial (3 BiLSTM-128)."),
    ] = RnnArch.default,
    epochs: Epochs = None,
    batch_size: BatchSize = None,
    lr: Lr = None,
    seed: Seed = 0,
    init_from: InitFrom = None,
    freeze_backbone: Freeze = False,
    patience: Patience = None,
    time_limit: TimeLimit = 14.0,
    max_train: MaxTrain = None,
    progress: Progress = True,
) -> None:
    """Train the stroke Conv1D + recurrent model on a prepared dataset's stroke sequences.

    Needs a dataset prepared from strokes (ndjson or synthetic). The dx/dy scale is fitted on the
    training split and saved with the run. Rerun the same command after an interruption to
    continue from the last finished epoch.
    """
    _run("rnn", **locals())
