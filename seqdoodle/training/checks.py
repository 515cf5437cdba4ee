"""The arguments of one `train` call: checked (one-line errors) and resolved against the kind;
the dataset and the run to start from, opened."""

from __future__ import annotations

from dataclasses import dataclass, field

from seqdoodle.errors import DataFormatError
from seqdoodle.kinds import get_kind
from seqdoodle.kinds.base import ModelKind


@dataclass
class TrainRequest:
    """What one `train` call asks for, checked; None means "the kind's default" (or the run's).

    `patience` is resolved already; `epochs` is resolved against a stored run by `train`.
    """

    kind: ModelKind
    arch: str
    epochs: int | None
    batch_size: int | None
    lr: float | None
    seed: int
    init_from: object
    freeze_backbone: bool
    patience: int
    max_train: int | None
    time_limit: float | None
    progress: bool | None
    callbacks: list = field(default_factory=list)
    strategy: str = "auto"
    precision: str = "float32"

    @property
    def resolved_batch_size(self) -> int:
        return int(self.batch_size or self.kind.defaults.batch_size)

    @property
    def resolved_lr(self) -> float:
        return float(self.lr or self.kind.defaults.lr)


def check_request(
    kind,
    *,
    arch=None,
    epochs=None,
    batch_size=None,
    lr=None,
    seed=0,
    init_from=None,
    freeze_backbone=False,
    patience=None,
    max_train=None,
    time_limit=None,
    progress=None,
    callbacks=None,
    strategy="auto",
    precision="float32",
) -> TrainRequest:
    """Check `train`'s arguments before anything is read or written; fill in the kind."""
    model_kind = get_kind(kind)
    if arch is None:
        arch = model_kind.archs[0]
    model_kind.check_arch(arch)
    for name, value in (("epochs", epochs), ("batch_size", batch_size), ("max_train", max_train)):
        if value is not None and int(value) < 1:
            raise DataFormatError(f"{name} must be at least 1, got {value}")
    if lr is not None and not lr > 0:
        raise DataFormatError(f"lr must be positive, got {lr}")
    if patience is None:
        patience = model_kind.defaults.patience
    if patience < 1:
        raise DataFormatError(f"patience must be at least 1, got {patience}")
    if freeze_backbone and init_from is None:
        raise DataFormatError("freeze_backbone needs init_from (a trained run to start from)")
    if time_limit is not None and time_limit < 0:
        raise DataFormatError(f"time_limit must be at least 0 minutes, got {time_limit}")
    from seqdoodle.training.cluster import STRATEGIES
    from seqdoodle.training.distribute import check_precision

    if strategy not in STRATEGIES:
        raise DataFormatError(f"unknown strategy {strategy!r}; choose {', '.join(STRATEGIES)}")
    check_precision(precision)
    return TrainRequest(
        kind=model_kind,
        arch=arch,
        epochs=None if epochs is None else int(epochs),
        batch_size=None if batch_size is None else int(batch_size),
        lr=lr,
        seed=int(seed),
        init_from=init_from,
        freeze_backbone=bool(freeze_backbone),
        patience=int(patience),
        max_train=max_train,
        time_limit=time_limit,
        progress=progress,
        callbacks=list(callbacks or []),
        strategy=strategy,
        precision=precision,
    )


def open_dataset(data):
    """`data` as a `PreparedDataset`: an opened one as it is, a folder opened (and checked)."""
    from seqdoodle.datasets.prepared import PreparedDataset

    return data if isinstance(data, PreparedDataset) else PreparedDataset(data)


def init_from_run(path, kind, classes: list[str], freeze: bool, say):
    """Model and input config of a fresh run that starts from the run at `path`."""
    from seqdoodle.models.task import freeze_backbone, replace_head
    from seqdoodle.runs.folder import load_run

    source = load_run(path)
    if source.kind != kind.name:
        raise DataFormatError(
            f"{path}: holds a {source.kind!r} model; cannot start a {kind.name!r} model from it"
        )
    model = source.model
    if list(source.classes) != list(classes):
        shared = len(set(source.classes) & set(classes))
        say(
            f"{path}: new head for {len(classes)} classes "
            f"({shared} shared with the run's {len(source.classes)})"
        )
        model = replace_head(model, source.classes, classes)
    if freeze:
        freeze_backbone(model)
    return model, source.input_config
