"""Download buttons for the map pages: standalone HTML, PNG, and CSV/GeoJSON tables.

Every export is built from a suppressed result, and exports never withhold less than
:data:`EXPORT_MIN_K` (5), whatever the sidebar's K: a file leaves the room, a screen
does not (DESIGN §9). The page says so when its K is lower. The files are made only
when a button is clicked (``st.download_button`` with a callable), from plain functions
of :mod:`dashboard.maps`, so they are tested without Streamlit (:func:`flow_files`,
:func:`hotspot_files`). File names name the dataset and the filters, slugified
(:func:`export_name`), e.g. ``demo_flows-by-country_2010-2020_k5.html``.
"""

from __future__ import annotations

import json
import re
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.maps import exports
from dashboard.maps.flow_map import FlowMapOptions, flow_map
from dashboard.maps.flows import FlowResult
from dashboard.maps.focus_place import place_name
from dashboard.maps.hotspot_map import HotspotOptions, HotspotResult, hotspot_map
from dashboard.maps.suppression import SHARED_MIN_K
from dashboard.state import ViewState
from dashboard.views import map_cache
from loaders.model import Dataset

EXPORT_MIN_K = SHARED_MIN_K
MAX_SLUG = 40


@dataclass(frozen=True, slots=True)
class ExportFile:
    """One download: its button label, file name, MIME type and how to make its bytes."""

    label: str
    file_name: str
    mime: str
    build: Callable[[], bytes]


def export_k(state: ViewState) -> int:
    """K for exports: the sidebar's K, but never below :data:`EXPORT_MIN_K`."""
    return max(state.k, EXPORT_MIN_K)


def slug(text: object, max_len: int = MAX_SLUG) -> str:
    """ASCII letters, digits and dashes only: safe in a file name on every system."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    out = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()
    return out[:max_len].strip("-") or "data"


def export_name(state: ViewState, kind: str, ext: str, focus: str | None = None) -> str:
    """``<dataset>_<kind>_<years>[_<focus>][_<filters>][_min<N>][_top<N>]_k<K>.<ext>``,
    slugified; ``focus`` names the focus place (else the end of its key)."""
    parts = [slug(state.dataset), slug(kind)]
    if state.years:
        lo, hi = state.years
        parts.append(str(lo) if lo == hi else f"{lo}-{hi}")
    else:
        parts.append("all-years")
    if state.focus:
        parts.append(slug(focus or state.focus.split(":", 1)[-1], 24))
    for col in sorted(state.filters)[:2]:
        parts.append(slug(f"{col}-{'-'.join(state.filters[col][:2])}", 30))
    if len(state.filters) > 2:
        parts.append("filtered")
    # a file of corridors of 50+ cases was named as the whole table
    if state.min_flow:
        parts.append(f"min{state.min_flow}")
    if state.top != ViewState().top:
        parts.append(f"top{state.top}")
    parts.append(f"k{export_k(state)}")
    return "_".join(parts) + "." + slug(ext, 10)


def focus_name(dataset: Dataset, key: str | None) -> str | None:
    """The name of the focus place for a file name ('lahore', not '1172451')."""
    return place_name(key, dataset.places) if key else None


def _csv(df: pd.DataFrame) -> bytes:
    return exports.neutralise_frame(df).to_csv(index=False).encode("utf-8")


def _json(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _png(write: Callable[[Path], object]) -> bytes:
    with tempfile.TemporaryDirectory(prefix="routemap-png-") as tmp:
        path = Path(tmp) / "map.png"
        write(path)
        return path.read_bytes()


def _title(dataset: Dataset, what: str) -> str:
    return f"{dataset.meta.name or 'routemap'}: {what}"


def flow_files(dataset: Dataset, state: ViewState, shown: FlowResult | None = None,
               title: str | None = None) -> list[ExportFile]:
    """The Routes page's exports. ``shown`` (the page's result) is reused when its K is
    already at least :data:`EXPORT_MIN_K`; otherwise the flows are recomputed. ``title``
    heads the maps (a slide's name; by default the dataset's)."""
    k = export_k(state)
    cache: dict[str, FlowResult] = {}

    def result() -> FlowResult:
        if "r" not in cache:
            if shown is not None and shown.query.suppress == k:
                cache["r"] = shown
            else:
                from dashboard.maps.flows import compute_flows

                query = state.with_(k=k).to_flow_query()
                cache["r"] = compute_flows(dataset, query, countries=map_cache.countries())
        return cache["r"]

    def opts(assets: str) -> FlowMapOptions:
        return map_cache.flow_map_options(state.with_(k=k), assets=assets,
                                          title=title or _title(dataset, "routes"))

    def html() -> bytes:
        return flow_map(result(), opts("inline")).get_root().render().encode("utf-8")

    def png() -> bytes:
        o = opts("inline")
        return _png(lambda p: exports.write_flow_png(result(), p, title=o.title, options=o,
                                                     countries=o.countries))

    # the level is in every name: the same view's files at country and at region level,
    # or these place totals and the Hotspots page's, must not share a file name
    flows, totals = f"flows-by-{state.level}", f"totals-by-{state.level}"
    where = focus_name(dataset, state.focus)

    def name(kind: str, ext: str) -> str:
        return export_name(state, kind, ext, where)

    return [
        ExportFile("Map (HTML, works offline)", name(flows, "html"), "text/html",
                   html),
        ExportFile("Map (PNG for slides)", name(flows, "png"), "image/png", png),
        ExportFile("Corridors (CSV)", name(flows, "csv"), "text/csv",
                   lambda: _csv(exports.flows_table(result()))),
        ExportFile("Corridors (GeoJSON)", name(flows, "geojson"),
                   "application/geo+json", lambda: _json(exports.flows_geojson(result()))),
        ExportFile("Place totals (CSV)", name(totals, "csv"), "text/csv",
                   lambda: _csv(exports.places_table(result()))),
        ExportFile("Place totals (GeoJSON)", name(totals, "geojson"),
                   "application/geo+json", lambda: _json(exports.places_geojson(result()))),
    ]


def hotspot_files(dataset: Dataset, state: ViewState, shown: HotspotResult | None = None
                  ) -> list[ExportFile]:
    """The Hotspots page's exports (same K rule as :func:`flow_files`)."""
    k = export_k(state)
    cache: dict[str, HotspotResult] = {}

    def hot() -> HotspotResult:
        if "h" not in cache:
            if shown is not None and shown.flows.query.suppress == k:
                cache["h"] = shown
            else:
                from dashboard.maps.hotspot_map import compute_hotspots

                cache["h"] = compute_hotspots(dataset, state.with_(k=k).to_flow_query(),
                                              role=state.role, countries=map_cache.countries())
        return cache["h"]

    title = _title(dataset, f"places as {state.role}")

    def html() -> bytes:
        m = hotspot_map(hot(), HotspotOptions(basemap=state.basemap, assets="inline",
                                              title=title, countries=map_cache.countries()))
        return m.get_root().render().encode("utf-8")

    def png() -> bytes:
        return _png(lambda p: exports.write_hotspot_png(hot(), p, title=title,
                                                        countries=map_cache.countries()))

    kind = f"hotspots-{state.role}"
    where = focus_name(dataset, state.focus)

    def name(kind: str, ext: str) -> str:
        return export_name(state, kind, ext, where)

    return [
        ExportFile("Map (HTML, works offline)", name(kind, "html"), "text/html",
                   html),
        ExportFile("Map (PNG for slides)", name(kind, "png"), "image/png", png),
        ExportFile("Ranked places (CSV)", name(kind, "csv"), "text/csv",
                   lambda: _csv(ranked_table(hot()))),
        # a hotspot map's place totals are always counted place by place
        ExportFile("Place totals (CSV)", name("totals-by-place", "csv"),
                   "text/csv", lambda: _csv(exports.places_table(hot().flows))),
        ExportFile("Place totals (GeoJSON)", name("totals-by-place", "geojson"),
                   "application/geo+json", lambda: _json(exports.places_geojson(hot().flows))),
    ]


def ranked_table(hot: HotspotResult) -> pd.DataFrame:
    """The ranked places as shown beside the hotspot map (withheld values left empty)."""
    t = hot.table
    return pd.DataFrame({
        "rank": t["rank"], "place": t["place"], "kind": t["kind"], "iso3": t["iso3"],
        # whole numbers, empty where withheld (a float column wrote 572.0 and 2000.0)
        "cases": pd.array(t["value"], dtype="Int64"),
        "records_any_role": pd.array(t["records"], dtype="Int64"),
        "year_min_any_role": pd.array(t["year_min"], dtype="Int64"),
        "year_max_any_role": pd.array(t["year_max"], dtype="Int64"), "key": t["key"],
    })


def download_buttons(files: list[ExportFile], state: ViewState, *, key: str) -> None:
    """A row of download buttons, and the caveat that goes with every file."""
    k = export_k(state)
    note = (f"Exports withhold counts below {k} (small-count suppression). The HTML map and "
            "the PNG carry the source, the years and the note that identified cases are "
            "not prevalence; the CSV and GeoJSON files are the tables alone: keep that "
            "note with them.")
    if state.k < EXPORT_MIN_K:
        note += (f" The map above uses K={state.k}; exports never go below "
                 f"{EXPORT_MIN_K}, so their figures can differ from what the map shows.")
    st.info(note, icon="ℹ️")
    cols = st.columns(3)
    for i, f in enumerate(files):
        cols[i % 3].download_button(
            f.label, data=f.build, file_name=f.file_name, mime=f.mime, on_click="ignore",
            key=f"{key}_{i}", help=f.file_name, width="stretch",
        )
