"""The typer application objects and the error handling every command shares."""

from __future__ import annotations

import functools
import os
import sys
from enum import Enum

import typer

from seqdoodle.errors import SeqdoodleError


class CnnArch(str, Enum):
    """Bitmap CNN architectures (`seqdoodle.models.cnn`)."""

    default = "default"
    baseline = "baseline"


class RnnArch(str, Enum):
    """Stroke model architectures (`seqdoodle.models.rnn`)."""

    default = "default"
    tutorial = "tutorial"


app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Classify Quick, Draw! doodles: a bitmap CNN and a stroke Conv1D+LSTM, same drawings.",
)
train_app = typer.Typer(no_args_is_help=True, help="Train a model: `train cnn` or `train rnn`.")
app.add_typer(train_app, name="train")

# Usage errors (bad option values) keep typer's own message and exit code 2.
_USAGE_ERRORS = tuple(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def fail(message: str) -> typer.Exit:
    """Print one red error line to stderr and return the Exit to raise (code 1)."""
    typer.secho(f"Error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(EXIT_ERROR)


def handle_errors(func):
    """Turn library errors into one red line and exit code 1, Ctrl-C into a resume hint (130).

    Unexpected exceptions also become one line; set SEQDOODLE_DEBUG=1 to see the traceback.
    """

    needs_tensorflow = func.__module__ in _TENSORFLOW_COMMAND_MODULES

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            if needs_tensorflow:
                import_tensorflow_quietly()
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


_TENSORFLOW_COMMAND_MODULES = {
    "seqdoodle.cli.train",
    "seqdoodle.cli.evaluate",
    "seqdoodle.cli.compare",
}


def import_tensorflow_quietly() -> None:
    """Import TensorFlow with file descriptor 2 pointed at /dev/null.

    TensorFlow's C++ start-up lines (oneDNN notice, CUDA probing) go straight to fd 2 before any log
    level applies; silencing them keeps a failed command's output to its one error line.
    SEQDOODLE_DEBUG=1 leaves them visible.
    """
    if "tensorflow" in sys.modules or os.environ.get("SEQDOODLE_DEBUG"):
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import keras  # noqa: F401
        import tensorflow as tf

        # Retracing notices (one per new stroke length bucket when predicting) are not for users.
        tf.get_logger().setLevel("ERROR")
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text[:300] + ("..." if len(text) > 300 else "")


def is_interactive() -> bool:
    """True when stderr is a terminal (progress bars are drawn only then or when forced)."""
    return sys.stderr.isatty()
