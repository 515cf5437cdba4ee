"""Lazy public names for packages, and the old import paths of moved modules.

`lazy_exports` gives a package a `__getattr__` that imports a name's module on first use, so
`import seqdoodle` (and each package) stays free of TensorFlow. `install_aliases` keeps the module
paths of the flat layout importable for one release (`seqdoodle.artifacts` and friends): importing
one warns with a `DeprecationWarning` that names the new module.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
import warnings

# old module -> the modules now holding its names, searched in order.
MOVED_MODULES = {
    "seqdoodle.analysis": (
        "seqdoodle.reports.analysis",
        "seqdoodle.reports.analysis_stats",
        "seqdoodle.reports.analysis_figures",
    ),
    "seqdoodle.artifacts": ("seqdoodle.runs.folder",),
    "seqdoodle.batches": ("seqdoodle.kinds.batches", "seqdoodle.runs.inference"),
    "seqdoodle.categories": ("seqdoodle.datasets.categories",),
    "seqdoodle.compare_figures": ("seqdoodle.comparison.figures",),
    "seqdoodle.compare_runs": ("seqdoodle.comparison.job", "seqdoodle.comparison.report"),
    "seqdoodle.distribute": ("seqdoodle.training.distribute", "seqdoodle.training.cluster"),
    "seqdoodle.distribute_loop": ("seqdoodle.training.distribute_loop",),
    "seqdoodle.encoders": ("seqdoodle.sequences",),
    "seqdoodle.ensembles": ("seqdoodle.evaluation.ensembles",),
    "seqdoodle.images": ("seqdoodle.datasets.images",),
    "seqdoodle.inference": ("seqdoodle.runs.inputs", "seqdoodle.runs.predict"),
    "seqdoodle.input_pipeline": ("seqdoodle.kinds.pipeline",),
    "seqdoodle.metrics": ("seqdoodle.evaluation.metrics",),
    "seqdoodle.model_comparison": ("seqdoodle.comparison.scoring",),
    "seqdoodle.paired_predictions": ("seqdoodle.comparison.paired",),
    "seqdoodle.partial": ("seqdoodle.evaluation.early",),
    "seqdoodle.plots.data": ("seqdoodle.plots.drawings", "seqdoodle.plots.classes"),
    "seqdoodle.predictions": ("seqdoodle.evaluation.predictions",),
    "seqdoodle.preprocess": ("seqdoodle.kinds.inputs",),
    "seqdoodle.sequence_data": ("seqdoodle.sequences.data",),
    "seqdoodle.statistics": ("seqdoodle.comparison.statistics", "seqdoodle.comparison.verdicts"),
    "seqdoodle.strokes.sequence": (
        "seqdoodle.strokes.stroke3",
        "seqdoodle.strokes.stroke3_batch",
        "seqdoodle.strokes.padding",
    ),
}


def lazy_exports(package: str, table: dict, deprecated: dict | None = None):
    """`(__getattr__, __dir__)` for a package whose names live in submodules.

    Args:
        package: str. The package's name, for messages.
        table: dict. Public name -> module holding it, or `(module, name there)`.
        deprecated: dict or None. Names kept for one release: name -> module holding it now;
            using one warns with a `DeprecationWarning`.
    """
    deprecated = deprecated or {}

    def __getattr__(name: str):
        if name in deprecated:
            warnings.warn(
                f"{package}.{name} is deprecated; import it from {deprecated[name]}",
                DeprecationWarning,
                stacklevel=2,
            )
            return getattr(importlib.import_module(deprecated[name]), name)
        if name not in table:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        target = table[name]
        module_name, attr = target if isinstance(target, tuple) else (target, name)
        module = importlib.import_module(module_name)
        value = getattr(module, attr) if attr is not None else module
        sys.modules[package].__dict__[name] = value
        return value

    def __dir__():
        return sorted(set(sys.modules[package].__dict__) | set(table))

    return __getattr__, __dir__


class _MovedModule(types.ModuleType):
    """An old module path: names are looked up in the modules that hold them now."""

    def __init__(self, name: str, targets: tuple[str, ...]):
        super().__init__(name, f"Moved to {', '.join(targets)}.")
        self.__targets = targets

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        for target in self.__targets:
            module = importlib.import_module(target)
            if hasattr(module, name):
                return getattr(module, name)
        raise AttributeError(
            f"module {self.__name__!r} (moved to {', '.join(self.__targets)}) "
            f"has no attribute {name!r}"
        )


class _MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED_MODULES:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return _MovedModule(spec.name, MOVED_MODULES[spec.name])

    def exec_module(self, module):
        warnings.warn(
            f"{module.__name__} is deprecated and will be removed in the next release; "
            f"import from {' or '.join(MOVED_MODULES[module.__name__])}",
            DeprecationWarning,
            stacklevel=2,
        )


def install_aliases() -> None:
    """Make the old module paths importable (once per process)."""
    if not any(isinstance(f, _MovedModuleFinder) for f in sys.meta_path):
        sys.meta_path.append(_MovedModuleFinder())
