"""Shared machinery of the layouts: columns as (codes, dictionary), value parsing, assembly.

Every layout works on distinct values, never per row in Python: a column becomes its
dictionary (the few thousand distinct strings) plus one int32 code per row; cleaning,
splitting and parsing happen once per dictionary entry, and numpy ``take`` spreads the
result back over the rows. :class:`QueryPool` gathers candidate places from every
column and :func:`assemble` factorises them into the distinct queries of ``RawRoutes``.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from loaders.model import RawRoutes, StopGrid, Stops, stops_frame
from loaders.report import Problem, quoted

ORIGIN, TRANSIT, DESTINATION = 0, 1, 2
# Place cells that mean "not known". "NA" is not here: it is Namibia's ISO2 code.
MISSING_PLACES = ("", "-99", "unknown", "n/a", "?", "-", "--", "null", "none", "not known", "nan")
MISSING_VALUES = ("", "-99", "n/a", "null", "nan")  # attributes, counts and years
# Problems on kept rows (a blanked year) are listed up to this many per column, then summed up,
# so a file whose whole year column is unreadable does not make a million-line report.
KEPT_PROBLEM_CAP = 1000
NO_PLACE = "no place in origin, transit or destination"


class TableLike(Protocol):
    """The part of ``loaders.readers.Table`` the layouts use."""

    data: pa.Table
    lines: np.ndarray | None
    header_line: int
    rows_read: int
    rejected: int
    problems: list
    file_format: str
    sheet: str | None

    def line_of(self, row_index: np.ndarray) -> np.ndarray: ...


@dataclass(slots=True)
class Column:
    """One table column as a dictionary of distinct strings plus a code per row."""

    name: str
    codes: np.ndarray  # int32, one per row, index into ``dictionary``
    dictionary: pa.Array  # string

    @property
    def values(self) -> list[str]:
        return self.dictionary.to_pylist()


def encode(table: TableLike, name: str) -> Column:
    """The column ``name`` dictionary-encoded, with one dictionary across all chunks."""
    col = table.data.column(name)
    if not pa.types.is_dictionary(col.type):
        col = pc.dictionary_encode(pc.cast(col, pa.string()) if col.type != pa.string() else col)
    col = col.unify_dictionaries() if col.num_chunks > 1 else col
    if col.num_chunks == 0:
        return Column(name, np.zeros(0, np.int32), pa.array([], pa.string()))
    dictionary = pc.cast(col.chunks[0].dictionary, pa.string())
    codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in col.chunks])
    if col.null_count:  # the contract says "" for empty cells; be lenient with nulls anyway
        nulls = np.concatenate([c.is_null().to_numpy(zero_copy_only=False) for c in col.chunks])
        dictionary = pa.concat_arrays([dictionary, pa.array([""])])
        codes = np.where(nulls, len(dictionary) - 1, codes)
    return Column(name, codes.astype(np.int32, copy=False), dictionary)


def clean_text(dictionary: pa.Array) -> pa.Array:
    """Strip and collapse inner whitespace of every entry."""
    text = pc.utf8_trim_whitespace(dictionary)
    return pc.replace_substring_regex(text, r"\s+", " ")


def missing_mask(text: pa.Array, tokens: tuple[str, ...] = MISSING_PLACES) -> np.ndarray:
    """True where a cleaned entry means "not known" (case-insensitive)."""
    return pc.is_in(pc.utf8_lower(text), value_set=pa.array(tokens)).to_numpy(zero_copy_only=False)


# ---- numbers -----------------------------------------------------------------------------

_THOUSANDS = r"^\d{1,3}([, _'’]\d{3})+(\.0+)?$"


def parse_counts(dictionary: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per dictionary entry: (value int64, blank bool, bad bool).

    Whole numbers ≥ 0 are good ("1,234" and "12.0" too); blank/"-99"/"n/a" are blank;
    anything else (text, negative, fractions) is bad.
    """
    text = clean_text(dictionary)
    blank = missing_mask(text, MISSING_VALUES)
    sep = pc.match_substring_regex(text, _THOUSANDS)
    text = pc.if_else(sep, pc.replace_substring_regex(text, r"[, _'’]", ""), text)
    num = pd.to_numeric(pd.Series(text.to_pylist(), dtype=object), errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )
    with np.errstate(invalid="ignore"):
        good = np.isfinite(num) & (num >= 0) & (num == np.floor(num)) & (num < 2**62)
    good &= ~blank
    value = np.where(good, num, 0).astype(np.int64)
    return value, blank, ~good & ~blank


EARLY_YEAR = 1950  # a year before it is kept but noted: most likely a typo

# "2019/2020", "2016 – 2017", "2017-18": no month (2015-03 is one) but a span of years
_SPAN = re.compile(r"^\d{4}\s*[-–/]\s*(?:\d{4}|1[3-9]|[2-9]\d)$")
_YEAR = re.compile(
    r"^(?:(?P<a>\d{4})(?:\.0+)?(?:[-/.]\d{1,2}(?:[-/.]\d{1,2})?)?(?:[ T].*)?"
    r"|\d{1,2}[-/.]\d{1,2}[-/.](?P<b>\d{4})(?:[ T].*)?"
    r"|(?P<c>\d{4})\s*[-–/]\s*\d{4})$"
)


def parse_years(dictionary: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                np.ndarray]:
    """Per dictionary entry: (year int64, blank bool, bad bool, span bool).

    Years, dates (2015-03-02, 02/03/2015, 2015-03) and spans (2015-2016, 2017-18: the
    first year, ``span`` True so it is said) give a year; a year outside 1800..next
    year, or text that is no date, is bad.
    """
    text = clean_text(dictionary)
    blank = missing_mask(text, MISSING_VALUES)
    last = _dt.date.today().year + 1
    values = text.to_pylist()
    year = np.zeros(len(values), np.int64)
    good = np.zeros(len(values), bool)
    span = np.zeros(len(values), bool)
    for i, v in enumerate(values):
        m = _YEAR.match(v)
        if m:
            y = int(m.group("a") or m.group("b") or m.group("c"))
            if 1800 <= y <= last:
                year[i], good[i] = y, True
                span[i] = bool(_SPAN.match(v))
    return year, blank, ~good & ~blank, span & good


# ---- problems ----------------------------------------------------------------------------


@dataclass(slots=True)
class Problems:
    """Problems and rejected rows of one build, with their file lines."""

    table: TableLike
    items: list[Problem] = field(default_factory=list)
    rejected: np.ndarray | None = None  # bool per row

    def reject(self, rows: np.ndarray, column: str | None, messages: list[str] | str) -> None:
        """Reject ``rows`` (positions) not rejected already, one Problem each."""
        if self.rejected is None:
            self.rejected = np.zeros(self.table.data.num_rows, bool)
        rows = np.asarray(rows, np.int64)
        if isinstance(messages, str):
            messages = [messages] * len(rows)
        fresh = ~self.rejected[rows]
        rows = rows[fresh]
        messages = [m for m, f in zip(messages, fresh, strict=True) if f]
        self.rejected[rows] = True
        lines = self.table.line_of(rows) if len(rows) else []
        self.items.extend(
            Problem(int(ln), column, m) for ln, m in zip(lines, messages, strict=True)
        )

    def kept(self, rows: np.ndarray, column: str | None, messages: list[str]) -> None:
        """Problems on kept rows, capped at KEPT_PROBLEM_CAP per call with a summary."""
        rows = np.asarray(rows, np.int64)
        if self.rejected is not None:
            keep = ~self.rejected[rows]
            rows, messages = rows[keep], [m for m, k in zip(messages, keep, strict=True) if k]
        shown = rows[:KEPT_PROBLEM_CAP]
        lines = self.table.line_of(shown) if len(shown) else []
        self.items.extend(
            Problem(int(ln), column, m, kept=True) for ln, m in zip(lines, messages, strict=False)
        )
        if len(rows) > KEPT_PROBLEM_CAP:
            more = len(rows) - KEPT_PROBLEM_CAP
            self.items.append(Problem(None, column, f"{more} more rows like these", kept=True))

    def file(self, column: str | None, message: str) -> None:
        self.items.append(Problem(None, column, message, kept=True))

    def rejected_mask(self) -> np.ndarray:
        """True per table row rejected so far."""
        n = self.table.data.num_rows
        return np.zeros(n, bool) if self.rejected is None else self.rejected

    def kept_rows(self) -> np.ndarray:
        """Positions of the rows not rejected, in order."""
        n = self.table.data.num_rows
        if self.rejected is None or not self.rejected.any():
            return np.arange(n)
        return np.flatnonzero(~self.rejected)


def take_rows(values: Any, rows: np.ndarray) -> Any:
    """``values[rows]`` for ``rows`` from :meth:`Problems.kept_rows`; ``values`` itself
    when every row is kept (a million-row gather saved per column)."""
    return values if len(rows) == len(values) else values[rows]


def bad_value_rows(col: Column, bad: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Rows whose code is a ``bad`` dictionary entry, and their raw values."""
    rows = np.flatnonzero(bad[col.codes])
    values = col.values
    return rows, [values[c] for c in col.codes[rows]]


def read_counts(
    table: TableLike, name: str | None, problems: Problems
) -> tuple[np.ndarray, np.ndarray]:
    """Per row (count, has_count). Without a count column every row counts 1 (a case).

    A blank cell gives <NA>. A count that is no whole number ("~10", "10+", "5.5") keeps
    its row as one reported without a number, with a Problem naming column and value:
    only a row with no usable place is rejected (DESIGN §2), and its route is still a
    route someone was moved along.
    """
    n = table.data.num_rows
    if name is None:
        return np.ones(n, np.int64), np.ones(n, bool)
    col = encode(table, name)
    value, blank, bad = parse_counts(col.dictionary)
    if bad.any():
        rows, raw = bad_value_rows(col, bad)
        problems.kept(rows, name, [f"count {quoted(v)} in '{name}' is not a whole number ≥ 0;"
                                   " kept as reported without a number" for v in raw])
    # a row of 0 cases is no case (DESIGN §2: a count is 1 or more); kept, it counted as
    # a record and as a corridor withheld
    zero = ~(blank | bad) & (value == 0)
    if zero.any():
        rows, raw = bad_value_rows(col, zero)
        problems.reject(rows, name, [f"count {quoted(v)} in '{name}' is no case: a row "
                                     "needs 1 or more (leave it blank where the number is "
                                     "not known)" for v in raw])
    return value[col.codes], ~(blank | bad | zero)[col.codes]


def read_years(
    table: TableLike, name: str | None, problems: Problems
) -> tuple[np.ndarray, np.ndarray]:
    """Per row (year, has_year); a bad year is blanked, the row kept, a Problem noted."""
    n = table.data.num_rows
    if name is None:
        return np.zeros(n, np.int64), np.zeros(n, bool)
    col = encode(table, name)
    value, blank, bad, span = parse_years(col.dictionary)
    if bad.any():
        rows, raw = bad_value_rows(col, bad)
        problems.kept(rows, name, [f"year {quoted(v)} is not a year; left blank" for v in raw])
    if span.any():  # the first year of it is taken; said, so a person can check
        rows, raw = bad_value_rows(col, span)
        problems.kept(rows, name, [f"year {quoted(v)} spans years: read as its first" for v in raw])
    # a year this early is a year, so it stays; but one typo (1850 for 1985) stretched
    # every year axis and range of the dataset back to it without a word
    early = ~(blank | bad) & (value < EARLY_YEAR)
    if early.any():
        rows, raw = bad_value_rows(col, early)
        problems.kept(rows, name, [f"year {quoted(v)} is before {EARLY_YEAR}: kept as "
                                   "written, please check it" for v in raw])
    return value[col.codes], ~(blank | bad)[col.codes]


# ---- places ------------------------------------------------------------------------------


class QueryPool:
    """Candidate places (text, country hint, lat, lon) from all columns, distinct at the end.

    Each ``add`` takes a small local table (a dictionary's worth of entries) and returns
    the pooled ids of its rows; :meth:`finish` factorises the pool once.
    """

    def __init__(self) -> None:
        self._text: list[pa.Array] = []
        self._hint: list[pa.Array] = []
        self._lat: list[np.ndarray] = []
        self._lon: list[np.ndarray] = []
        self.size = 0

    def add(
        self,
        text: pa.Array | list[str],
        hint: pa.Array | list[str] | None = None,
        lat: np.ndarray | None = None,
        lon: np.ndarray | None = None,
    ) -> np.ndarray:
        text = pa.array(text, pa.string()) if not isinstance(text, pa.Array) else text
        n = len(text)
        hint = pa.array([""] * n) if hint is None else pa.array(hint, pa.string())
        self._text.append(pc.cast(text, pa.string()))
        self._hint.append(pc.cast(hint, pa.string()))
        self._lat.append(np.full(n, np.nan) if lat is None else np.asarray(lat, float))
        self._lon.append(np.full(n, np.nan) if lon is None else np.asarray(lon, float))
        ids = np.arange(self.size, self.size + n, dtype=np.int32)
        self.size += n
        return ids

    def _frame(self, ids: np.ndarray) -> pd.DataFrame:
        take = pa.array(ids)
        return pd.DataFrame(
            {
                "text": pa.chunked_array(self._text).take(take).to_numpy(zero_copy_only=False),
                "country_hint": pa.chunked_array(self._hint).take(take).to_numpy(
                    zero_copy_only=False
                ),
                "lat": np.concatenate(self._lat)[ids],
                "lon": np.concatenate(self._lon)[ids],
            }
        )

    @staticmethod
    def _groups(frame: pd.DataFrame) -> np.ndarray:
        # round so that 24.86 and 24.8600000001 are one place; NaN groups with NaN
        group = frame.assign(lat=frame["lat"].round(7), lon=frame["lon"].round(7))
        return group.groupby(list(group.columns), sort=False, dropna=False).ngroup().to_numpy()

    def canonical(self) -> np.ndarray:
        """For every pooled id, the first pooled id of the same place (to compare places)."""
        if not self.size:
            return np.zeros(0, np.int64)
        qid = self._groups(self._frame(np.arange(self.size)))
        return first_of_groups(qid)[qid]

    def finish(self, used: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
        """Distinct queries among the pooled ids ``used`` (any shape, -1 for no place):
        (queries, ``used`` as query ids, -1 kept)."""
        used = np.asarray(used)
        if not self.size or not used.size:
            empty = pd.DataFrame(
                {
                    "text": pd.Series([], dtype="str"),
                    "country_hint": pd.Series([], dtype="str"),
                    "lat": pd.Series([], dtype=float),
                    "lon": pd.Series([], dtype=float),
                }
            )
            return empty, np.full(used.shape, -1, np.int32)
        # the pool is small (distinct values), the stops many: a lookup table, not a sort.
        # One slot past the pool stands for -1, so empty slots need no mask.
        mark = np.zeros(self.size + 1, bool)
        mark[used.ravel()] = True
        mark[-1] = False
        pooled_ids = np.flatnonzero(mark)
        frame = self._frame(pooled_ids)
        qid = self._groups(frame)
        queries = frame.iloc[first_of_groups(qid)].reset_index(drop=True)
        queries["text"] = queries["text"].astype("str")
        queries["country_hint"] = queries["country_hint"].astype("str")
        lookup = np.full(self.size + 1, -1, np.int32)
        lookup[pooled_ids] = qid
        return queries, lookup[used]


def first_of_groups(qid: np.ndarray) -> np.ndarray:
    """Position of the first element of each group 0..max(qid) in ``qid``."""
    first = np.zeros(int(qid.max()) + 1 if len(qid) else 0, np.int64)
    first[qid[::-1]] = np.arange(len(qid))[::-1]
    return first


def place_ids(pool: QueryPool, text: Column, hint: Column | None = None) -> np.ndarray:
    """Pooled place id per row (-1 where missing) of a text column with an optional hint.

    A blank text with a hint is the hint itself (a city left blank, its country given).
    """
    t = clean_text(text.dictionary)
    t_miss = missing_mask(t)
    if hint is None:
        ids = pool.add(t)
        local = np.where(t_miss, -1, ids)
        return local[text.codes]
    h = clean_text(hint.dictionary)
    h_miss = missing_mask(h)
    nh = len(h)
    pair = text.codes.astype(np.int64) * nh + hint.codes
    codes, uniq = pd.factorize(pair)
    ti, hi = uniq // nh, uniq % nh
    tm, hm = t_miss[ti], h_miss[hi]
    t_text = t.take(pa.array(ti)).to_numpy(zero_copy_only=False)
    h_text = h.take(pa.array(hi)).to_numpy(zero_copy_only=False)
    h_text = np.where(hm, "", h_text)
    text_out = np.where(tm, h_text, t_text)
    hint_out = np.where(tm, "", h_text)
    ids = pool.add(list(text_out), list(hint_out))
    local = np.where(tm & hm, -1, ids)
    return local[codes]


# ---- attributes --------------------------------------------------------------------------


def attribute(col: Column, tokens: tuple[str, ...] = MISSING_VALUES) -> pd.Categorical:
    """A column as a categorical of its stripped values; blank/-99/n/a become missing."""
    text = clean_text(col.dictionary)
    miss = missing_mask(text, tokens)
    codes, cats = pd.factorize(pd.Series(text.to_numpy(zero_copy_only=False), dtype=object))
    codes = np.where(miss, -1, codes)
    keep = np.unique(codes[codes >= 0])
    remap = np.full(len(cats) + 1, -1, np.int32)
    remap[keep] = np.arange(len(keep))
    row_codes = remap[codes][col.codes]
    return pd.Categorical.from_codes(row_codes, categories=pd.Index(cats[keep], dtype="str"))


# ---- assembly ----------------------------------------------------------------------------


def assemble(
    table: TableLike,
    layout_columns: dict[str, Any],
    pool: QueryPool,
    problems: Problems,
    *,
    rec_row: np.ndarray,
    count: np.ndarray,
    has_count: np.ndarray,
    year: np.ndarray,
    has_year: np.ndarray,
    attributes: dict[str, pd.Categorical | np.ndarray],
    grid: np.ndarray | None = None,
    slot_roles: np.ndarray | None = None,
    stop_rec: np.ndarray | None = None,
    stop_pool_id: np.ndarray | None = None,
    stop_role: np.ndarray | None = None,
    set_aside: list[str] | None = None,
) -> RawRoutes:
    """Turn per-record arrays and their stops into :class:`RawRoutes`.

    ``rec_row`` is the table row of each record (its line and attributes); ``count``,
    ``year`` and the attributes are per record. The stops come either as ``grid``, a
    records × slots array of pooled ids (-1 empty) with ``slot_roles``, or long:
    ``stop_rec`` indexes records and is sorted, stops of a record in route order.
    """
    n_rec = len(rec_row)
    if grid is not None:
        assert slot_roles is not None
        assert len(grid) == n_rec
        queries, query_grid = pool.finish(grid)
        if grid.shape[1] > np.iinfo(np.int16).max:
            raise AssertionError("a route with more than 32767 stops")
        stop_table: Stops = StopGrid(query_grid, slot_roles)
    else:
        assert stop_rec is not None
        assert stop_pool_id is not None
        assert stop_role is not None
        queries, qid = pool.finish(stop_pool_id)
        per_rec = np.bincount(stop_rec, minlength=n_rec)
        starts = np.cumsum(per_rec) - per_rec
        seq = np.arange(len(stop_rec)) - np.repeat(starts, per_rec)
        if len(seq) and seq.max() > np.iinfo(np.int16).max:
            raise AssertionError("a route with more than 32767 stops")
        stop_table = stops_frame(stop_rec, seq, stop_role, qid, "query_id")
    records = pd.DataFrame(
        {
            "record_id": np.arange(n_rec, dtype=np.int64),
            "count": pd.arrays.IntegerArray(count.astype(np.int64, copy=False), ~has_count),
            "year": pd.arrays.IntegerArray(year.astype(np.int64, copy=False), ~has_year),
            "line": np.asarray(table.line_of(rec_row), np.int64)
            if n_rec
            else np.zeros(0, np.int64),
        },
        copy=False,
    )
    for name, values in attributes.items():
        if name not in records.columns:
            records[name] = values
    rejected = int(problems.rejected_mask().sum())
    items = list(table.problems) + problems.items
    items.sort(key=lambda p: (p.row is None, p.row or 0))
    return RawRoutes(
        records=records,
        stop_table=stop_table,
        queries=queries,
        rows_read=int(table.rows_read),
        rejected_rows=int(table.rejected) + rejected,
        problems=items,
        set_aside=list(set_aside or []),
        columns=layout_columns,
    )
