"""The report of a comparison: report.json, report.md made from that very document, the figures.

`write_report` writes a comparison's figures, report.json and report.md once: report.md is made
from the document written to report.json, never read back and rewritten. Extra parts of a report
(a curve, a table of another analysis) come as `Section`s: each adds one report.json entry, one
report.md section and its figures, without any change to this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from seqdoodle.errors import DataFormatError
from seqdoodle.reports.markdown import comparison_markdown

RESERVED_KEYS = ("models", "paired")


@dataclass
class Section:
    """An extra part of a report, added by code outside this module.

    Args:
        key: str. Its report.json entry, e.g. `"partial"`; must not clash with other entries.
        data: JSON-ready value of that entry.
        title: str. The report.md heading (without `#`).
        markdown: str. The section's text under the heading. Defaults to `""`.
        figures: dict of file name (`*.png`) to matplotlib Figure, linked in the section.
            Defaults to none.
    """

    key: str
    data: object
    title: str
    markdown: str = ""
    figures: dict = field(default_factory=dict)

    def to_markdown(self) -> str:
        """The heading, the text and links to the figures."""
        lines = [f"## {self.title}", ""]
        if self.markdown:
            lines += [self.markdown.rstrip("\n"), ""]
        lines += [f"![{Path(f).stem}]({f})" for f in self.figures]
        return "\n".join(lines).rstrip("\n") + "\n"


def figure_name(stem: str, model: str) -> str:
    """A safe PNG file name for a model's figure, e.g. `confusion_cnn.png`."""
    return f"{stem}_{re.sub(r'[^A-Za-z0-9_.-]+', '-', model)}.png"


def save_figures(out: Path, figures: Mapping) -> list[Path]:
    """Save `{file name: Figure}` under `out` (plain `*.png` names only); returns the paths."""
    from seqdoodle.plots import save_figure

    paths = []
    for fname, fig in figures.items():
        if Path(fname).name != fname or not fname.endswith(".png"):
            raise DataFormatError(f"{out}: figure name {fname!r} must be a plain *.png file name")
        save_figure(fig, out / fname)
        paths.append(out / fname)
    return paths


def json_ready(obj):
    """`obj` as report.json holds it (numpy numbers become Python ones, tuples lists)."""
    from seqdoodle.fileio import _json_default

    return json.loads(json.dumps(obj, default=_json_default))


def report_document(
    reports: Mapping, paired, extra: dict | None = None, sections: Sequence[Section] = ()
) -> dict:
    """The report.json document of a comparison: `models`, `paired`, `extra`, the sections.

    Raises:
        DataFormatError: an `extra` entry or a section named like another entry.
    """
    extra = dict(extra or {})
    clash = set(RESERVED_KEYS) & set(extra)
    if clash:
        raise DataFormatError(f"extra report entries may not be named {sorted(clash)}")
    keys = [*RESERVED_KEYS, *extra]
    for section in sections:
        if section.key in keys:
            raise DataFormatError(f"report section {section.key!r} clashes with another entry")
        keys.append(section.key)
    return json_ready(
        {
            "models": {name: r.to_json() for name, r in reports.items()},
            "paired": paired.to_json(),
            **extra,
            **{s.key: s.data for s in sections},
        }
    )


def write_report(
    out_dir,
    reports: Mapping,
    paired,
    extra: dict | None = None,
    figures: Mapping | None = None,
    sections: Sequence[Section] = (),
    doc: dict | None = None,
) -> dict[str, Path]:
    """Write report.json, report.md and the figures of a comparison into `out_dir`, once each.

    Figures: `confusion_<model>.png` for every report and `per_class_accuracy.png`; `figures`
    and the sections add more under their given file names. report.md is made from the same
    document as report.json. Every file is written atomically.

    Args:
        out_dir: str or Path. Output folder; created if needed.
        reports: dict of model name to `EvaluationReport` (as from `compare_predictions`).
        paired: `PairedComparison` of the first two models.
        extra: dict or None. More JSON-ready entries for report.json (e.g. `data`, `runs`,
            `pairwise`, `ensembles`); report.md shows the ones it knows. Defaults to None.
        figures: dict of file name (`*.png`) to matplotlib Figure, or None. Defaults to None.
        sections: list of `Section`. Extra entries, report.md sections and figures.
            Defaults to none.
        doc: dict or None. The document already made by `report_document` from the same
            arguments (so a caller can keep it); None makes it. Defaults to None.

    Returns:
        dict from a short key (`"json"`, `"markdown"`, figure file names) to the written path.

    Raises:
        DataFormatError: a reserved or clashing entry name, or a figure name that is not a
            plain `*.png` file name.
    """
    from seqdoodle.fileio import write_json, write_text
    from seqdoodle.plots.evaluation import plot_confusion_matrix, plot_per_class_accuracy

    out = Path(out_dir)
    try:
        doc = doc if doc is not None else report_document(reports, paired, extra, sections)
    except DataFormatError as e:
        raise DataFormatError(f"{out}: {e}") from None
    out.mkdir(parents=True, exist_ok=True)
    drawn = {}
    for name, report in reports.items():
        drawn[figure_name("confusion", name)] = plot_confusion_matrix(
            report.confusion, report.classes, title=f"{name}: confusion (rows: true class)"
        )
    first = next(iter(reports.values()))
    drawn["per_class_accuracy.png"] = plot_per_class_accuracy(
        {n: r.per_class for n, r in reports.items()}, first.classes
    )
    drawn.update(figures or {})
    written = {p.name: p for p in save_figures(out, drawn)}
    for section in sections:
        written.update({p.name: p for p in save_figures(out, section.figures)})
    write_json(out / "report.json", doc)
    written["json"] = out / "report.json"
    write_text(out / "report.md", comparison_markdown(doc, list(drawn), sections))
    written["markdown"] = out / "report.md"
    return written
