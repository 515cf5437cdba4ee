"""The figures in README.md and docs/*.md, made from the JSON files in experiments/results/.

Every table of measured figures in the docs sits between two markers, and so does every figure
quoted in running text:

    <!-- table:results_26 -->
    | model | test top-1 | ... |

    Source: `experiments/results/compare_26_defaults.json`, remade by `python ...`.
    <!-- /table:results_26 -->

    ... answers <!-- figure:serve_summary -->432 requests/s ...<!-- /figure:serve_summary -->

What lies between two markers is what the function of that name returns (registered with
`@table` or `@figure`: `experiments.doc_tables_studies` for the studies,
`experiments.doc_tables_stroke` for the pushed stroke models, `experiments.doc_tables_bench` for
the benchmarks, `experiments.doc_tables_serve` for serving, `experiments.doc_tables_web` for the
browser bundle); nobody edits it by hand. A table ends with
a line naming its JSON files and the commands that remake them (read from each file's `command`
field, so the line stays true when the file is remade).

Usage:

    python -m experiments.doc_tables            # rewrite the marked blocks of every doc
    python -m experiments.doc_tables --check    # exit 1 naming each doc and block that differs

`tests/test_doc_tables.py` runs the check, so a figure edited by hand fails the tests.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
from pathlib import Path

from seqdoodle.errors import DataFormatError, MissingFileError, SeqdoodleError
from seqdoodle.fileio import write_text
from seqdoodle.reports.format import markdown_table

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "experiments" / "results"
BLOCK = re.compile(r"<!-- (table|figure):([a-z0-9_]+) -->(.*?)<!-- /\1:\2 -->", re.DOTALL)
OPENING = re.compile(r"<!-- (table|figure):([a-z0-9_]+) -->")
TABLES: dict = {}  # marker name -> function returning the table's markdown
FIGURES: dict = {}  # marker name -> function returning a figure's text (one line)
MAKERS = (
    "experiments.doc_tables_studies",
    "experiments.doc_tables_stroke",
    "experiments.doc_tables_bench",
    "experiments.doc_tables_serve",
    "experiments.doc_tables_web",
)


def table(fn):
    """Register `fn` as the maker of `<!-- table:NAME -->` blocks, NAME its name."""
    TABLES[fn.__name__] = fn
    return fn


def figure(fn):
    """Register `fn` as the maker of `<!-- figure:NAME -->` snippets, NAME its name."""
    FIGURES[fn.__name__] = fn
    return fn


def makers() -> tuple[dict, dict]:
    """`(TABLES, FIGURES)`, once the modules that define them are imported."""
    for module in MAKERS:
        importlib.import_module(module)
    return TABLES, FIGURES


# ----------------------------------------------------------------------------- the mechanism


def docs() -> list[Path]:
    """The docs whose markers are kept up to date: README.md and docs/*.md."""
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def load(name: str) -> dict:
    """`experiments/results/<name>` as a dict.

    Raises:
        MissingFileError: no such file.
    """
    path = RESULTS / name
    if not path.is_file():
        raise MissingFileError(f"{path.relative_to(REPO)}: no such result file")
    return json.loads(path.read_text(encoding="utf-8"))


def commands(data: dict) -> dict:
    """A result file's commands by section (`""` for the file's own `command`)."""
    found = {"": data["command"]} if "command" in data else {}
    found.update(data.get("commands", {}))
    found.update(
        {k: v["command"] for k, v in data.items() if isinstance(v, dict) and "command" in v}
    )
    return found


def source(*files) -> str:
    """The line under a table: its JSON files and the commands that remake them.

    Args:
        *files: str or (str, tuple of str). A file name under experiments/results/, alone or
            with the sections of it the table reads (a file that several commands fill).
    """
    parts = []
    for entry in files:
        name, sections = (entry, ("",)) if isinstance(entry, str) else entry
        by_command: dict[str, list[str]] = {}
        for section in sections:
            by_command.setdefault(commands(load(name))[section], []).append(section)
        made = " and ".join(
            f"`{cmd}`" + (f" ({', '.join(s)})" if len(by_command) > 1 else "")
            for cmd, s in by_command.items()
        )
        what = f" ({', '.join(sections)})" if sections != ("",) else ""
        parts.append(f"`experiments/results/{name}`{what}, remade by {made}")
    return "Source: " + "; ".join(parts) + "."


def markdown(header, rows, *files, align: str = "") -> str:
    """A table, a blank line and its source line."""
    return "\n".join([*markdown_table(header, rows, align), "", source(*files)])


def render(text: str, where: str = "") -> tuple[str, list[str]]:
    """`text` with every marked block remade, and the `kind:name` of each block that changed.

    Raises:
        DataFormatError: a marker without its closing marker, a name no function makes, or a
            JSON file without a figure its function reads.
    """
    closed = {m.start() for m in BLOCK.finditer(text)}
    for m in OPENING.finditer(text):
        if m.start() not in closed:
            raise DataFormatError(f"{where}: {m[0]} has no closing <!-- /{m[1]}:{m[2]} -->")
    tables, figures = makers()
    changed = []

    def remake(m: re.Match) -> str:
        kind, name, old = m[1], m[2], m[3]
        known = tables if kind == "table" else figures
        if name not in known:
            raise DataFormatError(f"{where}: no {kind} named {name!r}; known: {', '.join(known)}")
        try:
            made = known[name]()
        except (KeyError, TypeError) as e:
            raise DataFormatError(f"{where}: {kind} {name}: its JSON lacks {e}") from None
        new = f"\n{made}\n" if kind == "table" else made
        if new != old:
            changed.append(f"{kind}:{name}")
        return f"<!-- {kind}:{name} -->{new}<!-- /{kind}:{name} -->"

    return BLOCK.sub(remake, text), changed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say which blocks differ")
    args = parser.parse_args(argv)
    stale = []
    try:
        for path in docs():
            new, changed = render(path.read_text(encoding="utf-8"), path.name)
            stale += [f"{path.relative_to(REPO)}: {block}" for block in changed]
            if changed and not args.check:
                write_text(path, new)
    except SeqdoodleError as e:
        print(f"Error: {e}", file=sys.stderr)
        return 1
    verb = "differs from its JSON" if args.check else "rewritten"
    for line in stale:
        print(f"{line} {verb}")
    if args.check and stale:
        print("run `python -m experiments.doc_tables` to remake them", file=sys.stderr)
        return 1
    return 0


# ----------------------------------------------------------------------------- formatting


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f}"


def load_text(triple) -> str:
    """A load average `[1 min, 5 min, 15 min]` as `0.7 / 1.2 / 3.3`."""
    return " / ".join(f"{x:.1f}" for x in triple)


def load_range(triple) -> str:
    """A load average as its lowest-highest of the three figures: `7.7-8.6`."""
    return f"{min(triple):.1f}-{max(triple):.1f}"


def whole(x) -> str:
    """A number rounded to a whole one, thousands separated: `whole(4303.9) == '4,304'`."""
    return f"{round(x):,}"


def value(x) -> str:
    """A measured number: whole from 100 up, else two decimals at most."""
    return whole(x) if abs(x) >= 100 else f"{x:.2f}".rstrip("0").rstrip(".")


if __name__ == "__main__":
    from experiments.doc_tables import main as run  # the registry lives in the imported module

    sys.exit(run())
