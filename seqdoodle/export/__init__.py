"""Exporting a run: Keras `Model.export` to ONNX, LiteRT or SavedModel, checked in that runtime.

Public names are imported lazily from the modules listed below.
"""

from __future__ import annotations

from seqdoodle._compat import lazy_exports

_EXPORTS = {
    "ExportResult": "seqdoodle.export.keras_export",
    "check_drawings": "seqdoodle.export.keras_export",
    "export_input_config": "seqdoodle.export.keras_export",
    "export_run": "seqdoodle.export.keras_export",
    "info_path_for": "seqdoodle.export.keras_export",
    "input_spec": "seqdoodle.export.keras_export",
    "raw_input_model": "seqdoodle.export.keras_export",
    "raw_inputs": "seqdoodle.export.keras_export",
    "stroke_scale": "seqdoodle.export.keras_export",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)
