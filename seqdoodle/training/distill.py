"""Knowledge distillation: train any model kind on a teacher's softened probabilities too.

`train(..., teacher=PATH)` (a run or an ensemble folder) trains the student with
`alpha * CE(y, p) + (1 - alpha) * T^2 * KL(teacher_T || student_T)`: `p` the student's softmax
output, `CE` the kind's loss (sparse cross-entropy), `student_T = softmax(log(p) / T)` (equal to
`softmax(logits / T)`), `teacher_T = softmax(log(q) / (c * T))` with `q` the teacher's
probabilities and `c` the confidence temperature below; `T^2` keeps the soft term's gradient
scale independent of `T` (Hinton et al., 2015). Defaults: `T = 2`, `alpha = 0.5`.

The teacher predicts the training split once; the probabilities are cached in the student's run
folder (`teacher_probs.npy`, temporary name then rename; then `teacher_probs.json`, the commit,
keyed by the teacher's sha256 and the dataset manifest's), so a resumed run never predicts again
and another teacher recomputes. Training batches carry `(b, 1 + C)` targets, the label then
`teacher_T` (`seqdoodle.kinds.batches.SoftTargetBatches`); validation keeps `(b,)` labels, so
`val_loss` and `val_accuracy` are the usual ones. The saved `model.keras` is uncompiled, so a
distilled run loads like any other.

Teacher overconfidence. A teacher that was trained on these very drawings is nearly one-hot on
them: it remembers them, and would pass that overconfidence on instead of the class similarities
it shows on drawings it has not seen. The fix here is confidence matching: its training-split
probabilities are tempered by `c >= 1`, fitted by bisection so that their mean top-1 probability
equals the teacher's mean top-1 probability on the validation split (`c = 1` when it is no more
confident on its training drawings); `c` is fitted once, with the cache, and recorded in
`config.json["distillation"]`. Cross-fitted teachers (k teachers, each predicting the k-th of the
training split it did not see) would be the stronger remedy, at k times the teacher's training.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

from seqdoodle.errors import DataFormatError
from seqdoodle.fileio import save_npy, write_json
from seqdoodle.training.checks import (  # noqa: F401  (the defaults are part of this API)
    DEFAULT_ALPHA,
    DEFAULT_TEMPERATURE,
    check_teacher_classes,
    resolve_teacher,
    teacher_identity,
)

CACHE_PROBS = "teacher_probs.npy"  # (n_train, C) float32: the teacher's raw probabilities
CACHE_INFO = "teacher_probs.json"  # its key and the fitted confidence temperature; the commit
FIT_ROWS = 20_000  # the confidence temperature is fitted on at most this many rows a split
EPS = 1e-7


def temper(probs: np.ndarray, temperature: float) -> np.ndarray:
    """`softmax(log(probs) / temperature)` row-wise, `(n, C) float64`."""
    z = np.log(np.clip(np.asarray(probs, np.float64), EPS, 1.0)) / float(temperature)
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def mean_top1(probs: np.ndarray, temperature: float = 1.0) -> float:
    """Mean top-1 probability of `temper(probs, temperature)`."""
    return float(temper(probs, temperature).max(axis=1).mean())


def fit_confidence_temperature(train_probs, val_probs, iterations: int = 60) -> float:
    """The `c >= 1` with `mean_top1(train_probs, c) == mean_top1(val_probs)` (bisection on log c).

    1.0 when the teacher is not more confident on the training split (or there is no validation
    split); mean top-1 falls monotonically with `c` towards `1 / C`, so the root is unique.
    """
    if not len(val_probs) or not len(train_probs):
        return 1.0
    target = mean_top1(val_probs)
    if mean_top1(train_probs) <= target:
        return 1.0
    lo, hi = 0.0, np.log(1e4)
    if mean_top1(train_probs, np.exp(hi)) > target:
        return float(np.exp(hi))
    for _ in range(iterations):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if mean_top1(train_probs, np.exp(mid)) > target else (lo, mid)
    return float(np.exp((lo + hi) / 2))


def _sample(rows: np.ndarray, n: int) -> np.ndarray:
    return rows if len(rows) <= n else np.sort(np.random.default_rng(0).choice(rows, n, False))


class TeacherTargets:
    """The teacher's probabilities on the training split, tempered, and what identifies them.

    Attributes:
        rows: `(n,) int64` the training rows (sorted). probs: `(n, C) float32` the teacher's
        raw probabilities. info: dict (`teacher_probs.json`): key, `confidence_temperature`,
        mean top-1 on train/val. from_cache: bool.
    """

    def __init__(self, rows, probs, info: dict, from_cache: bool):
        self.rows, self.probs, self.info, self.from_cache = rows, probs, info, from_cache

    @property
    def confidence_temperature(self) -> float:
        return float(self.info["confidence_temperature"])

    def soft_targets(self, temperature: float) -> np.ndarray:
        """`(n, C) float32` `softmax(log q / (c * T))`: confidence-matched, then at `T`."""
        return temper(self.probs, self.confidence_temperature * temperature).astype(np.float32)


def teacher_targets(teacher: dict, ds, out, manifest_sha: str, say) -> TeacherTargets:
    """The teacher's training-split probabilities: from the cache in `out`, else predicted.

    Args:
        teacher: dict. `teacher_identity` of the teacher (its path, type, sha256).
        ds: `PreparedDataset`. out: path, the student's run folder. manifest_sha: str.
        say: callable printing one line.
    """
    out = Path(out)
    rows = ds.indices("train")
    key = {"teacher_sha256": teacher["sha256"], "manifest_sha256": manifest_sha}
    probs_path, info_path = out / CACHE_PROBS, out / CACHE_INFO
    if info_path.is_file() and probs_path.is_file():
        try:
            info = json.loads(info_path.read_text("utf-8"))
            probs = np.load(probs_path, allow_pickle=False)
        except (ValueError, OSError):
            info, probs = {}, None
        if (
            info.get("key") == key
            and probs is not None
            and probs.shape == (len(rows), len(ds.classes))
        ):
            say(f"{out}: teacher probabilities from {CACHE_PROBS} (cached)")
            return TeacherTargets(rows, probs, info, from_cache=True)
    from seqdoodle.runs.ensemble import load_model

    model = load_model(teacher["path"])
    check_teacher_classes(model.classes, ds.classes, teacher["path"])
    if teacher_identity(teacher["path"])["sha256"] != teacher["sha256"]:
        raise DataFormatError(
            f"{teacher['path']}: the teacher changed (sha256 differs from "
            f"{teacher['sha256'][:12]}..., the one {out} is distilled from); use another --out"
        )
    say(f"{teacher['path']}: predicting the {len(rows)} training drawings (the teacher)")
    probs = np.asarray(model.predict_proba_dataset(ds, rows), np.float32)
    val = ds.indices("val")
    val_probs = model.predict_proba_dataset(ds, _sample(val, FIT_ROWS)) if len(val) else probs[:0]
    fit = probs[np.searchsorted(rows, _sample(rows, FIT_ROWS))]
    c = fit_confidence_temperature(fit, val_probs)
    info = {
        "key": key,
        "teacher": teacher["path"],
        "confidence_temperature": c,
        "train_mean_top1": mean_top1(fit),
        "val_mean_top1": mean_top1(val_probs) if len(val_probs) else None,
        "train_mean_top1_tempered": mean_top1(fit, c),
    }
    out.mkdir(parents=True, exist_ok=True)
    save_npy(probs_path, probs)  # temporary name, then renamed
    write_json(info_path, info)  # the commit: a key beside a complete array
    return TeacherTargets(rows, probs, info, from_cache=False)


def plan_distillation(request, stored_config, ds, out, manifest_sha: str, say, dist):
    """`(distill, targets)` of a `train` call: `resolve_teacher`'s dict and its
    `TeacherTargets` (cached or predicted now), or `(None, None)` without a teacher."""
    d = resolve_teacher(request.teacher, request.distill_temperature, request.distill_alpha,
                        stored_config, out, say)  # fmt: skip
    if d is None:
        return None, None
    if dist.custom_loop:
        raise DataFormatError("distillation (teacher) does not run with the multiworker strategy")
    keras_objects()  # registered before a checkpoint compiled with the loss is loaded
    targets = teacher_targets(d["teacher"], ds, out, manifest_sha, say)
    say(
        f"{out}: distilling from {d['teacher']['path']} (T {d['temperature']:g}, alpha "
        f"{d['alpha']:g}, confidence temperature {targets.confidence_temperature:.3g})"
    )
    return d, targets


def distillation_config(teacher: dict, temperature: float, alpha: float, targets) -> dict:
    """What `config.json["distillation"]` records."""
    info = targets.info
    return {
        "teacher": teacher["path"],
        "teacher_type": teacher["type"],
        "teacher_sha256": teacher["sha256"],
        "temperature": float(temperature),
        "alpha": float(alpha),
        "confidence_temperature": targets.confidence_temperature,
        "teacher_train_mean_top1": info.get("train_mean_top1"),
        "teacher_val_mean_top1": info.get("val_mean_top1"),
        "cache": CACHE_PROBS,
    }


@functools.cache
def keras_objects():
    """`(DistillationLoss, SoftTargetAccuracy)`, registered with Keras (so checkpoints load)."""
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="seqdoodle")
    class DistillationLoss(keras.losses.Loss):
        """`alpha * base(y, p) + (1 - alpha) * T^2 * KL(teacher_T || softmax(log p / T))`.

        `y_true` `(b, 1 + C)`: label, then `teacher_T`; `(b,)` labels give `base` alone.
        """

        def __init__(self, temperature=2.0, alpha=0.5, base="sparse_categorical_crossentropy",
                     name="distillation", reduction="sum_over_batch_size", dtype=None):  # fmt: skip
            super().__init__(name=name, reduction=reduction, dtype=dtype)
            self.temperature, self.alpha, self.base = float(temperature), float(alpha), base
            self._base = keras.losses.get(base)

        def call(self, y_true, y_pred):
            if len(y_true.shape) < 2:
                return self._base(y_true, y_pred)
            labels, soft = y_true[:, 0], y_true[:, 1:]
            hard = self._base(labels, y_pred)
            t = self.temperature
            log_student = ops.log_softmax(ops.log(ops.clip(y_pred, EPS, 1.0)) / t, axis=-1)
            log_soft = ops.log(ops.clip(soft, EPS, 1.0))
            kl = ops.sum(soft * (log_soft - log_student), axis=-1)
            return self.alpha * hard + (1.0 - self.alpha) * t * t * kl

        def get_config(self):
            return {**super().get_config(), "temperature": self.temperature,
                    "alpha": self.alpha, "base": self.base}  # fmt: skip

    @keras.saving.register_keras_serializable(package="seqdoodle")
    class SoftTargetAccuracy(keras.metrics.Mean):
        """Top-1 accuracy against `(b,)` labels or column 0 of `(b, 1 + C)` soft targets."""

        def __init__(self, name="accuracy", dtype=None):
            super().__init__(name=name, dtype=dtype)

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_true = ops.convert_to_tensor(y_true)
            labels = y_true[:, 0] if len(y_true.shape) >= 2 else y_true
            predicted = ops.argmax(y_pred, axis=-1)
            hit = ops.cast(ops.equal(ops.cast(labels, "int64"), predicted), "float32")
            return super().update_state(hit, sample_weight=sample_weight)

        def get_config(self):
            return {"name": self.name, "dtype": self.dtype}

    return DistillationLoss, SoftTargetAccuracy


def compile_student(model, temperature: float, alpha: float):
    """Recompile a model compiled by `compile_classifier` with the distillation loss around its
    loss (same optimizer); returns it."""
    loss_cls, accuracy_cls = keras_objects()
    base = model.loss if isinstance(model.loss, str) else "sparse_categorical_crossentropy"
    model.compile(
        optimizer=model.optimizer,
        loss=loss_cls(temperature=temperature, alpha=alpha, base=base),
        metrics=[accuracy_cls()],
    )
    return model
