"""Layout 5: places given as coordinates, in lat/lon columns or GeoJSON geometries.

Given coordinates win over the gazetteer: they become the query's lat/lon, and the
query's text is the name written beside them, or the coordinates themselves
("24.8600, 67.0100") when there is no name.

GeoJSON: a LineString's vertices are the stops (first origin, last destination, the
rest transit); a MultiLineString's parts are joined in order; a Point is one stop whose
role comes from a ``role`` property (else destination); a polygon stands for the point
on its surface. Feature properties are attributes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from loaders._layout_core import (
    DESTINATION,
    NO_PLACE,
    ORIGIN,
    TRANSIT,
    Column,
    Problems,
    QueryPool,
    TableLike,
    assemble,
    clean_text,
    encode,
    missing_mask,
    read_counts,
    read_years,
)
from loaders.model import RawRoutes
from loaders.report import quoted

_ROLE_WORDS = {
    "origin": ORIGIN, "source": ORIGIN, "from": ORIGIN, "start": ORIGIN,
    "transit": TRANSIT, "via": TRANSIT, "stopover": TRANSIT,
    "destination": DESTINATION, "dest": DESTINATION, "to": DESTINATION, "end": DESTINATION,
}


def fmt(lat: np.ndarray, lon: np.ndarray) -> list[str]:
    """Coordinates as the text of a place that has no name."""
    return [f"{a:.4f}, {o:.4f}" for a, o in zip(lat.tolist(), lon.tolist(), strict=True)]


def _numbers(dictionary: pa.Array) -> np.ndarray:
    text = pd.Series(clean_text(dictionary).to_pylist(), dtype=object).str.replace(",", ".")
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _texts(col: Column) -> np.ndarray:
    """Cleaned text per dictionary entry (object array), "" where it means "not known"."""
    text = clean_text(col.dictionary)
    return np.where(missing_mask(text), "", np.asarray(text.to_pylist(), dtype=object))


def coordinate_ids(
    table: TableLike,
    pool: QueryPool,
    problems: Problems,
    lat_name: str,
    lon_name: str,
    name: str | None = None,
    hint_name: str | None = None,
) -> np.ndarray:
    """Pooled place id per row from a lat/lon pair, with the name column as text if any."""
    n = table.data.num_rows
    lat_c, lon_c = encode(table, lat_name), encode(table, lon_name)
    lat_v, lon_v = _numbers(lat_c.dictionary), _numbers(lon_c.dictionary)
    lat_blank = missing_mask(clean_text(lat_c.dictionary))
    lon_blank = missing_mask(clean_text(lon_c.dictionary))
    lat_ok = np.abs(lat_v) <= 90
    lon_ok = np.abs(lon_v) <= 180
    for col, ok, blank in ((lat_c, lat_ok, lat_blank), (lon_c, lon_ok, lon_blank)):
        bad = ~ok & ~blank
        if bad.any():
            rows = np.flatnonzero(bad[col.codes])
            raw = col.values
            problems.kept(rows, col.name, [f"coordinate {quoted(raw[c])} is not a valid "
                                           f"{'latitude' if col is lat_c else 'longitude'}"
                                           for c in col.codes[rows]])
    parts = [lat_c, lon_c] + [encode(table, c) for c in (name, hint_name) if c]
    key = np.zeros(n, np.int64)
    for col in parts:
        key = key * len(col.dictionary) + col.codes
        key = pd.factorize(key)[0].astype(np.int64)
    # after the last factorize, key is 0..k-1: the first row of each is its representative
    rows = np.unique(key, return_index=True)[1]
    inverse = key
    la, lo = lat_v[lat_c.codes[rows]], lon_v[lon_c.codes[rows]]
    good = lat_ok[lat_c.codes[rows]] & lon_ok[lon_c.codes[rows]]
    la, lo = np.where(good, la, np.nan), np.where(good, lo, np.nan)
    text = np.array([""] * len(rows), dtype=object)
    if name:
        nc = encode(table, name)
        text = _texts(nc)[nc.codes[rows]]
    hint = np.array([""] * len(rows), dtype=object)
    if hint_name:
        hc = encode(table, hint_name)
        hint = _texts(hc)[hc.codes[rows]]
    unnamed = (text == "") & good
    text[unnamed] = fmt(la[unnamed], lo[unnamed])
    missing = text == ""
    ids = pool.add(list(text), list(hint), la, lo)
    return np.where(missing, -1, ids)[inverse]


def build_coordinates(table: TableLike, cols: dict[str, Any]) -> RawRoutes:
    """Per-role lat/lon columns, one lat/lon pair per row (points), or GeoJSON features."""
    if cols.get("geometry"):
        return build_geojson(table, cols)
    if "point" in (cols.get("lat") or {}):
        return _build_points(table, cols)
    from loaders._layout_routes import build_wide

    return build_wide(table, cols)


def _roles_from(table: TableLike, name: str | None, default: int) -> np.ndarray:
    """Role code per row from a role column ("origin", "via", ...), else ``default``."""
    n = table.data.num_rows
    if not name:
        return np.full(n, default, np.int8)
    col = encode(table, name)
    words = pd.Series(clean_text(col.dictionary).to_pylist(), dtype=object).str.lower()
    codes = words.map(_ROLE_WORDS).fillna(default).to_numpy().astype(np.int8)
    return codes[col.codes]


def _build_points(table: TableLike, cols: dict[str, Any]) -> RawRoutes:
    from loaders._layout_routes import attributes_of

    problems, pool = Problems(table), QueryPool()
    count, has_count = read_counts(table, cols.get("count"), problems)
    year, has_year = read_years(table, cols.get("year"), problems)
    ids = coordinate_ids(table, pool, problems, cols["lat"]["point"], cols["lon"]["point"],
                         cols.get("name"), (cols.get("country_hint") or {}).get("point"))
    role = _roles_from(table, cols.get("role"), DESTINATION)
    problems.reject(np.flatnonzero(ids < 0), None, NO_PLACE)
    keep = problems.kept_rows()
    rec = np.arange(len(keep), dtype=np.int64)
    return assemble(
        table, cols, pool, problems,
        rec_row=keep, count=count[keep], has_count=has_count[keep],
        year=year[keep], has_year=has_year[keep],
        stop_rec=rec, stop_pool_id=ids[keep], stop_role=role[keep],
        attributes=attributes_of(table, cols, keep),
    )


def build_geojson(table: TableLike, cols: dict[str, Any]) -> RawRoutes:
    """Features to records: line vertices or a point as stops, properties as attributes."""
    from loaders._layout_routes import attributes_of

    problems, pool = Problems(table), QueryPool()
    count, has_count = read_counts(table, cols.get("count"), problems)
    year, has_year = read_years(table, cols.get("year"), problems)
    geo = encode(table, cols["geometry"])
    texts = clean_text(geo.dictionary).to_pylist()
    parsed = np.array(
        [None if t.lower() in ("", "null") else t for t in texts], dtype=object
    )
    geoms = np.full(len(texts), None, dtype=object)
    present = np.flatnonzero(parsed != None)  # noqa: E711 (element-wise)
    if len(present):
        geoms[present] = shapely.from_geojson(parsed[present].astype(str), on_invalid="ignore")
    kind = shapely.get_type_id(geoms)  # -1 for None
    polygon = np.isin(kind, (3, 6))
    geoms[polygon] = shapely.point_on_surface(geoms[polygon])
    usable = np.isin(kind, (0, 1, 3, 5, 6))
    geoms[~usable] = None
    xy, owner = shapely.get_coordinates(geoms, return_index=True)
    # drop a vertex equal to the one before it in the same feature (joined parts)
    same = np.zeros(len(owner), bool)
    same[1:] = (owner[1:] == owner[:-1]) & np.all(xy[1:] == xy[:-1], axis=1)
    xy, owner = xy[~same], owner[~same]
    n_vert = np.bincount(owner, minlength=len(texts)).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(n_vert)[:-1]])

    bad_kind = ~usable & (kind >= 0)
    if bad_kind.any():
        rows = np.flatnonzero(bad_kind[geo.codes])
        problems.reject(rows, cols["geometry"], "geometry is not a line, a point or a polygon")
    unreadable = np.array([p is not None for p in parsed], dtype=bool) & (kind < 0)
    if unreadable.any():
        problems.reject(np.flatnonzero(unreadable[geo.codes]), cols["geometry"],
                        "geometry is not valid GeoJSON")

    row_n = n_vert[geo.codes]
    problems.reject(np.flatnonzero(row_n == 0), None, NO_PLACE)
    keep = problems.kept_rows()
    counts = row_n[keep]
    stop_rec = np.repeat(np.arange(len(keep), dtype=np.int64), counts)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]) if len(counts) else counts
    within = np.arange(len(stop_rec)) - np.repeat(starts, counts)
    vertex = offsets[geo.codes[keep]][stop_rec] + within if len(stop_rec) else within
    lon, lat = xy[vertex, 0], xy[vertex, 1]
    first, last = within == 0, within == np.repeat(counts, counts) - 1
    point_role = _roles_from(table, cols.get("role"), DESTINATION)[keep]
    role = np.where(first, ORIGIN, np.where(last, DESTINATION, TRANSIT)).astype(np.int8)
    single = first & last
    role[single] = point_role[stop_rec[single]]

    text = np.asarray(fmt(lat, lon), dtype=object)
    for name, where in ((cols.get("name"), single),
                        ((cols.get("origin") or [None])[0], first & ~single),
                        ((cols.get("destination") or [None])[0], last & ~single)):
        if name:
            col = encode(table, name)
            given = _texts(col)[col.codes[keep]][stop_rec]
            use = where & (given != "")
            text[use] = given[use]
    ids = pool.add(list(text), None, lat, lon)
    return assemble(
        table, cols, pool, problems,
        rec_row=keep, count=count[keep], has_count=has_count[keep],
        year=year[keep], has_year=has_year[keep],
        stop_rec=stop_rec, stop_pool_id=ids, stop_role=role,
        attributes=attributes_of(table, cols, keep),
    )

