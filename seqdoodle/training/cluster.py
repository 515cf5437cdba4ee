"""The cluster a `train` call runs on: `TF_CONFIG`, this worker's place, the strategy to use.

`"auto"` takes `MultiWorkerMirroredStrategy` when `TF_CONFIG` lists several workers, mirrored when
several GPUs are visible, else the default (one device); `seqdoodle.training.distribute` spreads
the work over what is chosen here.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from seqdoodle.errors import DataFormatError

STRATEGIES = ("auto", "default", "mirrored", "multiworker")
DEFAULT_STRATEGY = "auto"
CLUSTER_ROLES = ("chief", "worker")


@dataclass(frozen=True)
class Cluster:
    """This process's place in a multi-worker cluster (`TF_CONFIG`); one worker without it.

    Args:
        workers: int. Number of worker processes (chief included). Defaults to 1.
        position: int. This worker's position, 0 for the chief. Defaults to 0.
        task_type: str. `"chief"` or `"worker"`. Defaults to `"worker"`.
        task_index: int. Index within its task type. Defaults to 0.

    Example:
    >>> Cluster().is_chief
    True
    """

    workers: int = 1
    position: int = 0
    task_type: str = "worker"
    task_index: int = 0

    @property
    def is_chief(self) -> bool:
        """True on the worker that writes the run folder (position 0)."""
        return self.position == 0


def parse_tf_config(text: str | None) -> Cluster:
    """The `Cluster` described by a `TF_CONFIG` JSON string (None or "" for one worker).

    `TF_CONFIG` is `{"cluster": {"chief": ["host:port"], "worker": ["host:port", ...]},
    "task": {"type": "worker", "index": 0}}`; without a `"chief"` entry worker 0 is the chief.

    Raises:
        DataFormatError: not JSON, a missing or malformed field, a task outside the cluster, or a
            role other than chief/worker (parameter servers and evaluators are not supported).

    Example:
    >>> c = parse_tf_config('{"cluster": {"worker": ["a:1", "b:2"]}, '
    ...                     '"task": {"type": "worker", "index": 1}}')
    >>> c.workers, c.position, c.is_chief
    (2, 1, False)
    """
    if not text or not str(text).strip():
        return Cluster()
    try:
        config = json.loads(text)
    except json.JSONDecodeError as e:
        raise DataFormatError(f"TF_CONFIG is not valid JSON ({e.msg} at {e.pos})") from None
    if not isinstance(config, dict) or not isinstance(config.get("cluster"), dict):
        raise DataFormatError('TF_CONFIG needs a "cluster" object: {"worker": ["host:port", ...]}')
    cluster = config["cluster"]
    other = sorted(set(cluster) - set(CLUSTER_ROLES))
    if other:
        raise DataFormatError(
            f"TF_CONFIG: cluster role(s) {', '.join(other)} not supported; "
            "MultiWorkerMirroredStrategy takes chief and worker tasks only"
        )
    for role, hosts in cluster.items():
        if not isinstance(hosts, list) or not hosts or not all(isinstance(h, str) for h in hosts):
            raise DataFormatError(f'TF_CONFIG: cluster "{role}" must be a list of "host:port"')
    chiefs, workers = cluster.get("chief", []), cluster.get("worker", [])
    if len(chiefs) > 1:
        raise DataFormatError(f"TF_CONFIG: {len(chiefs)} chief tasks; at most one")
    task = config.get("task")
    if not isinstance(task, dict) or task.get("type") not in cluster:
        raise DataFormatError(
            f'TF_CONFIG: "task" must be {{"type": one of {sorted(cluster)}, "index": n}}, '
            f"got {task!r}"
        )
    index = task.get("index", 0)
    n_tasks = len(cluster[task["type"]])
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < n_tasks:
        raise DataFormatError(
            f"TF_CONFIG: task index {index!r} outside the {n_tasks} {task['type']} task(s)"
        )
    position = 0 if task["type"] == "chief" else len(chiefs) + index
    return Cluster(len(chiefs) + len(workers), position, task["type"], index)


def cluster_from_env(environ=None) -> Cluster:
    """The `Cluster` of this process, from the `TF_CONFIG` environment variable."""
    return parse_tf_config((os.environ if environ is None else environ).get("TF_CONFIG"))


def choose_strategy(name: str, n_gpus: int, cluster: Cluster | None = None) -> str:
    """Resolve `--strategy`: `"auto"` becomes multiworker, mirrored or default.

    Args:
        name: str. One of `STRATEGIES`.
        n_gpus: int. GPUs visible to this process.
        cluster: `Cluster` or None. From `TF_CONFIG`. Defaults to one worker.

    Returns:
        `"default"`, `"mirrored"` or `"multiworker"`.

    Raises:
        DataFormatError: an unknown name, or a single-machine strategy while `TF_CONFIG` lists
            several workers (each would train and write its own copy).

    Example:
    >>> choose_strategy("auto", 0), choose_strategy("auto", 2)
    ('default', 'mirrored')
    """
    if name not in STRATEGIES:
        raise DataFormatError(f"unknown strategy {name!r}; choose {', '.join(STRATEGIES)}")
    cluster = cluster or Cluster()
    if name == "auto":
        if cluster.workers > 1:
            return "multiworker"
        return "mirrored" if n_gpus > 1 else "default"
    if name != "multiworker" and cluster.workers > 1:
        raise DataFormatError(
            f"TF_CONFIG lists {cluster.workers} workers but the strategy is {name!r}; "
            "use --strategy multiworker (or auto), or unset TF_CONFIG"
        )
    return name


def visible_gpus() -> int:
    """Number of GPUs TensorFlow sees."""
    import tensorflow as tf

    return len(tf.config.list_physical_devices("GPU"))


def make_strategy(name: str):
    """The `tf.distribute.Strategy` of a resolved strategy name (see `choose_strategy`).

    `"multiworker"` must be created before TensorFlow runs anything else in the process.
    """
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise DataFormatError(f"unknown strategy {name!r}; choose default, mirrored or multiworker")
