"""The arguments of one `train` call: checked (one-line errors) and resolved against the kind;
the dataset and the run to start from, opened; the teacher to distil from, identified (its
sha256 and classes, read without Keras) and resolved against a resumed run."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from seqdoodle.errors import DataFormatError, MissingFileError
from seqdoodle.fileio import sha256_file
from seqdoodle.kinds import get_kind
from seqdoodle.kinds.base import ModelKind
from seqdoodle.runs.layout import EnsembleLayout, RunLayout


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
    teacher: object = None  # a run or ensemble folder to distil from (`training.distill`)
    distill_temperature: float | None = None
    distill_alpha: float | None = None

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
    teacher=None,
    distill_temperature=None,
    distill_alpha=None,
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
    check_distill_args(teacher, distill_temperature, distill_alpha)
    if teacher is not None and strategy == "multiworker":
        raise DataFormatError("distillation (teacher) does not run with the multiworker strategy")
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
        teacher=teacher,
        distill_temperature=None if distill_temperature is None else float(distill_temperature),
        distill_alpha=None if distill_alpha is None else float(distill_alpha),
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


# ----------------------------------------------------------------------------- the teacher


DEFAULT_TEMPERATURE = 2.0  # distillation: softening of teacher and student
DEFAULT_ALPHA = 0.5  # distillation: weight of the true labels' cross-entropy


def check_distill_args(teacher, temperature, alpha) -> None:
    """Refuse bad distillation arguments with one line (None means the default or the run's)."""
    if temperature is not None and not float(temperature) > 0:
        raise DataFormatError(f"distill_temperature must be positive, got {temperature}")
    if alpha is not None and not 0.0 <= float(alpha) <= 1.0:
        raise DataFormatError(f"distill_alpha must be between 0 and 1, got {alpha}")
    if teacher is None and (temperature is not None or alpha is not None):
        raise DataFormatError("distill_temperature and distill_alpha go with teacher")


def teacher_identity(path) -> dict:
    """`{"path", "type", "sha256", "classes"}` of a teacher folder, read without Keras.

    The sha256 is that of `model.keras` for a run and of `ensemble.json` for an ensemble (which
    records the sha256 of every member's model, checked when it is loaded).
    """
    path = Path(path)
    ens, run = EnsembleLayout(path).manifest, RunLayout(path)
    if ens.is_file():
        kind, file, meta = "ensemble", ens, ens
    elif run.config.is_file() and run.model.is_file():
        kind, file, meta = "run", run.model, run.config
    else:
        raise MissingFileError(f"{path}: not a run folder nor an ensemble folder (the teacher)")
    try:
        classes = json.loads(meta.read_text("utf-8"))["classes"]
    except (ValueError, KeyError, TypeError):
        raise DataFormatError(f"{meta}: no class list; not a usable teacher") from None
    return {"path": str(path), "type": kind, "sha256": sha256_file(file), "classes": classes}


def check_teacher_classes(teacher_classes, classes, where) -> None:
    """One-line DataFormatError unless the teacher's classes are the dataset's, in order."""
    teacher_classes, classes = list(teacher_classes), list(classes)
    if teacher_classes == classes:
        return
    missing = [repr(c) for c in classes if c not in teacher_classes]
    extra = [repr(c) for c in teacher_classes if c not in classes]
    parts = [f"lacks {', '.join(missing)}"] * bool(missing)
    parts += [f"has extra {', '.join(extra)}"] * bool(extra)
    if not parts:
        i = next(i for i, (a, b) in enumerate(zip(teacher_classes, classes)) if a != b)
        parts = [f"same classes in another order (position {i}: {teacher_classes[i]!r}, "
                 f"dataset {classes[i]!r})"]  # fmt: skip
    what = "; ".join(parts)
    raise DataFormatError(f"{where}: the teacher's classes differ from the dataset's: {what}")


def resolve_teacher(teacher, temperature, alpha, stored_config, out, say) -> dict | None:
    """This call's distillation: `{"teacher": teacher_identity, "temperature", "alpha"}` or None.

    A fresh run (`stored_config` None) takes the arguments (None: the defaults). A resumed run
    keeps its recorded teacher, temperature and alpha; a `teacher` given must be that teacher
    (same sha256), and a run trained without one cannot gain one.
    """
    if stored_config is None:
        if teacher is None:
            return None
        return {
            "teacher": teacher_identity(teacher),
            "temperature": float(temperature or DEFAULT_TEMPERATURE),
            "alpha": float(DEFAULT_ALPHA if alpha is None else alpha),
        }
    recorded = stored_config.get("distillation")
    if recorded is None:
        if teacher is not None:
            raise DataFormatError(
                f"{out}: holds a run trained without a teacher; use another --out"
            )
        return None
    ident = {"path": recorded["teacher"], "type": recorded.get("teacher_type", "run"),
             "sha256": recorded["teacher_sha256"]}  # fmt: skip
    if teacher is not None:
        ident = teacher_identity(teacher)
        if ident["sha256"] != recorded["teacher_sha256"]:
            raise DataFormatError(
                f"{out}: was distilled from another teacher ({recorded['teacher']}, sha256 "
                f"{recorded['teacher_sha256'][:12]}...); use another --out"
            )
    ignored = [
        f"{name} {value}"
        for name, value in (("distill_temperature", temperature), ("distill_alpha", alpha))
        if value is not None and float(value) != recorded[name.split("_")[1]]
    ]
    if ignored:
        say(f"{out}: resuming with the run's distillation; ignored {', '.join(ignored)}")
    return {"teacher": ident, "temperature": recorded["temperature"], "alpha": recorded["alpha"]}
