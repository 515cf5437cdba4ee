"""`seqdoodle train KIND`: train a registered model kind on a prepared dataset folder.

One command per kind of `seqdoodle.kinds` (`train cnn`, `train rnn`, ...), with the kind's
architectures as `--arch` choices and its defaults in the help.
"""

# No `from __future__ import annotations`: the commands are built in a function and typer reads
# their annotations as objects.

from pathlib import Path
from typing import Annotated

import typer

from seqdoodle.cli.app import arch_enum, arch_help, handle_errors, train_app, usage_error
from seqdoodle.kinds import all_kinds
from seqdoodle.kinds.base import ModelKind

Data = Annotated[
    Path, typer.Option("--data", help="Prepared dataset folder (see `seqdoodle prepare`).")
]
Out = Annotated[
    Path, typer.Option("--out", help="Run folder to write; rerun the command to resume it.")
]
Seed = Annotated[int, typer.Option(help="Seed of weights, shuffling and augmentation.")]
InitFrom = Annotated[
    Path | None,
    typer.Option(
        "--init-from",
        help="Start from this run's weights; a different class list gets a new head.",
    ),
]
Teacher = Annotated[
    Path | None,
    typer.Option(
        "--teacher",
        help="Distil from this run or ensemble folder (same classes in the same order): "
        "alpha x cross-entropy + (1 - alpha) x T^2 x KL to its softened probabilities.",
    ),
]
DistillTemperature = Annotated[
    float | None,
    typer.Option(
        "--distill-temperature",
        help="Distillation temperature T (default 2; with --teacher).",
    ),
]
DistillAlpha = Annotated[
    float | None,
    typer.Option(
        "--distill-alpha",
        min=0.0,
        max=1.0,
        help="Weight of the true labels' cross-entropy, 0..1 (default 0.5; with --teacher).",
    ),
]
Freeze = Annotated[
    bool,
    typer.Option("--freeze-backbone", help="Train only the head (with --init-from)."),
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
Strategy = Annotated[
    str,
    typer.Option(
        help="auto, default, mirrored (all GPUs here) or multiworker (machines in TF_CONFIG); "
        "auto: multiworker with a TF_CONFIG, mirrored with 2+ GPUs, else default.",
    ),
]
Precision = Annotated[
    str,
    typer.Option(help="float32, mixed_float16 or mixed_bfloat16 (the softmax stays float32)."),
]


def _run(kind: str, data, out, arch, time_limit, **options) -> None:
    """Train with the command's options (`arch` is the option's enum; time limit 0 = none)."""
    if options.get("freeze_backbone") and options.get("init_from") is None:
        raise usage_error("--freeze-backbone goes with --init-from (a trained run to start from)")
    if options.get("teacher") is None and (
        options.get("distill_temperature") is not None or options.get("distill_alpha") is not None
    ):
        raise usage_error("--distill-temperature and --distill-alpha go with --teacher")
    from seqdoodle.training import train

    run = train(kind, data, out, arch=arch.value, time_limit=time_limit or None, **options)
    summary = run.summary
    if summary.get("already_finished"):
        return
    speed = summary.get("samples_per_second")
    typer.echo(
        f"{out}: {summary['epochs_run']} epochs in {summary['seconds'] / 60:.1f} min"
        + (f" ({speed:.0f} drawings/s)" if speed else "")
        + f"; model, metrics and history in {out}"
    )


def _add_command(kind: ModelKind) -> None:
    """Register `seqdoodle train KIND` with the kind's choices and defaults."""
    d = kind.defaults
    Arch = arch_enum(kind.name)
    default_arch = Arch(kind.archs[0])
    ArchOption = Annotated[Arch, typer.Option(help=arch_help(kind.name))]
    Epochs = Annotated[
        int | None,
        typer.Option(min=1, help=f"Epochs (default {d.epochs}); more extends a run."),
    ]
    BatchSize = Annotated[
        int | None,
        typer.Option("--batch-size", min=1, help=f"Batch size (default {d.batch_size})."),
    ]
    Lr = Annotated[
        float | None,
        typer.Option(min=0.0, help=f"Initial learning rate of Adam (default {d.lr:g})."),
    ]
    Patience = Annotated[
        int | None,
        typer.Option(
            min=1,
            help=f"Stop after this many epochs without a better val accuracy "
            f"(default {d.patience}).",
        ),
    ]

    def command(
        data: Data,
        out: Out,
        arch: ArchOption = default_arch,
        epochs: Epochs = None,
        batch_size: BatchSize = None,
        lr: Lr = None,
        seed: Seed = 0,
        init_from: InitFrom = None,
        freeze_backbone: Freeze = False,
        teacher: Teacher = None,
        distill_temperature: DistillTemperature = None,
        distill_alpha: DistillAlpha = None,
        patience: Patience = None,
        time_limit: TimeLimit = 14.0,
        max_train: MaxTrain = None,
        progress: Progress = True,
        strategy: Strategy = "auto",
        precision: Precision = "float32",
    ) -> None:
        options = dict(locals())  # the parameters (and `kind`, a free variable)
        options.pop("kind", None)
        _run(kind.name, **options)

    command.__name__ = f"train_{kind.name}"
    command.__qualname__ = command.__name__
    command.__doc__ = kind.summary or f"Train the {kind.title} on a prepared dataset."
    train_app.command(kind.name)(handle_errors(command))


for _kind in all_kinds():
    _add_command(_kind)
