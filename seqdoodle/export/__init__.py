"""Exporting a run for use outside Python: Keras `Model.export` to ONNX, LiteRT or SavedModel.

`export_run` writes the file and a JSON beside it, then checks the file in its own runtime
(`checks`) on drawings fed as the raw input the JSON documents (`raw_input`).
"""

from __future__ import annotations

from seqdoodle._compat import lazy_exports

_EXPORTS = {
    "ExportResult": "seqdoodle.export.formats",
    "FORMATS": "seqdoodle.export.formats",
    "RUNTIMES": "seqdoodle.export.checks",
    "TOLERANCE": "seqdoodle.export.formats",
    "export_run": "seqdoodle.export.formats",
    "export_web": "seqdoodle.export.web",
    "input_spec": "seqdoodle.export.raw_input",
    "raw_input_model": "seqdoodle.export.raw_input",
    "raw_inputs": "seqdoodle.export.raw_input",
}

# helpers of the old `seqdoodle.export` module; kept for one release
_DEPRECATED = {
    "CHECK_DRAWINGS": "seqdoodle.export.checks",
    "check_drawings": "seqdoodle.export.checks",
    "export_input_config": "seqdoodle.export.raw_input",
    "info_path_for": "seqdoodle.export.formats",
    "stroke_scale": "seqdoodle.export.raw_input",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, deprecated=_DEPRECATED)

__all__ = sorted(_EXPORTS)
