"""`seqdoodle classes`."""

from __future__ import annotations

import typer

from seqdoodle.cli.app import app, handle_errors
from seqdoodle.datasets.categories import all_categories


@app.command("classes")
@handle_errors
def classes_command() -> None:
    """List the 345 Quick, Draw! class names, one a line."""
    for name in all_categories():
        typer.echo(name)
