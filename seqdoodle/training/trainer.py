"""The trainer of one `train` call: set-up or resume, fit, per-epoch bookkeeping, final scoring.

The epoch commit protocol (`Trainer._commit_epoch`) is described in `seqdoodle.training`; the
learning-rate schedule and the time-limit plan are in `seqdoodle.training.schedule`, the run
folder's files in `seqdoodle.runs.layout`.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

from seqdoodle.errors import DataFormatError
from seqdoodle.fileio import save_keras, write_json
from seqdoodle.runs.layout import RunLayout
from seqdoodle.training.checks import TrainRequest, init_from_run
from seqdoodle.training.schedule import (
    EVAL_RESERVE_S,
    MIN_LR_FRACTION,
    cosine_lr,
    epochs_that_fit,
    monitor_callback,
)
from seqdoodle.training.state import HISTORY_KEYS, STOP_REASONS, defer_interrupt, new_state


class Trainer:
    """One call of `train` on an opened dataset and a locked run folder.

    Args:
        request: `TrainRequest`. The checked arguments.
        ds: `PreparedDataset`.
        out: Path. The run folder (locked by the caller).
        requested_epochs: int. Epochs this call trains up to.
        manifest_sha: str. sha256 of the dataset's manifest.
        state: dict or None. The checkpoint state to resume, None for a fresh run.
        say: callable. Prints one line (or nothing).
        started: float. `time.monotonic()` at the start of the call.
    """

    def __init__(
        self,
        request: TrainRequest,
        ds,
        out: Path,
        requested_epochs: int,
        manifest_sha: str,
        state: dict | None,
        say,
        started: float,
        dist=None,
    ):
        self.request = request
        self.dist = dist  # a seqdoodle.training.distribute_loop.Distribution; None: one device
        self.kind = request.kind
        self.ds = ds
        self.out = Path(out)
        self.requested_epochs = int(requested_epochs)
        self.manifest_sha = manifest_sha
        self.state = state
        self.say = say
        self.started = started
        self.time_limit = request.time_limit
        self.layout = RunLayout(self.out)
        self.config: dict = {}
        self.model = None
        self.resumed_from = 0
        self.n_test = 0
        self.train_batches = self.val_batches = None
        self.epoch_train_seconds: list[float] = []  # per epoch of this call, without validation
        self.cycle_seconds: list[float] = []  # from one epoch's end (or the start) to the next
        self.progress_start, self.epochs_left, self.last_plan = 0.0, 1, 0.0
        self.distill: dict | None = None  # this call's teacher, T and alpha (`training.distill`)
        self.targets = None  # its `TeacherTargets`

    # -- set-up

    def run(self):
        """Train up to `requested_epochs` (or resume), score the test split; the `Run`."""
        import keras

        ds = self.ds
        if self.dist is None:
            from seqdoodle.training.distribute_loop import Distribution

            self.dist = Distribution.create("default", self.request.precision)
        self._plan_distillation()
        model, config = self._fresh(keras) if self.state is None else self._resume(keras)
        self.config = config
        train_cfg = config["train"]
        train_idx = ds.indices("train")
        if train_cfg.get("max_train") and len(train_idx) > train_cfg["max_train"]:
            rng = np.random.default_rng([train_cfg["seed"], 3])
            train_idx = np.sort(rng.choice(train_idx, train_cfg["max_train"], replace=False))
        val_idx, test_idx = ds.indices("val"), ds.indices("test")
        self.n_test = len(test_idx)
        self.train_batches = self._batches(train_idx, train=True)
        if self.distill is not None:  # training batches carry the soft targets, validation not
            from seqdoodle.kinds.batches import SoftTargetBatches

            soft = self.targets.soft_targets(self.distill["temperature"])
            self.train_batches = SoftTargetBatches(self.train_batches, self.targets.rows, soft)
        self.val_batches = self._batches(val_idx, train=False) if len(val_idx) else None
        self.model = model
        if self.state["stop_reason"] is None and self.state["epoch"] < self.requested_epochs:
            self._fit()
        if self.state["stop_reason"] is None:
            self.state["stop_reason"] = "epochs"
        return self._finish(test_idx)

    def _plan_distillation(self) -> None:
        """The teacher (the request's, or the resumed run's) and its cached targets, or None."""
        from seqdoodle.training.distill import plan_distillation

        stored = self.state["config"] if self.state is not None else None
        self.distill, self.targets = plan_distillation(
            self.request, stored, self.ds, self.out, self.manifest_sha, self.say, self.dist
        )

    def _batches(self, indices, train: bool):
        cfg, input_config = self.config["train"], self.config["input"]
        return self.dist.batches(self.kind, self.ds, indices, cfg, input_config, train)

    def _fresh(self, keras):
        from seqdoodle import __version__
        from seqdoodle.models.task import compile_classifier

        kind, ds, request = self.kind, self.ds, self.request
        keras.utils.set_random_seed(request.seed)
        scope = self.dist.scope()
        if request.init_from is not None:
            with scope:
                model, input_config = init_from_run(
                    request.init_from, kind, ds.classes, request.freeze_backbone, self.say
                )
            kind.check_init_input(input_config, ds, str(request.init_from))
        else:
            input_config = kind.fit_input_config(ds, ds.indices("train"), seed=request.seed)
            with scope:
                model = kind.build_model(
                    request.arch, len(ds.classes), input_config, seed=request.seed
                )
        config = {
            "kind": kind.name,
            "arch": request.arch,
            "classes": list(ds.classes),
            "input": input_config,
            "dataset": {"path": str(ds.path), "manifest_sha256": self.manifest_sha},
            "train": {
                "epochs": self.requested_epochs,
                "batch_size": request.resolved_batch_size,
                "lr": request.resolved_lr,
                "seed": request.seed,
                "patience": request.patience,
                "max_train": request.max_train,
                "time_limit": request.time_limit,
                "init_from": None if request.init_from is None else str(request.init_from),
                "freeze_backbone": request.freeze_backbone,
                "schedule": f"cosine to {MIN_LR_FRACTION:g} x lr",
            },
            "seqdoodle_version": __version__,
        }
        self.dist.record(config["train"])
        with self.dist.strategy.scope():
            compile_classifier(model, self.dist.lr(config["train"]))
            if self.distill is not None:
                from seqdoodle.training.distill import compile_student, distillation_config

                d = self.distill
                compile_student(model, d["temperature"], d["alpha"])
                config["distillation"] = distillation_config(
                    d["teacher"], d["temperature"], d["alpha"], self.targets
                )
        self.dist.sync_model(model)
        self.state = new_state(config, self.requested_epochs)
        self.resumed_from = 0
        return model, config

    def _resume(self, keras):
        from seqdoodle.runs.folder import load_keras_model, save_run

        state, config = self.state, self.state["config"]
        cfg = config["train"]
        ignored = [
            f"{name} {value}"
            for name, value in (("batch_size", self.request.batch_size), ("lr", self.request.lr))
            if value is not None and value != cfg[name]
        ]
        if ignored:
            self.say(f"{self.out}: resuming with the run's settings; ignored {', '.join(ignored)}")
        self.say(f"{self.out}: resuming after epoch {state['epoch']}")
        last = self.layout.last_checkpoint
        # With the optimizer state; other workers get the chief's
        # (seqdoodle.training.distribute_loop).
        model = self.dist.resume_model(last, self.kind, config, load_keras_model)
        width = model.output_shape[-1]
        if width != len(config["classes"]):
            raise DataFormatError(
                f"{last}: the model outputs {width} scores but {self.layout.state} lists "
                f"{len(config['classes'])} classes"
            )
        self.kind.check_input_config(config["input"], str(self.layout.state))
        # A stop right after the commit can leave these behind the state (see _commit_epoch).
        if state["best_epoch"] == state["epoch"] and self.dist.is_chief:
            save_run(self.out, model, config, config["classes"])
        self._write_history()
        self.dist.record(cfg)  # the replicas of this call (the schedule follows them)
        keras.utils.set_random_seed(cfg["seed"] * 1000 + state["epoch"])
        self.resumed_from = state["epoch"]
        return model, config

    # -- training

    def _fit(self):
        progress = self.request.progress
        if progress is False:
            verbose = 0
        else:
            verbose = 1 if sys.stdout.isatty() else 2
        monitor = monitor_callback(self)
        self.last_plan = time.monotonic()
        self.dist.fit(self, [monitor, *self.request.callbacks], verbose)  # Model.fit or a loop

    def begin_epoch(self, epoch: int) -> None:
        """Fix this epoch's stretch of the schedule: from `progress` to 1 over the epochs left."""
        from seqdoodle.training.distribute import reset_seed_generators

        state = self.state
        self.progress_start = state["progress"]
        self.epochs_left = max(1, state["planned_epochs"] - epoch)
        # Dropout/augmentation noise of epoch `epoch` is the same whether or not the run resumed.
        reset_seed_generators(self.model, self.config["train"]["seed"], epoch)

    def lr_at(self, fraction: float) -> float:
        """Learning rate at `fraction` (0..1) of the current epoch."""
        progress = self.progress_start + (1 - self.progress_start) * fraction / self.epochs_left
        return cosine_lr(self.dist.lr(self.config["train"]), progress)

    def end_epoch(self, epoch: int, logs: dict, seconds: float, train_seconds: float, lr: float):
        """Record one finished epoch, keep the best model, plan, checkpoint; True to stop."""
        state, cfg = self.state, self.config["train"]
        history = state["history"]
        entry = {
            "epoch": epoch + 1,
            "loss": logs.get("loss"),
            "accuracy": logs.get("accuracy"),
            "val_loss": logs.get("val_loss"),
            "val_accuracy": logs.get("val_accuracy"),
            "lr": lr,
            "seconds": seconds,
        }
        for key in HISTORY_KEYS:
            value = entry[key]
            history[key].append(
                None if value is None else int(value) if key == "epoch" else float(value)
            )
        state["epoch"] = epoch + 1
        state["progress"] = self.progress_start + (1 - self.progress_start) / self.epochs_left
        state["train_seconds"] += seconds
        self.epoch_train_seconds.append(train_seconds)
        score = entry["val_accuracy"] if self.val_batches else entry["accuracy"]
        best = state["best_val_accuracy"]
        improved = best is None or (score is not None and score > best)
        if improved:
            state.update(best_val_accuracy=float(score), best_epoch=epoch + 1, wait=0)
        else:
            state["wait"] += 1
        stop = None
        limit = None if not self.time_limit else 60.0 * self.time_limit
        elapsed = time.monotonic() - self.started
        # The final test evaluation takes about as long as a validation pass scaled to its size.
        n_val = len(self.val_batches) if self.val_batches else 0
        reserve = EVAL_RESERVE_S + (seconds - train_seconds) * self.n_test / max(1, n_val)
        now = time.monotonic()
        self.cycle_seconds.append(now - self.last_plan)  # the epoch plus the last checkpoint
        self.last_plan = now
        if limit:  # re-plan after every epoch: as many epochs as fit
            planned = epochs_that_fit(
                self.cycle_seconds, limit - elapsed - reserve, state["epoch"], self.requested_epochs
            )
            if planned < self.requested_epochs and len(self.cycle_seconds) == 1:
                self.say(
                    f"time limit {self.time_limit:g} min: about {planned} of "
                    f"{self.requested_epochs} epochs fit; the learning-rate schedule follows"
                )
            state["planned_epochs"] = planned
        if state["epoch"] >= state["planned_epochs"]:
            stop = "epochs" if state["planned_epochs"] >= self.requested_epochs else "time_limit"
        elif state["wait"] >= cfg["patience"]:
            stop = "early_stopping"
        state["stop_reason"] = stop
        with defer_interrupt():  # Ctrl-C waits; a SIGKILL anywhere leaves a resumable folder
            self._commit_epoch(improved)
        return stop is not None

    def _commit_epoch(self, improved: bool) -> None:
        """Write one epoch: staged weights, the state (the commit), then what follows from it.

        Before the commit nothing the resume relies on changes: the weights go to
        `checkpoint/epoch-N.keras`. After it, the stage becomes `last.keras`, and the best model
        and history are written; `load_state` and `_resume` redo these when a stop cut them off.
        Only the first commit of a folder writes the best model before it (there is no earlier
        best to lose), so a folder with a state always has a loadable `model.keras`.
        """
        from seqdoodle.runs.folder import save_run

        if not self.dist.is_chief:
            return
        layout = self.layout
        first = not layout.state.exists()
        layout.checkpoint_dir.mkdir(parents=True, exist_ok=True)  # marks the folder as train's
        if improved and first:
            save_run(self.out, self.model, self.config, self.config["classes"])
        staged = layout.staged_checkpoint(self.state["epoch"])
        save_keras(self.model, staged)
        write_json(layout.state, self.state)
        os.replace(staged, layout.last_checkpoint)
        if improved and not first:
            save_run(self.out, self.model, self.config, self.config["classes"])
        self._write_history()

    def _write_history(self):
        if self.dist.is_chief:
            self.layout.write_history(self.state["history"], HISTORY_KEYS)

    # -- the end

    def _finish(self, test_idx):
        """Score the best model on the test split, store the summary; the run's `Run`."""
        from seqdoodle.runs.folder import Run, load_run

        state, out = self.state, self.out
        chief = self.dist.is_chief  # the other workers score nothing and write nothing
        run = load_run(out) if chief else Run(out, self.config)
        test_top1 = None
        if len(test_idx) and chief:
            test_top1 = self._score_test(run, test_idx)
        elif chief:
            self.say(f"{self.ds.path}: the test split is empty; no test metrics written")
        n_epochs = len(self.epoch_train_seconds)
        train_seconds = sum(self.epoch_train_seconds)
        summary = {
            "run": str(out),
            "kind": self.kind.name,
            "arch": self.config["arch"],
            "epochs_run": state["epoch"],
            "planned_epochs": state["planned_epochs"],
            "best_epoch": state["best_epoch"],
            "best_val_accuracy": state["best_val_accuracy"],
            "test_top1": test_top1,
            "stop_reason": state["stop_reason"],
            "resumed_from_epoch": self.resumed_from,
            "seconds": time.monotonic() - self.started,
            "samples_per_second": (
                n_epochs * len(self.train_batches) * self.dist.cluster.workers / train_seconds
                if train_seconds
                else None
            ),
            "already_finished": False,
        }
        state.update(finished=True, summary=summary)
        run.summary = summary
        if not chief:
            return run
        write_json(self.layout.state, state)
        from seqdoodle.reports.format import pct

        best = state["best_val_accuracy"]
        self.say(
            f"{out}: {state['epoch']} epochs ({STOP_REASONS[state['stop_reason']]}), "
            f"best val accuracy {pct(best or 0)} (epoch {state['best_epoch']}), "
            f"test top-1 {pct(test_top1)}"
        )
        return run

    def _score_test(self, run, test_idx) -> float:
        """Write the best model's test metrics and predictions; its top-1."""
        from seqdoodle.evaluation.report import evaluate_predictions, save_predictions
        from seqdoodle.runs.inference import predict_dataset

        layout = self.layout
        batch_size = self.config["train"]["batch_size"]
        probs = predict_dataset(run, self.ds, test_idx, batch_size=batch_size)
        y = self.ds.labels[test_idx]
        report = evaluate_predictions(y, probs, run.classes, name=self.out.name, kind=run.kind)
        report.n_params = run.n_params
        report.saved_size_bytes = run.saved_size_bytes
        report.predictions = {"path": layout.TEST_PREDICTIONS}
        save_predictions(layout.test_predictions, y, probs, run.classes, ids=test_idx)
        metrics = {**report.to_json(), "split": "test", "best_epoch": self.state["best_epoch"]}
        write_json(layout.metrics, metrics)
        return report.top1
