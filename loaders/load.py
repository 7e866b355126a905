"""One call from a file to a :class:`~loaders.model.Dataset`: read, lay out, geocode, report.

This is the path the command line and the dashboard share, so both report the same
numbers for the same file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from typing import BinaryIO

import numpy as np
import pandas as pd

from loaders.aliases import load_aliases
from loaders.errors import SchemaError, UnreadableFileError
from loaders.gazetteer import preload_gazetteer
from loaders.geocode import geocode
from loaders.layouts import LayoutSpec, build_routes, detect_layout, spec_for
from loaders.limits import DEFAULT_LIMITS, Limits
from loaders.model import Dataset, DatasetMeta, RawRoutes, Stops, stop_uses
from loaders.readers import Table, read_table
from loaders.report import GuessedPlace, LoadReport, Problem, UnresolvedPlace
from loaders.samples import sample_meta, source_path

Source = str | os.PathLike | bytes | BinaryIO


def resolve_source(source: Source) -> tuple[Source, str | None, DatasetMeta]:
    """Turn a bundled sample's name ("demo", "seed") into its path and metadata."""
    path, name = source_path(source)
    if path is not source:
        meta = sample_meta(source)
        return path, name, DatasetMeta(
            name=meta.get("name", source),
            source=meta.get("source", ""),
            licence=meta.get("licence", ""),
            synthetic=bool(meta.get("synthetic", False)),
            description=meta.get("description", ""),
        )
    return source, name, DatasetMeta(name=name or "")


def load_dataset(
    source: Source,
    *,
    name: str | None = None,
    layout: str | None = None,
    columns: dict | None = None,
    aliases: bool | dict = True,
    progress: Callable[[float], None] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    table: Future[Table] | None = None,
) -> Dataset:
    """Load any supported file (or a bundled sample name) into the data model.

    ``layout``/``columns`` override detection. ``aliases`` is True for the user's saved
    place fixes, False for none, or a mapping to use instead. Raises
    :class:`loaders.errors.RoutemapError` when the file cannot be used. ``table`` is
    the same file already being read (:func:`loaders.readers.read_in_background`).
    """
    path, default_name, meta = resolve_source(source)
    name = name or default_name
    if name and not meta.name:
        meta.name = name
    # the gazetteer and its lookups load on the other core while the file is laid out
    preload = preload_gazetteer()
    table = table.result() if table is not None else read_table(path, name=name, limits=limits)
    table, spec = _laid_out(table, layout, columns, path, name, limits)
    raw = build_routes(table, spec)
    user_aliases = load_aliases() if aliases is True else (aliases or None)
    preload.join()
    places = geocode(raw.queries, aliases=user_aliases, progress=progress)
    # query ids become place ids row for row
    stops = raw.stop_table
    if isinstance(stops, pd.DataFrame):
        stops = stops.rename(columns={"query_id": "place_id"})
    report = build_report(table, raw, places, stops, layout=spec.layout)
    return Dataset(records=raw.records, stops=stops, places=places, report=report, meta=meta)


def _laid_out(table: Table, layout: str | None, columns: dict | None, path: Source,
              name: str | None, limits: Limits) -> tuple[Table, LayoutSpec]:
    """The table and the layout it fits. A workbook is read from its largest sheet; when
    that fits no layout (a notes sheet longer than the data), its other sheets are tried,
    largest first, and the report says which sheet was read and why. A layout or columns
    given are looked for the same way: the override of a workbook whose largest sheet is
    notes found only the notes' one column."""
    def fit(t: Table) -> LayoutSpec:
        return spec_for(t, layout, columns) if layout or columns else detect_layout(t)

    try:
        return table, fit(table)
    except SchemaError as no_fit:
        for other in table.other_sheets:
            if hasattr(path, "seek"):  # a file object was read to its end the first time
                path.seek(0)
            try:
                sheet = read_table(path, name=name, limits=limits, sheet=other)
                spec = fit(sheet)
            except (SchemaError, UnreadableFileError):
                continue
            sheet.problems.insert(0, Problem(None, None, f"read sheet {other!r}: the largest"
                                             f" sheet, {table.sheet!r}, fits no layout",
                                             kept=True))
            return sheet, spec
        if table.other_sheets:
            tried = ", ".join(repr(s) for s in (table.sheet, *table.other_sheets))
            raise SchemaError(f"no sheet fits a layout ({tried}); in the largest, "
                              f"{no_fit}") from None
        raise


def table_as_loaded(source: Source, name: str | None = None,
                    limits: Limits = DEFAULT_LIMITS) -> Table:
    """The file read as :func:`load_dataset` reads it: of a workbook, the sheet a load
    lays out (not the largest, when that is notes). For a preview of what was loaded."""
    table = read_table(source, name=name, limits=limits)
    try:
        return _laid_out(table, None, None, source, name, limits)[0]
    except SchemaError:
        return table


def _guessed(places: pd.DataFrame, at: np.ndarray, rows: np.ndarray) -> list[GuessedPlace]:
    """The fuzzy matches, most rows first: drawn as found, listed for a person to check."""
    if not len(at):
        return []
    from loaders.gazetteer import get_gazetteer, place_label

    gazetteer = get_gazetteer()
    out = []
    for i in at:
        p = places.iloc[i]
        hint = str(p.get("country_hint", "") or "")
        iso3 = str(p["iso3"] or "")
        score = float(p["score"]) if pd.notna(p["score"]) else None
        out.append(GuessedPlace(query=str(p["query"]), rows=int(rows[i]),
                                found=place_label(p["name"], p["kind"], iso3), country=hint,
                                elsewhere=gazetteer.found_elsewhere(hint, iso3),
                                score=score, also=str(p.get("suggestion", "") or "")))
    out.sort(key=lambda g: (-g.rows, g.query))
    return out


def build_report(
    table: Table, raw: RawRoutes, places: pd.DataFrame, stops: Stops, *, layout: str
) -> LoadReport:
    """Count rows and places the way the contract of ``routemap check`` states them."""
    # the layout's bookkeeping already includes what the reader rejected and noted
    rejected = raw.rejected_rows
    # a note made on a row before it was rejected (a cell cut at the size limit) said
    # "row kept" of a row that was not, and counted among the problems of kept rows
    gone = {p.row for p in raw.problems if not p.kept and p.row is not None}
    problems = [replace(p, kept=False) if p.kept and p.row in gone else p
                for p in raw.problems]
    match = places["match"].astype(str)
    unresolved_mask = (match == "unresolved").to_numpy()
    guessed_mask = (match == "fuzzy").to_numpy()
    rows_per_place = stop_uses(stops, len(places),
                               np.flatnonzero(unresolved_mask | guessed_mask))
    unresolved = [
        UnresolvedPlace(
            query=str(places["query"].iat[i]),
            rows=int(rows_per_place[i]),
            suggestion=(str(places["suggestion"].iat[i]) or None),
            score=(float(places["score"].iat[i]) if pd.notna(places["score"].iat[i]) else None),
        )
        for i in np.flatnonzero(unresolved_mask)
    ]
    unresolved.sort(key=lambda u: (-u.rows, u.query))
    guessed = _guessed(places, np.flatnonzero(guessed_mask), rows_per_place)
    report = LoadReport(
        layout=layout,
        file_format=table.file_format,
        rows_read=table.rows_read,
        rows_kept=table.rows_read - rejected,
        rows_rejected=rejected,
        records=len(raw.records),
        places_unique=len(places),
        places_resolved=int((~unresolved_mask).sum()),
        by_method={str(k): int(v) for k, v in match.value_counts().sort_index().items()},
        unresolved=unresolved,
        guessed=guessed,
        problems=problems,
        set_aside=list(raw.set_aside),
        columns=dict(raw.columns),
    )
    report.check()
    return report
