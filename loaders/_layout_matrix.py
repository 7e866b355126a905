"""Layout 3: an origin–destination matrix (UN DESA style).

One row per destination, one count column per origin, optional Year and Total. Each
non-empty, non-zero cell becomes a record origin → destination. Aggregate rows (WORLD,
"More developed regions", UPPER CASE continents, ...) would count people twice: they
are set aside, each reported as a rejected row. Aggregate columns (Total, Other North)
are ignored and listed.

A name can be both a region and a country ("Micronesia" in UN DESA): it is not in the
list. When such a name appears twice in one year, the row with the larger total is the
region and is set aside.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders._layout_core import (
    DESTINATION,
    NO_PLACE,
    ORIGIN,
    Problems,
    QueryPool,
    TableLike,
    assemble,
    bad_value_rows,
    clean_text,
    encode,
    missing_mask,
    parse_counts,
    place_ids,
    read_years,
)
from loaders.model import RawRoutes
from loaders.report import quoted

AGGREGATE_COLUMNS = {
    "total", "other_north", "other_south", "other", "others", "unknown", "sum", "all",
    "world", "grand_total", "other_countries", "not_stated", "total_migrants",
}
# Conservative: names that are never a country. "Micronesia" is both (see module doc).
AGGREGATE_ROWS = {
    "world", "total", "more developed regions", "less developed regions",
    "least developed countries", "less developed regions excluding least developed countries",
    "less developed regions excluding china", "high-income countries",
    "middle-income countries", "upper-middle-income countries", "lower-middle-income countries",
    "low-income countries", "no income group available", "sub-saharan africa",
    "africa", "asia", "europe", "oceania", "northern america", "latin america and the caribbean",
    "eastern africa", "middle africa", "northern africa", "southern africa", "western africa",
    "central asia", "eastern asia", "southern asia", "south-eastern asia", "western asia",
    "eastern europe", "northern europe", "southern europe", "western europe", "caribbean",
    "central america", "south america", "australia/new zealand", "australia and new zealand",
    "melanesia", "polynesia", "northern africa and western asia", "central and southern asia",
    "eastern and south-eastern asia", "europe and northern america",
    "oceania (excluding australia and new zealand)", "land-locked developing countries (lldc)",
    "small island developing states (sids)", "developed regions", "developing regions",
    "other north", "other south", "other", "unknown",
}
_BLANK_CELLS = ("..", "...", "-", "–", "—", "x", "…")


def is_aggregate_name(name: str, caps_rule: bool = True) -> bool:
    """Whether a row or column name is an aggregate (listed, or a region in UPPER CASE)."""
    key = re.sub(r"\s+", " ", str(name).strip()).lower()
    if key in AGGREGATE_ROWS:
        return True
    letters = re.sub(r"[^A-Za-z]", "", str(name))
    return caps_rule and len(letters) >= 4 and str(name).strip().isupper()


def caps_rule_applies(names: list[str]) -> bool:
    """The UPPER CASE rule holds only where most names are not written in capitals."""
    names = [n for n in names if re.sub(r"[^A-Za-z]", "", n)]
    caps = sum(n.strip().isupper() for n in names)
    return caps < len(names) / 2


def build_matrix(table: TableLike, cols: dict[str, Any]) -> RawRoutes:
    """One record per non-empty, non-zero cell; aggregate rows set aside and reported."""
    n = table.data.num_rows
    problems, pool = Problems(table), QueryPool()
    label = encode(table, cols["destination"][0])
    year, has_year = read_years(table, cols.get("year"), problems)

    text = clean_text(label.dictionary)
    names = text.to_pylist()
    caps = caps_rule_applies(names)
    aggregate = np.array([is_aggregate_name(v, caps) for v in names], bool)
    blank = missing_mask(text)
    problems.reject(np.flatnonzero(blank[label.codes]), None, NO_PLACE)
    agg_rows = np.flatnonzero(aggregate[label.codes] & ~blank[label.codes])
    messages = [f"aggregate row '{names[c]}' set aside" for c in label.codes[agg_rows]]
    problems.reject(agg_rows, label.name, messages)

    origins = list(cols.get("origins") or [])
    values = np.zeros((n, len(origins)), np.int64)
    for j, name in enumerate(origins):
        col = encode(table, name)
        value, empty, bad = parse_counts(col.dictionary)
        empty |= pc.is_in(clean_text(col.dictionary), value_set=pa.array(_BLANK_CELLS)).to_numpy(
            zero_copy_only=False
        )
        bad &= ~empty
        values[:, j] = np.where(empty | bad, 0, value)[col.codes]
        if bad.any():  # Problems.kept leaves out rows already rejected
            rows, raw = bad_value_rows(col, bad)
            problems.kept(rows, name, [f"count {quoted(v)} in '{name}' is not a whole number ≥ 0;"
                                       " cell skipped" for v in raw])

    set_aside = _regions_named_like_countries(table, cols, label, year, has_year, values,
                                              problems)
    set_aside = [names[c] for c in _first_seen(label.codes[agg_rows])] + set_aside

    keep = ~problems.rejected_mask()
    rows, js = np.nonzero(values * keep[:, None] > 0)
    origin_ids = pool.add(clean_text(pa.array(origins, pa.string())))
    dest_ids = place_ids(pool, label)
    grid = np.stack([origin_ids[js], dest_ids[rows]], axis=1)
    from loaders._layout_routes import attributes_of

    columns = {**cols, "count": "cells"}
    return assemble(
        table, columns, pool, problems,
        rec_row=rows, count=values[rows, js], has_count=np.ones(len(rows), bool),
        year=year[rows], has_year=has_year[rows],
        grid=grid, slot_roles=np.array([ORIGIN, DESTINATION], np.int8),
        attributes=attributes_of(table, cols, rows), set_aside=set_aside,
    )


def _first_seen(codes: np.ndarray) -> list[int]:
    _, first = np.unique(codes, return_index=True)
    return [int(c) for c in codes[np.sort(first)]]


def _regions_named_like_countries(
    table: TableLike,
    cols: dict[str, Any],
    label: Any,
    year: np.ndarray,
    has_year: np.ndarray,
    values: np.ndarray,
    problems: Problems,
) -> list[str]:
    """Set aside the larger of two rows with one name in one year (a region's total)."""
    live = problems.kept_rows()
    if not len(live):
        return []
    total_col = next((c for c in cols.get("ignored") or [] if c.strip().lower() == "total"), None)
    if total_col:
        col = encode(table, total_col)
        value, _, _ = parse_counts(col.dictionary)
        total = value[col.codes]
    else:
        total = values.sum(axis=1)
    y = np.where(has_year, year, -1)
    key = y[live] * (len(label.dictionary) + 1) + label.codes[live]
    order = np.lexsort((-total[live], key))
    k = key[order]
    dup = np.zeros(len(k), bool)
    dup[:-1] = k[:-1] == k[1:]  # every row of a group but its smallest total
    rows = live[order][dup]
    names = label.values
    rows.sort()
    problems.reject(rows, label.name, [
        f"aggregate row '{names[c]}' set aside (a region named like a country: the larger"
        " of two rows with this name in one year)" for c in label.codes[rows]
    ])
    return [names[c] for c in _first_seen(label.codes[rows])]
