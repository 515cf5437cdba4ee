"""The typer application objects and the error handling every command shares."""

from __future__ import annotations

import functools
import os
import sys
from enum import Enum
from typing import Annotated

import typer

from seqdoodle.errors import SeqdoodleError
from seqdoodle.models.runtime import (
    import_tensorflow_quietly,  # noqa: F401 - export, serve use it
    quiet_tensorflow,
    use_onednn,
)


@functools.cache
def arch_enum(kind: str) -> type[Enum]:
    """The `--arch` choices of a registered model kind, as a str Enum (`archs[0]` first)."""
    from seqdoodle.kinds import get_kind

    model_kind = get_kind(kind)
    return Enum(f"{kind.capitalize()}Arch", {a: a for a in model_kind.archs}, type=str)


def arch_help(kind: str) -> str:
    """`"default (batch norm, augmentation) or baseline (hobby CNN)."`: help of `--arch`."""
    from seqdoodle.kinds import get_kind

    model_kind = get_kind(kind)
    parts = [
        f"{a} ({model_kind.arch_help[a]})" if model_kind.arch_help.get(a) else a
        for a in model_kind.archs
    ]
    return (", ".join(parts[:-1]) + " or " + parts[-1] if len(parts) > 1 else parts[0]) + "."


def _train_help() -> str:
    from seqdoodle.kinds import all_kinds

    commands = ", ".join(f"`train {k.name}` ({k.title})" for k in all_kinds())
    return f"Train a model: {commands}."


app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Classify Quick, Draw! doodles: a bitmap CNN and a stroke Conv1D+LSTM, same drawings.",
)
train_app = typer.Typer(no_args_is_help=True, help=_train_help())
app.add_typer(train_app, name="train")


@app.callback()
def global_options(
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", help="Let TensorFlow's own log lines through (start-up, devices)."
        ),
    ] = False,
) -> None:
    """Options for every command, given before its name: `seqdoodle --verbose predict ...`."""
    quiet_tensorflow(quiet=not verbose)
    use_onednn()


# Usage errors (bad option values) keep typer's own message and exit code 2.
_USAGE_ERRORS = tuple(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def fail(message: str) -> typer.Exit:
    """Print one red error line to stderr and return the Exit to raise (code 1)."""
    typer.secho(f"Error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(EXIT_ERROR)


def usage_error(message: str) -> typer.Exit:
    """Print one red `Error: ...` line about the command line to stderr; return the Exit (2).

    For options that cannot go together (`raise usage_error("--split goes with --data, not
    --source")`): one line like every other error, the usage exit code.
    """
    typer.secho(f"Error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(EXIT_USAGE)


def given(ctx: typer.Context, *params: str) -> list[str]:
    """The options among `params` (parameter names) set on the command line, as `--option`s."""
    options = {
        p.name: next((o for o in p.opts if o.startswith("--")), p.opts[0])
        for p in ctx.command.params
    }
    names = []
    for param in params:
        source = ctx.get_parameter_source(param)
        if source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT"):
            names.append(options.get(param, "--" + param.replace("_", "-")))
    return names


def refuse_together(ctx: typer.Context, present: bool, what: str, *params: str) -> None:
    """Refuse (exit 2, one line) any of `params` given on the command line when `present`.

    Example: `refuse_together(ctx, runs is not None, "--runs only evaluates", "epochs")`.
    """
    if present:
        clash = given(ctx, *params)
        if clash:
            raise usage_error(f"{' and '.join(clash)} cannot go with {what}")


def handle_errors(func):
    """Turn library errors into one red line and exit code 1, Ctrl-C into a resume hint (130).

    Unexpected exceptions also become one line; set SEQDOODLE_DEBUG=1 to see the traceback.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit, *_USAGE_ERRORS):
            raise
        except BrokenPipeError:
            raise typer.Exit(EXIT_OK) from None
        except KeyboardInterrupt:
            typer.secho(
                "Interrupted. Finished work is kept; rerun the same command to resume.",
                fg=typer.colors.YELLOW,
                err=True,
            )
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except SeqdoodleError as e:
            raise fail(str(e)) from None
        except (OSError, ValueError, MemoryError) as e:
            if os.environ.get("SEQDOODLE_DEBUG"):
                raise
            raise fail(f"{type(e).__name__}: {_one_line(e)}") from None
        except Exception as e:  # noqa: BLE001 - the CLI never shows a traceback
            if os.environ.get("SEQDOODLE_DEBUG"):
                raise
            raise fail(
                f"unexpected {type(e).__name__}: {_one_line(e)} (SEQDOODLE_DEBUG=1 shows details)"
            ) from None

    return wrapper


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text[:300] + ("..." if len(text) > 300 else "")


def is_interactive() -> bool:
    """True when stderr is a terminal (progress bars are drawn only then or when forced)."""
    return sys.stderr.isatty()
