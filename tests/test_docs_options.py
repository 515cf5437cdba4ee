"""The docs name only options the CLI has, and the defaults its help quotes are the code's.

Every `--option` that README.md or docs/*.md write for a `seqdoodle <command>` must appear in
that command's `--help` (read through typer's CliRunner, as a user sees it). Where a paragraph,
bullet or table row names an option on its own (`` `--time-limit` ``), it must belong to one of
the commands that block names, or to some command when the block names none. Spans and code
lines of other programs (`python experiments/...`, `pytest`) are not checked.
"""

from __future__ import annotations

import inspect
import re
import shlex
import sys
from functools import cache
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from seqdoodle.cli import app

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
OPTION = re.compile(r"(?<![\w-])--[a-z0-9][a-z0-9-]*")
SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
WIDE = {"TERMINAL_WIDTH": "400", "COLUMNS": "400"}  # no option name cut short by the layout


# ----------------------------------------------------------------------------- the CLI


@cache
def root():
    return typer.main.get_command(app)


def _sub(command, name):
    return getattr(command, "commands", {}).get(name)


@cache
def commands() -> dict[tuple[str, ...], object]:
    """Every leaf command by its path, e.g. ("train", "cnn")."""
    found = {}

    def walk(command, path):
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, (*path, name))
        else:
            found[path] = command

    walk(root(), ())
    return found


@cache
def help_options(path: tuple[str, ...]) -> frozenset[str]:
    """The options `seqdoodle PATH --help` shows (a group: those of all its commands)."""
    if path and path not in commands():
        leaves = [p for p in commands() if p[: len(path)] == path]
        return frozenset().union(*(help_options(p) for p in leaves))
    result = CliRunner().invoke(app, [*path, "--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    return frozenset(OPTION.findall(result.output))


@cache
def all_options() -> frozenset[str]:
    return frozenset().union(help_options(()), *(help_options(p) for p in commands()))


def command_path(tokens: list[str]) -> tuple[str, ...] | None:
    """The command a span's tokens start with: `seqdoodle train cnn ...`, `prepare --out ...`."""
    if tokens[:3] == ["python", "-m", "seqdoodle"]:
        tokens = ["seqdoodle", *tokens[3:]]
    if tokens and tokens[0] == "seqdoodle":
        tokens, path = tokens[1:], ()
    elif tokens and _sub(root(), tokens[0]) is not None:
        path = ()
    else:
        return None
    command = root()
    for token in tokens:
        sub = _sub(command, token)
        if sub is None:
            break
        command, path = sub, (*path, token)
    return path


# ----------------------------------------------------------------------------- the docs


def _tokens(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def blocks(path: Path):
    """(line number, [code spans or code lines]) per paragraph, bullet, table row or code line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    fenced, current, start = False, [], 0
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("```"):
            if current:
                yield start, current
                current = []
            fenced = not fenced
            i += 1
            continue
        if fenced:  # one block per command line, with its `\` continuations
            text, first = line, i + 1
            while text.rstrip().endswith("\\") and i + 1 < len(lines):
                i += 1
                text = text.rstrip()[:-1] + " " + lines[i]
            text = text.split("#")[0].strip().removeprefix("$ ")
            if text:
                yield first, [text]
            i += 1
            continue
        new_block = not line.strip() or re.match(r"\s*([-*|#]|\d+\.)\s", line + " ")
        if new_block or not current:
            if current:
                yield start, current
            current, start = [], i + 1
        current += SPAN.findall(line)
        i += 1
    if current:
        yield start, current


def _other_program(tokens: list[str]) -> bool:
    return bool(tokens) and (
        tokens[0] in ("python", "python3", "pytest") or tokens[0].startswith("experiments/")
    )


def mentions():
    """(file:line, command path or None for a free option, option, the commands it is read for).

    A free option (a span that starts with `--`) is read for the commands its block names; in a
    block that names none, for any command, unless the text since the last seqdoodle command
    named another program (`python experiments/...`, `pytest`), whose options are not checked.
    A block that names both a command and another program cannot say whose a free option is;
    there it is not checked.
    """
    out = []
    for doc in DOCS:
        other = False
        for line, spans in blocks(doc):
            where, named, free, block_other = f"{doc.name}:{line}", [], [], False
            for span in spans:
                tokens = _tokens(span)
                path = command_path(tokens)
                options = [t.split("=")[0] for t in tokens if OPTION.fullmatch(t.split("=")[0])]
                if path is not None:
                    named.append(path)
                    other = False
                    out += [(where, path, o, None) for o in options]
                elif _other_program(tokens):
                    other = block_other = True
                elif tokens and tokens[0].startswith("--"):
                    free += options
            if named and block_other:  # a script and a command: whose the option is, is unclear
                free = []
            if named or not other:
                out += [(where, None, o, tuple(named)) for o in free]
    return out


def test_the_docs_name_commands_and_options():
    found = mentions()
    named = [m for m in found if m[1] is not None]
    assert len(named) > 30, "the parser found too few `seqdoodle <command> --option` mentions"
    assert {("train", "cnn"), ("prepare",), ("compare",)} <= {m[1] for m in named}


def test_every_documented_option_exists_in_the_commands_help():
    wrong = []
    for where, path, option, block_commands in mentions():
        if path is not None:
            allowed, what = help_options(path), " ".join(("seqdoodle", *path))
        elif block_commands:
            allowed = frozenset().union(*(help_options(p) for p in block_commands))
            what = " or ".join(" ".join(("seqdoodle", *p)) for p in block_commands)
        else:
            allowed, what = all_options(), "any seqdoodle command"
        if option not in allowed:
            wrong.append(f"{where}: {option} is not an option of {what}")
    assert not wrong, "\n".join(wrong)


def test_help_lists_every_option_of_every_command():
    """The --help text (what the test above reads) shows every visible option in full."""
    for path, command in commands().items():
        declared = {
            o
            for p in command.params
            if not getattr(p, "hidden", False)
            for o in (*p.opts, *p.secondary_opts)
            if o.startswith("--")
        }
        assert declared <= help_options(path), (path, declared - help_options(path))


# ----------------------------------------------------------------------------- defaults

NUMBER = re.compile(r"(?<![\w.$])\d+(?:\.\d+)?(?:e-?\d+)?(?![\w])")
QUOTED_DEFAULT = re.compile(r"\(defaults?:?\s+([^)]*)\)|\[(\d[^\]]*)\]|Defaults? to ([^.]*)")


def _numbers(values) -> set[float]:
    return {round(float(v), 9) for v in values if v is not None and not isinstance(v, bool)}


def code_defaults() -> dict[tuple[str, ...], set[float]]:
    """(command path..., option) -> the numbers its help may quote as defaults, from the code."""
    import seqdoodle
    from seqdoodle.kinds import all_kinds
    from seqdoodle.training.checks import DEFAULT_ALPHA, DEFAULT_TEMPERATURE

    train = seqdoodle.train
    prepare = inspect.signature(seqdoodle.prepare).parameters
    compare_module = sys.modules[seqdoodle.compare.__module__]
    demos = [kind.demo for kind in all_kinds()]
    table = {}
    for kind in all_kinds():
        d = kind.defaults
        for option, value in (
            ("--epochs", d.epochs),
            ("--batch-size", d.batch_size),
            ("--lr", d.lr),
            ("--patience", d.patience),
        ):
            table[("train", kind.name, option)] = _numbers([value])
        table[("train", kind.name, "--distill-temperature")] = _numbers([DEFAULT_TEMPERATURE])
        table[("train", kind.name, "--distill-alpha")] = _numbers([DEFAULT_ALPHA])
    train_limit = inspect.signature(train).parameters["time_limit"].default
    table[("compare", "--per-class")] = _numbers(
        [compare_module.DEMO_PER_CLASS, prepare["per_class"].default]
    )
    table[("compare", "--epochs")] = _numbers(d.epochs for d in demos)
    table[("compare", "--time-limit")] = _numbers([*(d.time_limit for d in demos), train_limit])
    return table


def quoted_defaults():
    """(path, option, numbers the help quotes as its default, the param's own default)."""
    for path, command in commands().items():
        for param in command.params:
            text = getattr(param, "help", None) or ""
            quoted = [next(g for g in m.groups() if g) for m in QUOTED_DEFAULT.finditer(text)]
            numbers = _numbers(n for q in quoted for n in NUMBER.findall(q))
            if numbers:
                option = next((o for o in param.opts if o.startswith("--")), param.opts[0])
                yield path, option, numbers, param.default


def test_defaults_quoted_in_help_come_from_the_code():
    table = code_defaults()
    checked, wrong = 0, []
    for path, option, numbers, default in quoted_defaults():
        key = (*path, option)
        if key in table:
            expected = table[key]
        elif default is not None and not isinstance(default, bool):
            expected = _numbers([default])  # the parameter's own default
        else:
            wrong.append(f"seqdoodle {' '.join(key)}: help quotes {sorted(numbers)} (add it here)")
            continue
        checked += 1
        if not numbers <= expected:
            wrong.append(
                f"seqdoodle {' '.join(key)}: help quotes {sorted(numbers)}, "
                f"the code has {sorted(expected)}"
            )
    assert not wrong, "\n".join(wrong)
    assert checked >= 8  # epochs, batch size, lr, patience of both train commands at least


def test_quoted_default_parsing():
    assert _numbers(NUMBER.findall("default 1.6 cnn, 1.3 rnn for the synthetic demo, else 14")) == {
        1.6,
        1.3,
        14.0,
    }
    assert [m.group(2) for m in QUOTED_DEFAULT.finditer("val accuracy [3].")] == ["3"]
    assert _numbers(NUMBER.findall("Adam (default 0.002)")) == {0.002}
    assert not NUMBER.findall("$SEQDOODLE_DATA, else ./data; 28x28")


@pytest.mark.parametrize(
    "span, path",
    [
        ("seqdoodle train cnn --data D --out R", ("train", "cnn")),
        ("prepare --out", ("prepare",)),
        ("python -m seqdoodle evaluate RUN", ("evaluate",)),
        ("seqdoodle --help", ()),
        ("python -m experiments.bench.benchmark --quick", None),
        ("--arch default", None),
    ],
)
def test_command_path(span, path):
    assert command_path(_tokens(span)) == path
