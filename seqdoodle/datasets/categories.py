"""The 345 Quick, Draw! category names and class-name checks."""

from __future__ import annotations

import difflib
from functools import lru_cache
from importlib import resources

from seqdoodle.errors import UnknownClassError


@lru_cache(maxsize=1)
def all_categories() -> tuple[str, ...]:
    """The 345 category names in Google's order (`categories.txt`), e.g. 'The Eiffel Tower'."""
    text = resources.files("seqdoodle").joinpath("data/categories.txt").read_text("utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def check_class(name: str, known: list[str] | tuple[str, ...] | None = None) -> str:
    """Return `name` if it is a known class, else raise with close-match suggestions.

    Args:
        name: str. A class name, matched exactly (case and spaces matter, as in Google's files).
        known: list of str. The allowed names. Defaults to the 345 categories.

    Example:
    >>> check_class("cat")
    'cat'
    """
    known = all_categories() if known is None else tuple(known)
    if name in known:
        return name
    folded = {k.lower(): k for k in known}
    if name.strip().lower() in folded:
        hint = [folded[name.strip().lower()]]
    else:
        hint = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    msg = f"Unknown class {name!r}."
    if hint:
        msg += f" Did you mean: {', '.join(hint)}?"
    raise UnknownClassError(msg)


def parse_class_list(text: str | list[str], known=None) -> list[str]:
    """Split a comma-separated class list (or take a list), strip spaces, check every name.

    Duplicates are dropped, order kept.

    Example:
    >>> parse_class_list("cat, dog,The Eiffel Tower")
    ['cat', 'dog', 'The Eiffel Tower']
    """
    items = text.split(",") if isinstance(text, str) else list(text)
    names: list[str] = []
    for item in items:
        item = item.strip()
        if item and item not in names:
            names.append(check_class(item, known))
    if not names:
        raise UnknownClassError("Empty class list.")
    return names
