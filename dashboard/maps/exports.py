"""Exports: standalone HTML, a PNG for slides, and flows / place totals as CSV and GeoJSON.

Everything exported has been through suppression already (it is built from a
``FlowResult``), and every text cell that a spreadsheet would run as a formula
(starting with ``= + - @``, tab or carriage return) gets a leading apostrophe; numbers
are left alone. The PNG for slides is drawn by ``png.py`` (re-exported here).
Files are written atomically (temporary file, then rename).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dashboard.maps.arcs import arc_coords, wrap_parts
from dashboard.maps.flows import FlowResult
from dashboard.maps.suppression import (
    records_withheld,
    total_or_withheld,
    years_withheld,
)
from loaders.formulas import neutralise
from loaders.output_files import atomic_write

FLOW_COLUMNS = ["from_key", "from_name", "to_key", "to_name", "leg_role", "count", "records",
                "uncounted", "year_min", "year_max", "rolled_up"]
PLACE_COLUMNS = ["key", "name", "kind", "iso3", "lat", "lon", "out", "through", "in", "total",
                 "records", "uncounted", "year_min", "year_max", "rolled_up"]


# --------------------------------------------------------------------------- tables


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Every text column neutralised; numeric and boolean columns untouched."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        if col == "geometry":
            continue
        out[col] = s.map(neutralise, na_action="ignore")
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def flows_table(result: FlowResult, *, shown_only: bool = False) -> pd.DataFrame:
    """Flows after suppression (and minimum count); all of them unless ``shown_only``."""
    f = result.flows[result.flows["shown"]] if shown_only else result.flows
    cols = [*FLOW_COLUMNS, *(["colour_value"] if "colour_value" in f else [])]
    t = pd.DataFrame(f[cols]).reset_index(drop=True)
    k = result.withheld.threshold
    t["records"] = records_withheld(t["records"], k)
    t["uncounted"] = records_withheld(t["uncounted"], k)  # records too: "2" gave them away
    # which rows the map draws (its top N, both ends located): the file has them all
    t["drawn"] = (f["shown"].to_numpy(dtype=bool) & f.geometry.notna().to_numpy())
    return t


def places_table(result: FlowResult) -> pd.DataFrame:
    """Place totals after suppression: <NA> (an empty cell) where a value is withheld.

    The total is withheld with any of its parts (a total of the parts shown read as the
    place's, e.g. 0 where its only count was withheld), records without a number with
    the records, and the years of a place whose every count is withheld (as its tooltip).
    """
    t = pd.DataFrame(result.places[PLACE_COLUMNS]).reset_index(drop=True)
    t["total"] = total_or_withheld(t)
    t["uncounted"] = records_withheld(t["uncounted"], result.withheld.threshold).array
    t.loc[t["records"].isna(), "uncounted"] = pd.NA
    few = years_withheld(t)
    for col in ("year_min", "year_max"):
        t[col] = pd.array(t[col], dtype="Int64").copy()
        t.loc[few, col] = pd.NA
    return t


def _atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    return atomic_write(path, write)


def _write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    safe = neutralise_frame(df)
    return _atomic_write(path, lambda p: safe.to_csv(p, index=False, encoding="utf-8"))


def write_flows_csv(result: FlowResult, path: str | Path, *, shown_only: bool = False) -> Path:
    """Flows as CSV (suppressed, formulas neutralised)."""
    return _write_csv(flows_table(result, shown_only=shown_only), path)


def write_places_csv(result: FlowResult, path: str | Path) -> Path:
    """Place totals as CSV (suppressed, formulas neutralised)."""
    return _write_csv(places_table(result), path)


def _json_value(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, np.integer | np.bool_ | np.floating):
        return v.item()
    return neutralise(v)


def _features(df: pd.DataFrame, geoms: list[dict | None]) -> dict:
    props = neutralise_frame(df)
    records = props.to_dict(orient="records")
    feats = [
        {"type": "Feature", "geometry": g,
         "properties": {k: _json_value(v) for k, v in rec.items()}}
        for rec, g in zip(records, geoms, strict=True)
    ]
    return {"type": "FeatureCollection", "features": feats}


def _write_json(data: dict, path: str | Path) -> Path:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return _atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def flows_geojson(result: FlowResult, *, shown_only: bool = False) -> dict:
    """Flows as a GeoJSON FeatureCollection: arcs cut at the antimeridian (RFC 7946)."""
    f = result.flows[result.flows["shown"]] if shown_only else result.flows
    geoms: list[dict | None] = []
    for g in _lines(f, result.nodes):
        if g is None:
            geoms.append(None)
            continue
        parts = wrap_parts(g)
        coords = [np.round(p, 5).tolist() for p in parts]
        geoms.append({"type": "LineString", "coordinates": coords[0]} if len(coords) == 1
                     else {"type": "MultiLineString", "coordinates": coords})
    return _features(flows_table(result, shown_only=shown_only), geoms)


def _lines(flows: pd.DataFrame, nodes: pd.DataFrame | None) -> list[np.ndarray | None]:
    """Each corridor's line: its arc where the map drew one, else the same arc worked
    out from its ends (a hotspot map's corridors, or those past the top N, were written
    with no geometry and opened as an empty layer); None where an end is not located."""
    lines: list[np.ndarray | None] = [
        None if g is None or g.is_empty else np.asarray(g.coords) for g in flows.geometry]
    missing = [i for i, line in enumerate(lines) if line is None]
    if not missing or nodes is None or nodes.empty:
        return lines
    at = pd.Index(nodes["key"].astype(str))
    lon, lat = nodes["lon"].to_numpy(float), nodes["lat"].to_numpy(float)
    fi = at.get_indexer(flows["from_key"].astype(str).to_numpy()[missing])
    ti = at.get_indexer(flows["to_key"].astype(str).to_numpy()[missing])
    ok = (fi >= 0) & (ti >= 0)
    ok[ok] = ~np.isnan(lon[fi[ok]] + lat[fi[ok]] + lon[ti[ok]] + lat[ti[ok]])
    if ok.any():
        arcs = arc_coords(lon[fi[ok]], lat[fi[ok]], lon[ti[ok]], lat[ti[ok]])
        for i, arc in zip(np.asarray(missing)[ok], arcs, strict=True):
            lines[i] = arc
    return lines


def places_geojson(result: FlowResult) -> dict:
    """Place totals as GeoJSON points."""
    pl = result.places
    geoms = [None if np.isnan(x + y) else {"type": "Point", "coordinates": [round(x, 5),
                                                                            round(y, 5)]}
             for x, y in zip(pl["lon"].to_numpy(float), pl["lat"].to_numpy(float), strict=True)]
    return _features(places_table(result), geoms)


def write_flows_geojson(result: FlowResult, path: str | Path, *, shown_only: bool = False) -> Path:
    """Flows as a GeoJSON file (suppressed, formulas neutralised)."""
    return _write_json(flows_geojson(result, shown_only=shown_only), path)


def write_places_geojson(result: FlowResult, path: str | Path) -> Path:
    """Place totals as a GeoJSON file."""
    return _write_json(places_geojson(result), path)


def write_html(m: folium.Map, path: str | Path) -> Path:
    """The map as one HTML file; build it with ``assets="inline"`` to open offline."""
    html = m.get_root().render()
    return _atomic_write(path, lambda p: p.write_text(html, encoding="utf-8"))


# --------------------------------------------------------------------------- PNG
# drawn in dashboard/maps/png.py and re-exported here, where callers have always found
# them; looked up on first use, so writing an HTML map does not import Pillow (15 ms)
_PNG_NAMES = ("Label", "render_png", "write_flow_png", "write_hotspot_png")
if TYPE_CHECKING:
    import folium

    from dashboard.maps.png import Label as Label
    from dashboard.maps.png import render_png as render_png
    from dashboard.maps.png import write_flow_png as write_flow_png
    from dashboard.maps.png import write_hotspot_png as write_hotspot_png


def __getattr__(name: str) -> Any:
    if name in _PNG_NAMES:
        from dashboard.maps import png

        return getattr(png, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
