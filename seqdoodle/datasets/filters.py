"""Keep drawings by their metadata: `Filter` (recognised only, some countries), `make_filter`
from CLI-style options, and `FilteredReader`, which wraps any reader of the table.

Formats without those fields (numpy_bitmap rows, sketch-rnn) are refused with an active filter
rather than emptied (`Format.metadata`; see `formats.open_reader`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from seqdoodle.errors import DataFormatError

_COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class Filter:
    """Keep drawings by their metadata.

    Args:
        recognized_only: bool. Keep only drawings Google's model recognised (`recognized` True).
        countries: tuple of str or None. Keep only these two-letter country codes.

    Example:
    >>> from seqdoodle.datasets.records import Drawing
    >>> Filter(countries=("US",)).keep(Drawing("cat", countrycode="US", recognized=False))
    True
    """

    recognized_only: bool = False
    countries: tuple[str, ...] | None = None

    @property
    def active(self) -> bool:
        """True when the filter leaves anything out."""
        return self.recognized_only or self.countries is not None

    def keep(self, drawing) -> bool:
        """Whether `drawing` passes (unknown `recognized` or country do not pass)."""
        if self.recognized_only and drawing.recognized is not True:
            return False
        return self.countries is None or drawing.countrycode in self.countries

    def to_json(self) -> dict:
        """The filter as recorded in a dataset's manifest."""
        return {"recognized_only": self.recognized_only, "countries": self.countries}

    def __str__(self) -> str:
        parts = ["recognized only"] if self.recognized_only else []
        if self.countries is not None:
            parts.append(f"countries {','.join(self.countries)}")
        return " and ".join(parts) or "no filter"


def make_filter(recognized_only: bool = False, countries=None) -> Filter:
    """A `Filter` from CLI-style options; `countries` may be `"US,GB"` or a list.

    Raises:
        DataFormatError: a country is not a two-letter upper-case code.

    Example:
    >>> make_filter(countries="us, GB").countries
    ('US', 'GB')
    """
    if countries is None:
        return Filter(bool(recognized_only), None)
    items = countries.split(",") if isinstance(countries, str) else list(countries)
    codes = []
    for item in items:
        code = str(item).strip().upper()
        if not code:
            continue
        if not _COUNTRY.match(code):
            raise DataFormatError(f"country {item!r}: not a two-letter country code such as US")
        if code not in codes:
            codes.append(code)
    if not codes:
        raise DataFormatError("--countries: no country code given")
    return Filter(bool(recognized_only), tuple(codes))


class FilteredReader:
    """A reader that passes on only the drawings a `Filter` keeps, up to `limit` of them."""

    def __init__(self, reader, where: Filter, limit: int | None):
        self.reader, self.where, self.limit = reader, where, limit

    @property
    def summary(self):
        return self.reader.summary

    def __iter__(self) -> Iterator:
        kept = filtered = 0
        if self.limit == 0:
            return
        for drawing in self.reader:
            if not self.where.keep(drawing):
                filtered += 1
                self.reader.summary.n_filtered = filtered
                continue
            kept += 1
            yield drawing
            if self.limit is not None and kept >= self.limit:
                return
