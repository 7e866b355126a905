"""``routemap geocode``: the input's columns plus coordinates for each place column.

Works on the table as read, not on routes, so every input row comes out once, in order,
with its own columns untouched. Each distinct (text, country) pair is resolved once and
mapped back to the rows by its dictionary codes.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from loaders._layout_core import encode
from loaders._layout_routes import _SPLIT, _SPLIT_COMMAS, _pieces
from loaders.aliases import load_aliases
from loaders.errors import SchemaError
from loaders.geocode import geocode
from loaders.layouts import ROLE_KEYS, detect_layout
from loaders.readers import Table, read_table

SUFFIXES = ("name", "kind", "iso3", "lat", "lon", "match", "score")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
LIST_JOIN = "; "


def geocode_file(
    source: str | os.PathLike,
    output: Path,
    *,
    columns: list[str] | None = None,
    country_column: str | None = None,
) -> str:
    """Geocode ``source``'s place columns into the CSV ``output``; return a summary line."""
    from loaders.load import resolve_source

    path, name, _ = resolve_source(source)
    table = read_table(path, name=name)
    targets = plan_columns(table, columns or [], country_column)
    aliases = load_aliases()
    data = table.data
    resolved = 0
    total = 0
    for column, hint, split in targets:
        new = geocode_column(table, column, hint, split, aliases)
        for suffix in SUFFIXES:
            data = data.append_column(f"{column}_{suffix}", new[suffix])
        total += new["n_distinct"]
        resolved += new["n_resolved"]
    write_csv(data, output)
    names = ", ".join(c for c, _, _ in targets)
    return (f"routemap: {table.data.num_rows} rows; geocoded {names}: {resolved} of {total}"
            f" distinct places resolved; wrote {output}")


def plan_columns(
    table: Table, columns: list[str], country_column: str | None
) -> list[tuple[str, str | None, bool]]:
    """(column, country column, holds lists) for each column to geocode."""
    present = set(table.data.column_names)
    missing = [c for c in [*columns, *([country_column] if country_column else [])]
               if c not in present]
    if missing:
        raise SchemaError(
            f"no column named {', '.join(map(repr, missing))}; the file has "
            f"{', '.join(map(repr, table.data.column_names[:30]))}"
        )
    if columns:
        return [(c, country_column, False) for c in columns]
    spec = detect_layout(table)
    hints = spec.columns.get("country_hint") or {}
    plan: list[tuple[str, str | None, bool]] = []
    for role in ROLE_KEYS:
        for column in spec.columns.get(role) or []:
            if column in present and column not in {c for c, _, _ in plan}:
                is_list = role == "transit"
                plan.append((column, country_column or hints.get(role), is_list))
    if not plan:
        raise SchemaError("found no place columns to geocode; name them with --column")
    return plan


def geocode_column(
    table: Table, column: str, hint_column: str | None, split: bool, aliases: dict
) -> dict:
    """Arrays of name/kind/iso3/lat/lon/match/score for ``column``, one entry per row."""
    text = encode(table, column)
    n_rows = len(text.codes)
    if hint_column:
        hint = encode(table, hint_column)
        pair = text.codes.astype(np.int64) * max(len(hint.dictionary), 1) + hint.codes
        distinct, inverse = np.unique(pair, return_inverse=True)
        text_of = distinct // max(len(hint.dictionary), 1)
        hint_of = distinct % max(len(hint.dictionary), 1)
        hints = [hint.values[h].strip() for h in hint_of]
    else:
        text_of = np.arange(len(text.dictionary))
        inverse = text.codes
        hints = [""] * len(text_of)
    values = text.values
    cells = [values[t].strip() for t in text_of]
    # a list column splits on commas only where the commas clearly separate places
    commas = split and sum("," in c for c in cells) > len(cells) / 2 and not any(hints)
    pattern = _SPLIT_COMMAS if commas else _SPLIT
    pieces = [(_pieces(c, pattern) if split else ([c] if c else [])) for c in cells]

    queries: dict[tuple[str, str], int] = {}
    flat = np.fromiter(
        (queries.setdefault((p, h), len(queries))
         for cell_pieces, h in zip(pieces, hints, strict=True) for p in cell_pieces),
        dtype=np.int64,
    )
    offsets = np.zeros(len(pieces) + 1, dtype=np.int32)
    np.cumsum([len(p) for p in pieces], out=offsets[1:])
    frame = pd.DataFrame(
        {
            "text": pd.Series([q for q, _ in queries], dtype=object),
            "country_hint": pd.Series([h for _, h in queries], dtype=object),
            "lat": np.full(len(queries), np.nan),
            "lon": np.full(len(queries), np.nan),
        }
    )
    places = geocode(frame, aliases=aliases) if len(frame) else None
    take = pa.array(np.asarray(inverse, dtype=np.int64)) if n_rows else pa.array([], pa.int64())
    out: dict = {}
    for suffix in SUFFIXES:
        per_query = (pa.array([_text(v) for v in places[suffix].tolist()], pa.string())
                     if places is not None else pa.array([], pa.string()))
        per_piece = pc.take(per_query, pa.array(flat))
        per_cell = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), per_piece), LIST_JOIN)
        out[suffix] = pc.take(per_cell, take)
    matches = places["match"].astype(str) if places is not None else []
    out["n_distinct"] = len(queries)
    out["n_resolved"] = int((np.asarray(matches) != "unresolved").sum())
    return out


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if np.isnan(value):
            return ""
        return f"{value:.6f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.1f}"
    return str(value)


def neutralise_formulas(column: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    """Prefix an apostrophe to text a spreadsheet would run as a formula (= + - @).

    Numbers such as "-3.5" stay as they are: only cells that are not numbers change.
    """
    if not (pa.types.is_string(column.type) or pa.types.is_dictionary(column.type)
            or pa.types.is_large_string(column.type)):
        return column
    text = pc.cast(column, pa.string())
    starts = pc.match_substring_regex(text, r"^[=+\-@\t\r]")
    numeric = pc.match_substring_regex(text, r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
    risky = pc.and_(starts, pc.invert(numeric))
    return pc.if_else(risky, pc.binary_join_element_wise("'", text, ""), text)


def write_csv(data: pa.Table, output: Path) -> None:
    """UTF-8 CSV, formulas neutralised, written to a temp file and renamed into place."""
    safe = pa.table({name: neutralise_formulas(data.column(name)) for name in data.column_names})
    output = Path(output)
    tmp = output.with_name(f".{output.name}.tmp")
    try:
        pacsv.write_csv(safe, tmp)
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
