"""Train a registered model kind on a prepared dataset folder, resumably.

`train` streams batches straight from the prepared folder (the kind's `Batches`: memory-mapped
uint8 bitmaps, or stroke points turned into stroke-3 per batch, bucketed by length), fits with a
cosine learning-rate schedule and early stopping on validation accuracy, keeps the best model as
the run's `model.keras`, and after every epoch writes a checkpoint (`checkpoint/last.keras` with
the optimizer state, `checkpoint/state.json`) so that rerunning the same call continues where it
stopped. At the end the best model is scored on the test split (`metrics.json`,
`test_predictions.npz`).

Writing an epoch (`Trainer._commit_epoch`): `checkpoint/state.json` is the commit. The weights
are staged as `checkpoint/epoch-N.keras` before it and renamed to `last.keras` after it; the best
model (`model.keras`, `config.json`) and the history files follow it, except at a folder's first
commit, when the best model comes first so that a folder with a state always has a `model.keras`.
Resuming finishes whatever a stop left undone: renames a committed stage, drops an uncommitted one,
re-saves the best model from `last.keras` when the last epoch was the best, and rewrites the
history. A folder with `checkpoint/` but no state (stopped inside the first epoch) starts over.

`train` returns the run's `Run` (`seqdoodle.runs.folder`), its `summary` that of the call.

Modules: `checks` (arguments), `state` (the checkpoint schema and crash recovery), `trainer`
(the `Trainer` of one call), `schedule` (the learning rate and the time-limit plan), `distill`
(training from a teacher's probabilities: the loss, the cached targets), `cluster`,
`distribute` and `distribute_loop` (where training runs). The run folder's files are named in
`seqdoodle.runs.layout`.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from seqdoodle.errors import DataFormatError
from seqdoodle.fileio import folder_lock, sha256_file
from seqdoodle.progress import Reporter
from seqdoodle.training.checks import TrainRequest, check_request, open_dataset
from seqdoodle.training.schedule import cosine_lr
from seqdoodle.training.state import STOP_REASONS, load_state
from seqdoodle.training.trainer import Trainer

_Trainer = Trainer  # the name fault-injection tests patch

__all__ = ["TrainRequest", "Trainer", "cosine_lr", "train"]


def train(
    kind: str,
    data,
    out,
    arch: str | None = None,
    epochs: int | None = None,
    batch_size: int | None = None,
    lr: float | None = None,
    seed: int = 0,
    init_from=None,
    freeze_backbone: bool = False,
    patience: int | None = None,
    progress: bool | None = None,
    max_train: int | None = None,
    time_limit: float | None = 14.0,
    callbacks: list | None = None,
    strategy: str = "auto",
    precision: str = "float32",
    teacher=None,
    distill_temperature: float | None = None,
    distill_alpha: float | None = None,
):
    """Train a model on a prepared dataset and write a run folder; rerun to resume.

    Every None below takes the kind's default (`seqdoodle.kinds.get_kind(kind).defaults`; for
    the bitmap CNNs 20 epochs, batch 256, patience 3; for the stroke model 30 epochs, batch 128,
    patience 5; lr 2e-3 for both).

    Args:
        kind: str. A registered model kind (`seqdoodle.kinds.kind_names()`).
        data: path or `PreparedDataset`. A prepared dataset (`seqdoodle prepare`), opened or
            not; a kind with `needs_strokes` needs one prepared from strokes.
        out: path. The run folder to write (or to resume).
        arch: str or None. One of the kind's `archs`; None takes `archs[0]` ("default").
            Defaults to None.
        epochs: int or None. Number of epochs; None takes the kind's default. Rerunning a
            finished run with more epochs continues it. Defaults to None.
        batch_size: int or None. None takes the kind's default. Defaults to None.
        lr: float or None. Initial learning rate of Adam (cosine decay per step to 2% of it);
            None takes the kind's default. Defaults to None.
        seed: int. Seed of weights, shuffling, augmentation and dropout. Defaults to 0.
        init_from: path or None. A run folder of the same kind to start from: all weights are
            reused; if its classes differ the softmax head is replaced (weights of classes both runs
            share are kept). The run's input encoding is reused. Defaults to None.
        freeze_backbone: bool. Train only the head (with `init_from`). Defaults to False.
        patience: int or None. Stop after this many epochs without a better validation
            accuracy. None takes the kind's default. Defaults to None.
        progress: bool or None. False prints nothing; otherwise Keras' progress bar on a
            terminal and one line per epoch elsewhere. Defaults to None.
        max_train: int or None. Use a seeded sample of at most this many training drawings.
            Defaults to None (all).
        time_limit: float or None. Minutes for this call. After every epoch the number of
            epochs is re-planned to what fits (the cosine schedule is stretched or squeezed to
            end with the last of them), so training stops before the epoch that would overrun.
            None for no limit. Defaults to 14.
        callbacks: list or None. Extra `keras.callbacks.Callback`s. Defaults to None.
        strategy: str. `"auto"`, `"default"`, `"mirrored"` or `"multiworker"`
            (`seqdoodle.training.distribute`); with several replicas `batch_size` is per replica
            and the
            learning rate scales with them. Defaults to `"auto"`.
        precision: str. `"float32"`, `"mixed_float16"` or `"mixed_bfloat16"` (the softmax head
            stays float32). Defaults to `"float32"`.
        teacher: path or None. A run or ensemble folder with the dataset's classes (same order)
            to distil from (`seqdoodle.training.distill`): the loss becomes
            `alpha * CE + (1 - alpha) * T^2 * KL(teacher_T || student_T)`. Its training-split
            probabilities are predicted once and cached in `out`; a resumed run keeps its
            teacher. Defaults to None (no distillation).
        distill_temperature: float or None. T; None takes 2.0 (or the resumed run's).
            Defaults to None.
        distill_alpha: float or None. Weight of the true labels' cross-entropy, 0..1; None
            takes 0.5 (or the resumed run's). Defaults to None.

    Returns:
        `Run` of the folder (`seqdoodle.runs.folder`): the best model, `history`, `metrics` and
        `test_predictions`, and `summary`, a dict of this call: `run`, `kind`, `arch`,
        `epochs_run`, `planned_epochs`, `best_epoch`, `best_val_accuracy`, `test_top1`,
        `stop_reason`, `resumed_from_epoch`, `seconds` (this call), `samples_per_second`
        (training throughput of this call), `already_finished`. (`run["test_top1"]`, the
        summary's dict access of earlier releases, still works with a DeprecationWarning.) On
        the other workers of a multi-worker run, the model loads from the chief's folder on
        first use.

    Raises:
        MissingFileError: `data` or `init_from` does not exist.
        DataFormatError: bad arguments, a dataset the kind cannot read (e.g. bitmaps only for
            the stroke model), `out` holds a run of another kind, architecture, dataset or
            teacher, or a teacher whose classes are not the dataset's.

    Example:
    >>> run = train(kind_names()[0], "DATASET", "runs/cnn", epochs=2)  # doctest: +SKIP
    >>> run.summary["test_top1"], run.history["val_accuracy"]  # doctest: +SKIP
    (0.91, [0.85, 0.9])
    """
    started = time.monotonic()
    request = check_request(
        kind, arch=arch, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
        init_from=init_from, freeze_backbone=freeze_backbone, patience=patience,
        max_train=max_train, time_limit=time_limit, progress=progress, callbacks=callbacks,
        strategy=strategy, precision=precision, teacher=teacher,
        distill_temperature=distill_temperature, distill_alpha=distill_alpha,
    )  # fmt: skip
    say = Reporter(progress)
    ds = open_dataset(data)
    request.kind.check_dataset(ds)
    if not ds.counts()["train"]:
        raise DataFormatError(f"{ds.path}: the training split is empty; nothing to train on")
    if request.teacher is not None:  # before anything is written: one line
        from seqdoodle.training.checks import check_teacher_classes, teacher_identity

        taught = teacher_identity(request.teacher)
        check_teacher_classes(taught["classes"], ds.classes, request.teacher)
    out = Path(out)
    manifest_sha = sha256_file(ds.path / "manifest.json")
    from seqdoodle.training.distribute_loop import Distribution

    dist = Distribution.create(request.strategy, request.precision)
    with folder_lock(out, "train") if dist.is_chief else contextlib.nullcontext():
        state = None
        if dist.is_chief:  # only the chief reads and writes the run folder
            state = load_state(out, request.kind.name, request.arch, manifest_sha, say)
        state = dist.from_chief(state)
        stored = state["config"]["train"]["epochs"] if state else None
        requested = int(request.epochs or stored or request.kind.defaults.epochs)
        if state is not None and state["finished"] and requested <= stored:
            say(
                f"{out}: training already finished after {state['epoch']} epochs "
                f"({STOP_REASONS[state['stop_reason']]}); nothing to do "
                f"(give more than {stored} epochs to continue it)"
            )
            return _finished_run(out, state, dist.is_chief)
        if state is not None and requested != stored:
            if state["finished"]:
                say(f"{out}: continuing a finished run from {state['epoch']} to {requested} epochs")
            # Continue the cosine as if the run had been planned for `requested` epochs.
            position = min(state["progress"], state["epoch"] / requested)
            state.update(
                finished=False,
                stop_reason=None,
                wait=0,
                planned_epochs=requested,
                progress=position,
            )
            state["config"]["train"]["epochs"] = requested
        trainer = Trainer(request, ds, out, requested, manifest_sha, state, say, started, dist)
        return trainer.run()


def _finished_run(out: Path, state: dict, chief: bool):
    """The `Run` of a folder whose training had already finished (its stored summary)."""
    from seqdoodle.runs.folder import Run, load_run

    run = load_run(out) if chief else Run(out, state["config"])
    run.summary = {**state["summary"], "already_finished": True}
    return run
