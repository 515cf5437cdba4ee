"""`Model.fit`'s loop for multi-worker training, where Keras 3's own `fit` does not run.

`fit_distributed` runs one train step per batch with `strategy.run` over
`strategy.distribute_datasets_from_function` (each worker feeding its replicas from its own shard),
calls the callbacks `Model.fit` would call (`on_epoch_begin`, `on_train_batch_begin`, ...,
`on_epoch_end`), validates on the chief and keeps every worker in step with it: after each epoch
the chief's stop decision and whatever `after_epoch` synchronises are broadcast.

The loss of a step is the mean over the whole global batch (per-example cross-entropy summed on
each replica, divided by the global number of examples), so gradients summed over replicas by the
optimizer are those of one big batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from seqdoodle.training.distribute import broadcast_from_chief, broadcast_json


def make_train_step(strategy, model):
    """A `tf.function` running one distributed step; returns summed loss, correct, count."""
    import keras
    import tensorflow as tf

    optimizer = model.optimizer
    sum_op = tf.distribute.ReduceOp.SUM

    def replica_step(x, y):
        ctx = tf.distribute.get_replica_context()
        count = tf.cast(tf.shape(y)[0], tf.float32)
        total = ctx.all_reduce(sum_op, count)
        with tf.GradientTape() as tape:
            probs = model(x, training=True)
            per_example = keras.losses.sparse_categorical_crossentropy(y, probs)
            per_example = tf.cast(per_example, tf.float32)
            loss = tf.reduce_sum(per_example) / tf.maximum(total, 1.0)
            if model.losses:
                loss += tf.add_n(model.losses) / ctx.num_replicas_in_sync
            scaled = optimizer.scale_loss(loss)
        variables = model.trainable_variables
        grads = tape.gradient(scaled, variables)
        optimizer.apply_gradients(zip(grads, variables))
        predicted = tf.cast(tf.argmax(probs, axis=-1), y.dtype)
        correct = tf.reduce_sum(tf.cast(tf.equal(predicted, y), tf.float32))
        return tf.reduce_sum(per_example), correct, count

    @tf.function
    def train_step(iterator):
        x, y = next(iterator)
        results = strategy.run(replica_step, args=(x, y))
        return [strategy.reduce(sum_op, r, axis=None) for r in results]

    return train_step


def evaluate_local(model, data, steps: int) -> dict:
    """`{"val_loss", "val_accuracy"}` of `model` on `steps` batches of `data`, in this process."""
    import keras
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def predict(x):
        return model(x, training=False)

    loss_sum, correct, count = 0.0, 0, 0
    iterator = iter(data)
    for _ in range(steps):
        x, y = next(iterator)
        probs = predict(x)
        y = np.asarray(y)
        loss_sum += float(np.sum(keras.losses.sparse_categorical_crossentropy(y, probs)))
        correct += int(np.sum(np.argmax(np.asarray(probs), axis=-1) == y))
        count += len(y)
    count = max(count, 1)
    return {"val_loss": loss_sum / count, "val_accuracy": correct / count}


def fit_distributed(
    strategy,
    model,
    dataset_fn: Callable,
    steps_per_epoch: int,
    epochs: int,
    initial_epoch: int = 0,
    validate: Callable | None = None,
    callbacks: list | None = None,
    is_chief: bool = True,
    after_epoch: Callable | None = None,
) -> dict:
    """Train `model` (built and compiled under `strategy.scope()`) like `Model.fit`.

    Args:
        strategy: `tf.distribute.Strategy`.
        model: compiled `keras.Model` whose variables were created under the strategy's scope.
        dataset_fn: callable. `dataset_fn(input_context) -> tf.data.Dataset` of per-replica
            `(inputs, labels)` batches of epochs `initial_epoch`, ..., `steps_per_epoch` each,
            repeating (see `strategy.distribute_datasets_from_function`).
        steps_per_epoch: int. Steps per epoch, the same on every worker.
        epochs: int. Train until this epoch (exclusive upper bound, as `Model.fit`).
        initial_epoch: int. First epoch. Defaults to 0.
        validate: callable or None. `validate() -> {"val_loss", "val_accuracy"}`, run on the
            chief after each epoch. Defaults to None.
        callbacks: list or None. `keras.callbacks.Callback`s. Defaults to None.
        is_chief: bool. Whether this process is the chief. Defaults to True.
        after_epoch: callable or None. Called on every worker after the epoch's callbacks
            (e.g. to broadcast the chief's training state). Defaults to None.

    Returns:
        `{"epochs_run": n, "samples_per_second": ...}` of this process.
    """
    import keras

    callback_list = keras.callbacks.CallbackList(
        callbacks or [], add_history=False, add_progbar=False, model=model
    )
    data = strategy.distribute_datasets_from_function(dataset_fn)
    iterator = iter(data)
    train_step = make_train_step(strategy, model)
    model.stop_training = False
    callback_list.on_train_begin()
    epochs_run, samples, train_seconds = 0, 0, 0.0
    for epoch in range(int(initial_epoch), int(epochs)):
        callback_list.on_epoch_begin(epoch)
        started = time.monotonic()
        loss_sum = correct = count = 0.0
        for step in range(int(steps_per_epoch)):
            callback_list.on_train_batch_begin(step)
            batch_loss, batch_correct, batch_count = (float(v) for v in train_step(iterator))
            loss_sum += batch_loss
            correct += batch_correct
            count += batch_count
            callback_list.on_train_batch_end(step, {"loss": batch_loss / max(batch_count, 1.0)})
        train_seconds += time.monotonic() - started
        samples += int(count)
        logs = {"loss": loss_sum / max(count, 1.0), "accuracy": correct / max(count, 1.0)}
        if validate is not None and is_chief:
            callback_list.on_test_begin()
            logs.update(validate())
            callback_list.on_test_end(logs)
        logs = broadcast_json(strategy, logs)  # every worker books the chief's figures
        callback_list.on_epoch_end(epoch, logs)
        epochs_run += 1
        (stop,) = broadcast_from_chief(strategy, [np.array(bool(model.stop_training))])
        model.stop_training = bool(stop)
        if after_epoch is not None:
            after_epoch()
        if model.stop_training:
            break
    callback_list.on_train_end()
    return {
        "epochs_run": epochs_run,
        "samples_per_second": samples / train_seconds if train_seconds else None,
    }


class Distribution:
    """How one `train` call runs: strategy, this worker's place, precision; the trainer's hooks.

    Args:
        name: str. Resolved strategy (`"default"`, `"mirrored"`, `"multiworker"`).
        strategy: `tf.distribute.Strategy`.
        cluster: `seqdoodle.training.cluster.Cluster`.
        precision: str. One of `seqdoodle.training.distribute.PRECISIONS`.

    Example:
    >>> dist = Distribution.create("auto", "float32")  # doctest: +SKIP
    """

    def __init__(self, name: str, strategy, cluster, precision: str):
        self.name, self.strategy, self.cluster, self.precision = name, strategy, cluster, precision

    @classmethod
    def create(cls, strategy: str = "auto", precision: str = "float32", environ=None):
        """Resolve `strategy` (see `choose_strategy`) and make it; `TF_CONFIG` from `environ`."""
        from seqdoodle.training import cluster as c
        from seqdoodle.training.distribute import check_precision

        check_precision(precision)
        cluster = c.cluster_from_env(environ)
        if strategy not in c.STRATEGIES:
            c.choose_strategy(strategy, 0, cluster)  # the one-line error
        gpus = c.visible_gpus() if strategy == "auto" and cluster.workers == 1 else 0
        name = c.choose_strategy(strategy, gpus, cluster)
        return cls(name, c.make_strategy(name), cluster, precision)

    @property
    def is_chief(self) -> bool:
        return self.cluster.is_chief

    @property
    def replicas(self) -> int:
        return int(self.strategy.num_replicas_in_sync)

    @property
    def custom_loop(self) -> bool:
        """Multi-worker runs train with `fit_distributed`; the others with `Model.fit`."""
        return self.name == "multiworker"

    def scope(self):
        """Build (or load) and compile the model inside this: the strategy and the precision."""
        import contextlib

        from seqdoodle.training.distribute import precision_policy

        stack = contextlib.ExitStack()
        stack.enter_context(self.strategy.scope())
        stack.enter_context(precision_policy(self.precision))
        return stack

    def record(self, train_config: dict) -> dict:
        """Add `"distribute"` (the `Placement`) to a run's `config["train"]`; returns it."""
        from seqdoodle.training.distribute import placement

        place = placement(self.name, self.strategy, train_config["batch_size"],
                          train_config["lr"], self.cluster, self.precision)  # fmt: skip
        train_config["distribute"] = place.to_config()
        return train_config

    @staticmethod
    def lr(train_config: dict) -> float:
        """The learning rate the schedule starts from (scaled with the replicas)."""
        return float(train_config.get("distribute", {}).get("lr", train_config["lr"]))

    def from_chief(self, obj):
        """The chief's JSON-ready `obj` on every worker (`obj` itself on one worker)."""
        from seqdoodle.training.distribute import broadcast_json

        return broadcast_json(self.strategy, obj) if self.cluster.workers > 1 else obj

    def sync_model(self, model) -> None:
        """Give every worker the chief's weights and optimizer state (multi-worker only)."""
        if self.cluster.workers == 1:
            return
        from seqdoodle.training.distribute import broadcast_from_chief, sync_model_from_chief

        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and not optimizer.built:
            with self.strategy.scope():
                optimizer.build(model.trainable_variables)
        variables = _state_variables(model)
        mine = np.array([len(variables), sum(int(np.prod(v.shape)) for v in variables)])
        (chief,) = broadcast_from_chief(self.strategy, [mine])
        if not np.array_equal(chief, mine):
            raise RuntimeError(
                f"worker {self.cluster.position}: model with {mine[0]} variables "
                f"({mine[1]} values), the chief's has {chief[0]} ({chief[1]}); "
                "start every worker with the same command"
            )
        sync_model_from_chief(self.strategy, model)

    def rebuild(self, kind, config: dict):
        """A non-chief worker's model for a resumed run, built and compiled from the run's
        config (inside `scope()`); `sync_model` then gives it the chief's state."""
        from seqdoodle.models.task import compile_classifier, freeze_backbone

        cfg = config["train"]
        model = kind.build_model(
            config["arch"], len(config["classes"]), config["input"], seed=cfg["seed"]
        )
        if cfg.get("freeze_backbone"):
            freeze_backbone(model)
        return compile_classifier(model, self.lr(cfg))

    def resume_model(self, path, kind, config: dict, load):
        """The checkpointed model `path` (with its optimizer state) on every worker.

        One worker: `load(path, compile=True)` inside `scope()`. Several: every worker builds
        the same model under the strategy (variables are created in lockstep, a collective
        each), the chief copies the checkpoint's values in from a copy loaded outside the
        strategy, and `sync_model` gives them to the others. A resumed run keeps the precision
        it was started with.
        """
        self.precision = config["train"].get("distribute", {}).get("precision", "float32")
        if self.cluster.workers == 1:
            with self.scope():
                return load(path, compile=True)
        with self.scope():
            model = self.rebuild(kind, config)
            model.optimizer.build(model.trainable_variables)
        if self.is_chief:
            saved = load(path, compile=True)
            mine, theirs = _state_variables(model), _state_variables(saved)
            shapes = [tuple(v.shape) for v in mine], [tuple(v.shape) for v in theirs]
            if shapes[0] != shapes[1]:
                raise RuntimeError(f"{path}: its variables do not match the run's model")
            for target, source in zip(mine, theirs):
                target.assign(source.numpy())
        self.sync_model(model)
        return model

    def batches(self, kind, ds, rows, train_config: dict, input_config: dict, train: bool):
        """The kind's `Batches` for this worker: its shard, per-replica or global batch size."""
        from seqdoodle.training.distribute import common_steps, shard_rows

        per_replica, seed = int(train_config["batch_size"]), train_config["seed"]
        if not self.custom_loop:  # Model.fit splits global batches over the local replicas
            return kind.batches(ds, rows, per_replica * self.replicas, input_config, seed=seed,
                                train=train)  # fmt: skip
        if not train:  # validated on the chief alone
            return kind.batches(ds, rows, per_replica, input_config, seed=seed, train=False)

        def make(shard):
            return kind.batches(ds, shard, per_replica, input_config, seed=seed, train=True)

        workers = self.cluster.workers
        batches = make(shard_rows(rows, workers, self.cluster.position))
        batches.common_steps = common_steps(make, rows, workers)
        return batches

    def fit(self, trainer, callbacks: list, verbose: int) -> None:
        """Train `trainer.model` from `trainer.state["epoch"]` to `trainer.requested_epochs`."""
        model, state = trainer.model, trainer.state
        train, val = trainer.train_batches, trainer.val_batches
        if not self.custom_loop:
            model.fit(
                train.dataset(start_epoch=state["epoch"], repeat=True),
                steps_per_epoch=train.steps,
                epochs=trainer.requested_epochs,
                initial_epoch=state["epoch"],
                validation_data=val.dataset(repeat=True) if val else None,
                validation_steps=val.steps if val else None,
                shuffle=False,
                callbacks=callbacks,
                verbose=verbose,
            )
            return
        from seqdoodle.kinds.pipeline import batch_dataset

        steps = int(getattr(train, "common_steps", train.steps))

        def dataset_fn(context):
            return batch_dataset(train, start_epoch=state["epoch"], repeat=True, steps=steps)

        def validate():
            return evaluate_local(model, val.dataset(repeat=True), val.steps)

        def after_epoch():
            trainer.state = self.from_chief(trainer.state)

        fit_distributed(
            self.strategy, model, dataset_fn, steps, trainer.requested_epochs,
            initial_epoch=state["epoch"], validate=validate if val else None,
            callbacks=callbacks, is_chief=self.is_chief, after_epoch=after_epoch,
        )  # fmt: skip


def _state_variables(model) -> list:
    """The model's variables, then its optimizer's (the order `sync_model` sends them in)."""
    optimizer = getattr(model, "optimizer", None)
    return list(model.variables) + list(getattr(optimizer, "variables", []))
