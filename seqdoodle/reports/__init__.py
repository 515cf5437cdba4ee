"""Reports: the number formatters, text and markdown tables, report files and `analyze`.

Every number a report shows goes through one formatter here (`pct`, `num`, `format_p`, ...), so
the terminal, report.md and the figures' titles agree. `write_report` writes a comparison's
report.json, report.md and figures; `analyze` explores a data folder.
"""

from __future__ import annotations

from seqdoodle._compat import lazy_exports

_EXPORTS = {
    "Section": "seqdoodle.reports.document",
    "analyze": "seqdoodle.reports.analysis",
    "comparison_markdown": "seqdoodle.reports.markdown",
    "count": "seqdoodle.reports.format",
    "evaluation_markdown": "seqdoodle.reports.markdown",
    "fmt": "seqdoodle.reports.format",
    "format_p": "seqdoodle.reports.format",
    "markdown_table": "seqdoodle.reports.format",
    "mib": "seqdoodle.reports.format",
    "ms": "seqdoodle.reports.format",
    "num": "seqdoodle.reports.format",
    "paired_markdown": "seqdoodle.reports.markdown",
    "pct": "seqdoodle.reports.format",
    "per_class_table": "seqdoodle.reports.format",
    "points": "seqdoodle.reports.format",
    "predictions_table": "seqdoodle.reports.format",
    "report_document": "seqdoodle.reports.document",
    "save_figures": "seqdoodle.reports.document",
    "seconds": "seqdoodle.reports.format",
    "summary_table": "seqdoodle.reports.format",
    "text_table": "seqdoodle.reports.format",
    "write_report": "seqdoodle.reports.document",
}

# helpers of the report modules, public here until this release; kept for one more
_DEPRECATED = {
    "MISSING": "seqdoodle.reports.format",
    "RESERVED_KEYS": "seqdoodle.reports.document",
    "ensemble_text": "seqdoodle.reports.format",
    "figure_name": "seqdoodle.reports.document",
    "is_missing": "seqdoodle.reports.format",
    "json_ready": "seqdoodle.reports.document",
    "model_order": "seqdoodle.reports.format",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, deprecated=_DEPRECATED)

__all__ = sorted(_EXPORTS)
