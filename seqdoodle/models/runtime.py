"""Keras/TensorFlow runtime set-up: TensorFlow imported without its C++ start-up log.

TensorFlow writes start-up lines from C++ (absl's `I0000 ...`: CUDA probing on machines without
a GPU, oneDNN and CPU-instruction notices) straight to file descriptor 2 while it loads, before
any log level applies. A command's output should be its own, so commands and server workers load
TensorFlow through here: `quiet_tensorflow()` sets the log-level variables and makes every later
import of TensorFlow, wherever it happens, run with fd 2 pointed at /dev/null.
`SEQDOODLE_DEBUG=1` leaves the log visible.

`use_onednn()` asks TensorFlow for oneDNN's CPU kernels on x86-64 before it loads.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import os
import platform
import sys

# Read by TensorFlow's C++ runtime when it loads: errors only after start-up (e.g. cuInit).
QUIET_ENVIRONMENT = {"TF_CPP_MIN_LOG_LEVEL": "3", "GRPC_VERBOSITY": "ERROR"}
# TensorFlow turns oneDNN's CPU kernels on by itself only on CPUs with AVX-512 VNNI/BF16 or AMX;
# on other x86-64 CPUs (AVX2) they train the default CNN faster with the same results up to
# float32 round-off (`python -m experiments.bench.cpu_kernels`, docs/distributed.md).
ONEDNN_ENVIRONMENT = {"TF_ENABLE_ONEDNN_OPTS": "1"}
_STATE = {"quiet": True}  # False after `quiet_tensorflow(False)`


def quiet_tensorflow(quiet: bool = True) -> None:
    """Keep TensorFlow's log off stderr from now on, whoever imports it and when.

    Sets `QUIET_ENVIRONMENT` (values already in the environment win) and, unless TensorFlow is
    loaded already, installs an import hook that loads it with fd 2 pointed at /dev/null.
    Python errors and the command's own messages still reach stderr. With `SEQDOODLE_DEBUG`
    set it does nothing.

    Args:
        quiet: bool. False undoes the hook and lets `import_tensorflow_quietly` import loudly
            too (a command's `--verbose`). Defaults to True.

    Example:
    >>> quiet_tensorflow()  # doctest: +SKIP
    >>> import keras  # loads TensorFlow without a line on stderr  # doctest: +SKIP
    """
    _STATE["quiet"] = quiet
    hooks = [f for f in sys.meta_path if isinstance(f, _QuietImportFinder)]
    if not quiet or os.environ.get("SEQDOODLE_DEBUG"):
        for hook in hooks:
            sys.meta_path.remove(hook)
        return
    for name, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    if "tensorflow" in sys.modules:
        _quiet_python_logger(sys.modules["tensorflow"])
    elif not hooks:
        sys.meta_path.insert(0, _QuietImportFinder())


def use_onednn() -> bool:
    """Ask TensorFlow for oneDNN's CPU kernels (`TF_ENABLE_ONEDNN_OPTS=1`) on x86-64.

    A value already in the environment wins (`TF_ENABLE_ONEDNN_OPTS=0` keeps TensorFlow's
    Eigen kernels). TensorFlow reads it once, when it loads: commands call this first thing.

    Returns:
        bool: True when this call puts oneDNN's kernels in use: x86-64, the environment asks for
        them, and TensorFlow is not loaded yet.
    """
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    for name, value in ONEDNN_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    asked = os.environ["TF_ENABLE_ONEDNN_OPTS"].strip().lower() in ("1", "true")
    return asked and "tensorflow" not in sys.modules


def import_tensorflow_quietly() -> None:
    """Import TensorFlow and Keras now, with fd 2 pointed at /dev/null while they load.

    For processes that will need them anyway (a server worker, `export`): the slow import
    happens up front, and quietly, unless `quiet_tensorflow(False)` was called or
    `SEQDOODLE_DEBUG` is set.
    """
    if "tensorflow" not in sys.modules and _STATE["quiet"]:
        quiet_tensorflow()
    import keras  # noqa: F401 - loads TensorFlow, through the hook when quiet
    import tensorflow  # noqa: F401


@contextlib.contextmanager
def stderr_to_devnull():
    """Point file descriptor 2 at /dev/null inside the block (what C++ code writes there too)."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _quiet_python_logger(tf) -> None:
    # Retracing notices (one per new stroke length bucket when predicting) are not for users.
    with contextlib.suppress(AttributeError):
        tf.get_logger().setLevel("ERROR")


class _QuietImportFinder(importlib.abc.MetaPathFinder):
    """Finds the `tensorflow` package as the other finders do; its loader runs with fd 2 silenced.

    A `find_spec` probe (libraries look before they import) changes nothing; the hook leaves
    `sys.meta_path` once TensorFlow is loaded.
    """

    def __init__(self):
        self.finding = False

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "tensorflow" or self.finding:
            return None
        self.finding = True
        try:
            spec = importlib.util.find_spec(fullname)  # the other finders' answer
        finally:
            self.finding = False
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader, self)
        return spec


class _QuietLoader(importlib.abc.Loader):
    """Runs another loader's `exec_module` with fd 2 silenced, then steps aside."""

    def __init__(self, loader, finder):
        self.loader, self.finder = loader, finder

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = module.__spec__.loader = self.loader  # the package sees its own
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self.finder)
        with stderr_to_devnull():
            self.loader.exec_module(module)
        _quiet_python_logger(module)
