"""``routemap geocode``: the input's columns plus coordinates for each place column.

Works on the table as read, not on routes, so every input row comes out once, in order,
with its own columns untouched. Each distinct (text, country) pair is resolved once and
mapped back to the rows by its dictionary codes.
"""

from __future__ import annotations

import os
import shlex
from concurrent.futures import Future
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from loaders._layout_core import encode, first_of_groups, missing_mask
from loaders._layout_routes import comma_lists, split_places
from loaders.aliases import load_aliases
from loaders.errors import RoutemapError, SchemaError
from loaders.formulas import neutralise, neutralise_column
from loaders.gazetteer import preload_gazetteer
from loaders.geocode import geocode
from loaders.layouts import ROLE_KEYS, detect_layout
from loaders.output_files import atomic_write, check_outputs, is_special_file
from loaders.readers import Table, read_table

SUFFIXES = ("name", "kind", "iso3", "lat", "lon", "match", "score")
LIST_JOIN = "; "


def geocode_file(
    source: str | os.PathLike,
    output: Path,
    *,
    columns: list[str] | None = None,
    country_column: str | None = None,
    table: Future[Table] | None = None,
) -> str:
    """Geocode ``source``'s place columns into the CSV ``output``; return a summary line.

    ``table`` is the same file already being read
    (:func:`loaders.readers.read_in_background`)."""
    from loaders.load import resolve_source

    preload = preload_gazetteer()  # loads on the other core while the file is read
    path, name, _ = resolve_source(source)
    output = check_output(Path(output), path if isinstance(path, (str, os.PathLike)) else None)
    table = table.result() if table is not None else read_table(path, name=name)
    preload.join()
    targets = plan_columns(table, columns or [], country_column)
    aliases = load_aliases()
    data = table.data
    resolved = 0
    total = 0
    taken = [f"{t.column}_{suffix}" for t in targets for suffix in SUFFIXES
             if f"{t.column}_{suffix}" in data.column_names]
    if taken:
        raise SchemaError(
            f"the file already has {', '.join(map(repr, taken[:3]))}"
            f"{' and more' if len(taken) > 3 else ''}: geocoding would write a second column "
            "of that name (rename the file's, or geocode other columns with --column)")
    for t in targets:
        new = geocode_column(table, t, aliases)
        for suffix in SUFFIXES:
            data = data.append_column(f"{t.column}_{suffix}", new[suffix])
        total += new["n_distinct"]
        resolved += new["n_resolved"]
    write_csv(data, output)
    names = ", ".join(t.column for t in targets)
    rows = table.data.num_rows
    summary = (f"routemap: {rows:,} row{'' if rows == 1 else 's'}; geocoded {names}: "
               f"{resolved} of {total}"
               f" distinct places resolved; wrote {output}")
    if table.problems:
        # rows the reader could not take (too many fields), cells cut at the size limit,
        # headers renamed: the output has the rows as read, and says so
        rejected = f"{table.rejected:,} of {table.rows_read:,} rows not written, " \
            if table.rejected else ""
        summary += (f"\nroutemap: {rejected}{len(table.problems):,} problem"
                    f"{'' if len(table.problems) == 1 else 's'} in reading the file: "
                    f"`routemap check {shlex.quote(str(source))}` lists them")
    return summary


def check_output(output: Path, source: Path | None) -> Path:
    """``output`` if geocode may write CSV there: not the input itself (it would be
    replaced), not a folder, a CSV name; its folder is made if missing."""
    check_outputs([("-o", output)], source)
    if output.suffix.lower() not in (".csv", ".txt", ".tsv") and not is_special_file(output):
        raise SchemaError(f"geocode writes CSV: give -o a .csv name, not {output.name!r}")
    output.parent.mkdir(parents=True, exist_ok=True)
    return output


class Target(NamedTuple):
    """A column to geocode, the country column beside it, and how its cells split."""

    column: str
    hint: str | None
    lists: bool  # cells hold lists of places ("A; B"): transits
    commas: bool  # commas too separate places in them (the loader's comma_lists)


def plan_columns(table: Table, columns: list[str], country_column: str | None
                 ) -> list[Target]:
    """The columns to geocode: those named, else the place columns the layout finds."""
    present = set(table.data.column_names)
    missing = [c for c in [*columns, *([country_column] if country_column else [])]
               if c not in present]
    if missing:
        raise SchemaError(
            f"no column named {', '.join(map(repr, missing))}; the file has "
            f"{', '.join(map(repr, table.data.column_names[:30]))}"
        )
    try:  # one layout for the plan: it says which columns hold lists, and how they split
        layout = detect_layout(table).columns
    except RoutemapError:
        if not columns:
            raise
        layout = {}  # any table of places will do when the columns are named
    lists = set(layout.get("transit") or [])

    def target(column: str, hint: str | None) -> Target:
        is_list = column in lists
        return Target(column, hint, is_list,
                      is_list and comma_lists(table, column, layout))

    if columns:
        # a column named twice is geocoded once
        return [target(c, country_column) for c in dict.fromkeys(columns)]
    hints = layout.get("country_hint") or {}
    plan: list[Target] = []
    for role in ROLE_KEYS:
        for column in layout.get(role) or []:
            if column in present and column not in {t.column for t in plan}:
                plan.append(target(column, country_column or hints.get(role)))
    if not plan:
        raise SchemaError("found no place columns to geocode; name them with --column")
    return plan


def geocode_column(table: Table, target: Target, aliases: dict) -> dict:
    """Arrays of name/kind/iso3/lat/lon/match/score for ``target``'s column, one entry per
    row."""
    text = encode(table, target.column)
    n_rows = len(text.codes)
    if target.hint:
        hint = encode(table, target.hint)
        nh = max(len(hint.dictionary), 1)
        distinct, inverse = np.unique(text.codes.astype(np.int64) * nh + hint.codes,
                                      return_inverse=True)
        text_of, hint_of = distinct // nh, distinct % nh
        hint_values = hint.values  # one to_pylist, not one per distinct pair
        hints = [hint_values[h].strip() for h in hint_of]
    else:
        text_of = np.arange(len(text.dictionary))
        inverse = text.codes
        hints = [""] * len(text_of)
    cells = pc.utf8_trim_whitespace(text.dictionary.take(pa.array(text_of)))
    if target.lists:
        # commas separate places only where the loader reads them so (comma_lists): a
        # transit "Hyderabad, Pakistan" is one place to check and map, and so here
        flat_text, parent = split_places(cells, target.commas and not any(hints))
    else:
        keep = np.arange(len(cells))
        flat_text, parent = cells, keep.astype(np.int64)
    # "-99", "unknown", "n/a" mean no place, as the loader reads them: not a place unfound
    known = ~missing_mask(flat_text)
    if not known.all():
        flat_text, parent = flat_text.filter(pa.array(known)), parent[known]
    offsets = np.zeros(len(cells) + 1, dtype=np.int32)
    np.cumsum(np.bincount(parent, minlength=len(cells)), out=offsets[1:])
    flat_hint = np.asarray(hints, dtype=object)[parent] if len(parent) else np.array([], object)
    frame = pd.DataFrame({"text": flat_text.to_numpy(zero_copy_only=False).astype(object),
                          "country_hint": flat_hint})
    # each distinct (piece, hint) once: the geocoder's work scales with distinct names
    codes, _ = pd.factorize(frame["text"] + "\x1f" + frame["country_hint"])
    # no lat/lon: geocode() reads NaN
    queries = frame.iloc[first_of_groups(codes)].reset_index(drop=True)
    places = geocode(queries, aliases=aliases) if len(queries) else None
    indices = pa.array(np.asarray(inverse, dtype=np.int32)) if n_rows else pa.array([], pa.int32())
    out: dict = {}
    for suffix in SUFFIXES:
        per_query = (pa.array([_text(v) for v in places[suffix].tolist()], pa.string())
                     if places is not None else pa.array([], pa.string()))
        per_piece = pc.take(per_query, pa.array(codes))
        per_cell = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), per_piece), LIST_JOIN)
        # rows share cells: a dictionary column costs no per-row work until it is written
        out[suffix] = pa.DictionaryArray.from_arrays(indices, per_cell)
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


def write_csv(data: pa.Table, output: Path) -> None:
    """UTF-8 CSV, formulas neutralised, written to a temp file and renamed into place."""
    # the header too: a column named "=HYPERLINK(...)" is a formula to a spreadsheet
    safe = pa.table({neutralise(name): neutralise_column(data.column(name))
                     for name in data.column_names})
    atomic_write(output, lambda tmp: pacsv.write_csv(safe, tmp))
