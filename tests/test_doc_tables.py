"""The figures in README.md and docs/*.md are the ones in experiments/results/*.json.

`python -m experiments.doc_tables` writes every block between `<!-- table:NAME -->` and
`<!-- /table:NAME -->` (and every `<!-- figure:NAME -->` snippet in running text) from the JSON
files. These tests fail when a doc differs from what it would write, so a figure edited by hand,
or a JSON remade without remaking the docs, is caught; and each table must name its JSON file and
the command recorded in that file.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from experiments import doc_tables
from seqdoodle.errors import DataFormatError, MissingFileError

REPO = doc_tables.REPO
SPAN = re.compile(r"`([^`]+)`")
# a percentage or a measured rate in a table row: what a figure table holds
FIGURE_CELL = re.compile(r"\d%|\d[\d,.]* (samples|drawings|requests|rows)/s")


def blocks():
    """(doc name, kind, name, text between the markers) of every marked block in the docs."""
    found = []
    for path in doc_tables.docs():
        text = path.read_text(encoding="utf-8")
        found += [(path.name, m[1], m[2], m[3]) for m in doc_tables.BLOCK.finditer(text)]
    return found


def hand_edit(text: str, name: str) -> str:
    """`text` with one digit of the figures (not of a table's header) changed in block `name`."""
    block = next(m for m in doc_tables.BLOCK.finditer(text) if m[2] == name)
    after_header = block.start(3) + max(block[3].find("| ---"), 0)
    digit = re.compile(r"\d").search(text, after_header, block.end(3))
    assert digit, f"no figure in {name}"
    return text[: digit.start()] + str((int(digit[0]) + 1) % 10) + text[digit.end() :]


def test_every_marked_block_is_what_the_script_writes():
    stale = []
    for path in doc_tables.docs():
        _, changed = doc_tables.render(path.read_text(encoding="utf-8"), path.name)
        stale += [f"{path.relative_to(REPO)}: {block}" for block in changed]
    assert not stale, "run `python -m experiments.doc_tables`:\n" + "\n".join(stale)


def test_the_docs_hold_every_table_and_figure_the_script_makes():
    tables, figures = doc_tables.makers()
    used = {(kind, name) for _, kind, name, _ in blocks()}
    made = {("table", n) for n in tables} | {("figure", n) for n in figures}
    assert made - used == set(), "made but quoted nowhere"
    assert len(tables) >= 20 and len(figures) >= 10
    readme = {(kind, name) for doc, kind, name, _ in blocks() if doc == "README.md"}
    assert ("table", "results_26") in readme  # the headline results table


@pytest.mark.parametrize("name", ["results_26", "serve_summary"])
def test_a_figure_edited_by_hand_is_found_and_remade(tmp_path, monkeypatch, capsys, name):
    original = (REPO / "README.md").read_text(encoding="utf-8")
    edited = hand_edit(original, name)
    assert edited != original
    (tmp_path / "README.md").write_text(edited, encoding="utf-8")
    monkeypatch.setattr(doc_tables, "REPO", tmp_path)  # docs(): tmp_path/README.md alone

    kind = "table" if name in doc_tables.makers()[0] else "figure"
    assert doc_tables.main(["--check"]) == 1
    assert f"README.md: {kind}:{name} differs" in capsys.readouterr().out
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == edited  # --check writes nothing

    assert doc_tables.main([]) == 0
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == original
    assert doc_tables.main(["--check"]) == 0


def test_every_table_ends_with_its_json_and_the_command_recorded_in_it():
    checked = 0
    for doc, kind, name, body in blocks():
        if kind != "table":
            continue
        last = body.strip().splitlines()[-1]
        where = f"{doc}: table {name}"
        assert last.startswith("Source: "), f"{where}: no Source line under it"
        spans = SPAN.findall(last)
        files = [s for s in spans if s.startswith("experiments/results/")]
        assert files, f"{where}: names no JSON file"
        recorded = set()
        for file in files:
            assert (REPO / file).is_file(), f"{where}: {file} is missing"
            data = json.loads((REPO / file).read_text(encoding="utf-8"))
            recorded |= set(doc_tables.commands(data).values())
        quoted = [s for s in spans if not s.startswith("experiments/results/")]
        assert quoted and set(quoted) <= recorded, f"{where}: {quoted} not in {files}"
        checked += 1
    assert checked >= 20


def test_tables_are_made_from_the_json(tmp_path, monkeypatch):
    name = "compare_26_defaults.json"
    data = json.loads((doc_tables.RESULTS / name).read_text(encoding="utf-8"))
    data["models"]["cnn"]["top1"] = 0.4321
    data["command"] = "python -m experiments.studies.compare_26 --data D"
    (tmp_path / name).write_text(json.dumps(data), encoding="utf-8")
    results_26 = doc_tables.makers()[0]["results_26"]

    before = results_26()
    monkeypatch.setattr(doc_tables, "RESULTS", tmp_path)
    after = results_26()
    assert "43.2%" in after and "43.2%" not in before
    assert "remade by `python -m experiments.studies.compare_26 --data D`" in after


def test_figure_tables_outside_markers_are_refused():
    """A table of percentages or rates typed into a doc without markers would escape the check."""
    typed = []
    for path in doc_tables.docs():
        fenced = False
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            fenced ^= line.startswith("```")
            if not fenced and line.startswith("|") and FIGURE_CELL.search(line):
                typed.append((path.name, number, line))
    inside = {line for _, _, _, body in blocks() for line in body.splitlines()}
    loose = [f"{doc}:{n}: {line[:80]}" for doc, n, line in typed if line not in inside]
    assert not loose, "figure rows outside <!-- table:NAME --> markers:\n" + "\n".join(loose)


def test_broken_markers_are_one_line_errors():
    with pytest.raises(DataFormatError, match=r"doc.md: <!-- table:results_26 --> has no closing"):
        doc_tables.render("<!-- table:results_26 -->\n| a |\n", "doc.md")
    with pytest.raises(DataFormatError, match=r"doc.md: no figure named 'nonesuch'"):
        doc_tables.render("<!-- figure:nonesuch -->1<!-- /figure:nonesuch -->", "doc.md")


def test_a_missing_or_incomplete_json_is_a_one_line_error(tmp_path, monkeypatch):
    shutil.copy(doc_tables.RESULTS / "benchmarks.json", tmp_path / "benchmarks.json")
    monkeypatch.setattr(doc_tables, "RESULTS", tmp_path)
    monkeypatch.setattr(doc_tables, "REPO", tmp_path.parent)
    with pytest.raises(MissingFileError, match="simplify_report.json: no such result file"):
        doc_tables.render("<!-- figure:simplifier_exact -->x<!-- /figure:simplifier_exact -->")
    data = json.loads((tmp_path / "benchmarks.json").read_text())
    del data["serve"]["latency_ms"]
    (tmp_path / "benchmarks.json").write_text(json.dumps(data))
    with pytest.raises(DataFormatError, match="figure serve_summary: its JSON lacks 'latency_ms'"):
        doc_tables.render("<!-- figure:serve_summary -->x<!-- /figure:serve_summary -->")
