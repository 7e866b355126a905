"""What a load did to every row and every place: the report behind ``routemap check``.

The invariant users rely on: ``rows.read == rows.kept + rows.rejected``. Every rejected
row is listed in ``problems`` with its line in the file and the reason; problems on
kept rows (a bad year blanked, a short row padded) are listed too, with ``kept=True``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

QUOTED_CHARS = 60  # of a value quoted in a problem's message


def row_word(file_format: str) -> str:
    """What a problem's row number counts in a file of this format: a CSV's line, a
    spreadsheet's row, a JSON or Parquet file's record (a pretty-printed JSON file's
    record 2 began on line 7)."""
    if file_format in ("json", "ndjson", "geojson", "parquet"):
        return "record"
    return "row" if file_format in ("xlsx", "xls", "ods") else "line"


def quoted(value: object) -> str:
    """``value`` in quotes for a message, cut to its first characters: a row whose count
    was 100,000 characters printed all of them in its one line."""
    text = str(value)
    if len(text) <= QUOTED_CHARS:
        return f"'{text}'"
    return f"'{text[:QUOTED_CHARS]}…' ({len(text):,} characters)"


def shortened(text: str) -> str:
    """``text`` cut to its first characters, saying how long it was: for a place name
    shown in a sentence or a list, where a 100,000-character cell filled the page."""
    if len(text) <= QUOTED_CHARS:
        return text
    return f"{text[:QUOTED_CHARS]}… ({len(text):,} characters)"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one row (``row`` is the 1-based line in the file) or the file."""

    row: int | None
    column: str | None
    message: str
    kept: bool = False  # True: the row stays in the dataset, only this value was set aside


@dataclass(slots=True)
class UnresolvedPlace:
    query: str
    rows: int
    suggestion: str | None = None
    score: float | None = None


@dataclass(slots=True)
class GuessedPlace:
    """A place drawn as a guess (a fuzzy match): to check, as the Data page's review."""

    query: str
    rows: int
    found: str  # "Karachi (city, PAK)"
    country: str = ""  # the country written beside it, if any
    elsewhere: bool = False  # found, but not in that country
    score: float | None = None
    also: str = ""  # another country's city of the same name ("Hyderabad (city, PAK)")


def guess_text(found: str, *, elsewhere_in: str = "", also: str = "") -> str:
    """How a guessed place was taken, in words: "found as Karachi (city, PAK), not in
    India" (``elsewhere_in``), "taken as Hyderabad (city, IND), the larger; Hyderabad
    (city, PAK) has this name too" (``also``), or "guessed as Karachi (city, PAK)"."""
    if elsewhere_in:
        return f"found as {found}, not in {elsewhere_in}"
    if also:
        return f"taken as {found}, the larger; {also} has this name too"
    return f"guessed as {found}"


@dataclass(slots=True)
class LoadReport:
    layout: str
    file_format: str = ""
    rows_read: int = 0
    rows_kept: int = 0
    rows_rejected: int = 0
    records: int = 0
    places_unique: int = 0
    places_resolved: int = 0
    by_method: dict[str, int] = field(default_factory=dict)
    unresolved: list[UnresolvedPlace] = field(default_factory=list)
    guessed: list[GuessedPlace] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    set_aside: list[str] = field(default_factory=list)  # e.g. aggregate matrix rows (WORLD, ...)
    columns: dict[str, Any] = field(default_factory=dict)  # the column mapping the layout used

    def check(self) -> None:
        """Raise if the bookkeeping is wrong: a bug, never the user's fault."""
        if self.rows_read != self.rows_kept + self.rows_rejected:
            raise AssertionError(
                f"report invariant broken: read {self.rows_read} != kept {self.rows_kept}"
                f" + rejected {self.rows_rejected}"
            )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``routemap check --json`` (DESIGN §8), a stable contract."""
        return {
            "layout": self.layout,
            "format": self.file_format,
            "rows": {
                "read": self.rows_read,
                "kept": self.rows_kept,
                "rejected": self.rows_rejected,
            },
            "records": self.records,
            "columns": self.columns,
            "places": {
                "unique": self.places_unique,
                "resolved": self.places_resolved,
                "by_method": dict(self.by_method),
                "unresolved": [asdict(u) for u in self.unresolved],
                "guessed": [asdict(g) for g in self.guessed],
            },
            "set_aside": list(self.set_aside),
            # "row" is a number in every problem (DESIGN §8): 0 for the file as a whole
            "problems": [{**asdict(p), "row": p.row or 0} for p in self.problems],
        }
