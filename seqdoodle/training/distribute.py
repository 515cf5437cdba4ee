"""How training is spread: batch and learning-rate scaling, sharding, precision, collectives.

`train(..., strategy=...)` trains on one device (`"default"`), on all GPUs of this machine
(`"mirrored"`, `tf.distribute.MirroredStrategy`) or on several machines (`"multiworker"`,
`tf.distribute.MultiWorkerMirroredStrategy`), every worker started with the same command and a
`TF_CONFIG` naming the cluster and its own task (`seqdoodle.training.cluster` reads it and picks
the strategy: `"auto"` takes multiworker when `TF_CONFIG` lists several workers, mirrored when
several GPUs are visible, else default).

With several replicas the batch size given is per replica: the global batch is
`batch_size x replicas` and the learning rate is scaled the same way (`LR_SCALING`, the linear
rule); both are recorded in the run's `config.json["train"]["distribute"]`. Each worker reads its
own shard of the training rows (`shard_rows`), only the chief (worker 0) writes the run folder, and
the chief's training state is broadcast to the other workers when training starts or resumes and
after every epoch, so every worker runs the same schedule and stops at the same epoch.

Keras 3's `Model.fit` does not run under `MultiWorkerMirroredStrategy`, so multi-worker training
uses `fit_distributed` (`seqdoodle.training.distribute_loop`): `strategy.run` of one train step
over a distributed dataset, with the callbacks `Model.fit` would call.

Mixed precision (`precision=`): a Keras dtype policy for every layer but the softmax head, which
stays float32 (`PRECISIONS`; float32 is the default, see docs/distributed.md for the figures).
"""

from __future__ import annotations

import contextlib
import json
import math
from dataclasses import asdict, dataclass

import numpy as np

from seqdoodle.errors import DataFormatError
from seqdoodle.training.cluster import Cluster

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
DEFAULT_PRECISION = "float32"
LR_SCALING = "linear"  # lr x replicas (with the global batch); "sqrt" and "none" also accepted


# ----------------------------------------------------------------------------- batch and lr


def scale_for_replicas(
    batch_size: int, lr: float, replicas: int, rule: str = LR_SCALING
) -> tuple[int, float]:
    """Global batch size and learning rate for `replicas` replicas of `batch_size` each.

    Args:
        batch_size: int. Drawings per replica and step.
        lr: float. The learning rate of one replica.
        replicas: int. Replicas in sync (GPUs x workers; 1 on one device).
        rule: str. `"linear"` (lr x replicas), `"sqrt"` (lr x sqrt(replicas)) or `"none"`.
            Defaults to `"linear"`.

    Returns:
        `(global_batch_size, lr)`.

    Example:
    >>> scale_for_replicas(128, 1e-3, 4)
    (512, 0.004)
    """
    if int(batch_size) < 1 or int(replicas) < 1:
        raise DataFormatError(f"batch_size {batch_size} and replicas {replicas} must be >= 1")
    factors = {"linear": replicas, "sqrt": math.sqrt(replicas), "none": 1}
    if rule not in factors:
        raise DataFormatError(f"unknown lr scaling {rule!r}; choose {', '.join(factors)}")
    return int(batch_size) * int(replicas), float(lr) * factors[rule]


@dataclass(frozen=True)
class Placement:
    """How one `train` call is spread: recorded as `config.json["train"]["distribute"]`.

    Args:
        strategy: str. Resolved strategy (`"default"`, `"mirrored"`, `"multiworker"`).
        replicas: int. Replicas in sync.
        workers: int. Worker processes.
        worker: int. This worker's position (0 = chief).
        batch_size: int. Per replica.
        global_batch_size: int. Per step, all replicas.
        base_lr: float. The learning rate asked for (one replica).
        lr: float. The scaled learning rate actually used.
        lr_scaling: str. The rule of `scale_for_replicas`.
        precision: str. The Keras dtype policy.
    """

    strategy: str
    replicas: int
    workers: int
    worker: int
    batch_size: int
    global_batch_size: int
    base_lr: float
    lr: float
    lr_scaling: str
    precision: str

    @property
    def is_chief(self) -> bool:
        return self.worker == 0

    def to_config(self) -> dict:
        """JSON-ready, without the per-process `worker`."""
        config = asdict(self)
        config.pop("worker")
        return config


def placement(strategy_name: str, strategy, batch_size: int, lr: float, cluster: Cluster,
              precision: str = DEFAULT_PRECISION, rule: str = LR_SCALING) -> Placement:  # fmt: skip
    """The `Placement` of a training call on `strategy` (its `num_replicas_in_sync`)."""
    replicas = int(getattr(strategy, "num_replicas_in_sync", 1))
    global_batch, scaled_lr = scale_for_replicas(batch_size, lr, replicas, rule)
    return Placement(
        strategy=strategy_name,
        replicas=replicas,
        workers=cluster.workers,
        worker=cluster.position,
        batch_size=int(batch_size),
        global_batch_size=global_batch,
        base_lr=float(lr),
        lr=scaled_lr,
        lr_scaling=rule,
        precision=precision,
    )


def shard_rows(rows, workers: int, position: int) -> np.ndarray:
    """Worker `position`'s share of `rows`: every `workers`-th row of the sorted rows.

    Prepared datasets store drawings class by class, so a strided shard has every class in the
    same proportion; the shards are disjoint and together hold every row.

    Example:
    >>> shard_rows([5, 1, 2, 9, 7], 2, 1).tolist()
    [2, 7]
    """
    if int(workers) < 1 or not 0 <= int(position) < int(workers):
        raise DataFormatError(f"shard {position} of {workers}: need 0 <= position < workers")
    return np.sort(np.asarray(rows, np.int64))[int(position) :: int(workers)]


def common_steps(make_batches, rows, workers: int) -> int:
    """Steps per epoch every worker can make: the fewest batches of any worker's shard.

    All workers must run the same number of steps (each step is a collective), so a worker whose
    shard makes more batches (length buckets differ) leaves its last ones out of that epoch.
    `make_batches(shard_rows) -> Batches` is called once per shard.
    """
    return min(make_batches(shard_rows(rows, workers, p)).steps for p in range(int(workers)))


# ----------------------------------------------------------------------------- precision


def check_precision(name: str) -> str:
    if name not in PRECISIONS:
        raise DataFormatError(f"unknown precision {name!r}; choose {', '.join(PRECISIONS)}")
    return name


@contextlib.contextmanager
def precision_policy(name: str):
    """Set Keras' global dtype policy to `name` while building a model; restore it after.

    Models built inside keep their layers' policies (saved with them); the softmax heads of
    seqdoodle's classifiers are float32 whatever the policy.
    """
    import keras

    check_precision(name)
    previous = keras.mixed_precision.dtype_policy()
    keras.mixed_precision.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_dtype_policy(previous)


# ----------------------------------------------------------------------------- reproducibility


def seed_state_variables(model) -> list:
    """The state variables of every Keras `SeedGenerator` in `model` (dropout, augmentation).

    They are not saved in `.keras` files, so a reloaded model would start them afresh.
    """
    return [v for v in model.non_trainable_variables if v.path.endswith("seed_generator_state")]


def reset_seed_generators(model, seed: int, epoch: int) -> int:
    """Put every seed generator of `model` in a state that depends on `(seed, epoch)` only.

    Called at the start of every epoch (fresh or resumed), it makes the dropout and augmentation
    noise of epoch `epoch` the same whether the run was interrupted before it or not.

    Returns:
        The number of generators reset.
    """
    variables = seed_state_variables(model)
    for i, variable in enumerate(variables):
        words = np.random.SeedSequence([int(seed), int(epoch), i]).generate_state(1)
        value = np.array([int(words[0]) & 0x7FFFFFFF, 0])
        variable.assign(value.astype(variable.dtype))
    return len(variables)


# ----------------------------------------------------------------------------- collectives


def broadcast_from_chief(strategy, arrays: list[np.ndarray]) -> list[np.ndarray]:
    """The chief's `arrays` on every worker (an all-reduce where only replica 0 contributes).

    Every worker must call it with arrays of the same shapes and dtypes, in the same order.
    Values travel as float64 (exact for float32 and for integers below 2**53).
    """
    import tensorflow as tf

    arrays = [np.asarray(a) for a in arrays]
    if getattr(strategy, "num_replicas_in_sync", 1) == 1 or not arrays:
        return arrays
    flat = np.concatenate([a.astype(np.float64).reshape(-1) for a in arrays])

    def contribute():
        ctx = tf.distribute.get_replica_context()
        first = tf.cast(tf.equal(ctx.replica_id_in_sync_group, 0), tf.float64)
        return tf.constant(flat) * first

    total = strategy.reduce(tf.distribute.ReduceOp.SUM, strategy.run(contribute), axis=None)
    total = np.asarray(total)
    out, start = [], 0
    for a in arrays:
        out.append(total[start : start + a.size].reshape(a.shape).astype(a.dtype))
        start += a.size
    return out


def broadcast_json(strategy, obj):
    """The chief's JSON-ready `obj` on every worker (other workers may pass anything)."""
    if getattr(strategy, "num_replicas_in_sync", 1) == 1:
        return obj
    data = np.frombuffer(json.dumps(obj).encode("utf-8"), np.uint8)
    (size,) = broadcast_from_chief(strategy, [np.array([data.size], np.int64)])
    padded = np.zeros(int(size[0]), np.uint8)
    padded[: min(data.size, padded.size)] = data[: padded.size]
    (data,) = broadcast_from_chief(strategy, [padded])
    return json.loads(data.tobytes().decode("utf-8"))


def sync_model_from_chief(strategy, model) -> None:
    """Give every worker the chief's weights, optimizer state and seed-generator states."""
    variables = list(model.variables)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        variables += list(optimizer.variables)
    values = broadcast_from_chief(strategy, [np.asarray(v.numpy()) for v in variables])
    for variable, value in zip(variables, values):
        variable.assign(value)
