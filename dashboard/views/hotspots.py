"""Hotspots: places ranked by cases for the chosen role, as a choropleth and density map.

Countries are shaded by their cases in the role the sidebar selects (origin, transit,
destination); city-level places add hexagon density cells. The ranked table sits
beside the map. Small counts are withheld on the map, in the table and in the exports.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.maps.hotspot_map import (
    ROLE_WORDS,
    HotspotResult,
    hotspot_caveat,
    withheld_message,
)
from dashboard.state import ViewState
from dashboard.views import data_cache, exports_ui, map_cache
from dashboard.views.sidebar import banner, caveat_box, key_figure_row, md, sidebar, year_span
from loaders.errors import RoutemapError
from loaders.model import Dataset

MAP_KEY = "hotspots_map"
TABLE_ROWS = 100


@st.fragment
def hotspot_view(payload: map_cache.MapPayload | None, dataset: Dataset, dkey: str,
                 state: ViewState) -> None:
    """The map in a fragment: nothing it returns reruns the page."""
    map_cache.draw_map(payload, lambda: map_cache.build_hotspot_map(dataset, dkey, state),
                       key=MAP_KEY)


def _cases_text(values: pd.Series, k: int) -> list[str]:
    """Cases as shown: a withheld (missing) value says so instead of a number."""
    return [f"fewer than {k}" if pd.isna(v) else f"{int(v):,}" for v in values]


def ranked(hot: HotspotResult, k: int, rows: int = TABLE_ROWS) -> pd.DataFrame:
    """The ranked places as shown: withheld values say so instead of a number."""
    t = hot.table.head(rows)
    cases = _cases_text(t["value"], k)
    years = [year_span(a, b) for a, b in zip(t["year_min"], t["year_max"], strict=True)]
    return pd.DataFrame({
        "#": t["rank"].to_numpy(), "Place": t["place"].astype(str).to_numpy(),
        "Kind": t["kind"].astype(str).to_numpy(), "Cases": cases,
        # records and years count every role: the walk keeps per-node records, not per role
        "Records (any role)": [("" if pd.isna(v) else f"{int(v):,}") for v in t["records"]],
        "Years (any role)": years,
    })


def ranked_countries(hot: HotspotResult, k: int) -> pd.DataFrame:
    """Countries as the choropleth shades them: each country's cities counted in."""
    c = hot.countries.drop(columns="geometry")
    c = c.assign(_order=c["value"].fillna(-1)).sort_values(["_order", "name"],
                                                           ascending=[False, True])
    return pd.DataFrame({
        "#": range(1, len(c) + 1),
        "Country": c["name"].astype(str).to_numpy(),
        "Cases": _cases_text(c["value"], k),
    })


def ranked_tab(tab, table: pd.DataFrame, noun: str, caption: str) -> None:
    with tab:
        if table.empty:
            st.info(f"No {noun} in this view: widen the years or filters.")
            return
        st.caption(caption)
        st.dataframe(table, hide_index=True, width="stretch", height=map_cache.MAP_HEIGHT - 90)


state, dataset = sidebar()
dkey = data_cache.dataset_key(state.dataset)
st.title("Hotspots")
st.caption(md(f"{dataset.meta.name}: cases {ROLE_WORDS.get(state.role, state.role)}, "
              "by country, with city density · the role (origin, transit, destination) is "
              "set in the sidebar under Map settings"))
banner(dataset, caveat=False)
key_figure_row(dataset, state)
try:
    hot = map_cache.hotspots(dataset, dkey, state)
    payload = map_cache.hotspot_payload(dataset, dkey, state)
except RoutemapError as error:
    st.error(md(error))
    st.stop()

left, right = st.columns([3, 2])
with left:
    hotspot_view(payload, dataset, dkey, state)
with right:
    st.markdown(f"**Ranked by cases {md(ROLE_WORDS.get(state.role, state.role))}**")
    k_shown = hot.flows.withheld.threshold or state.k
    tabs = st.tabs(["Countries", "Every place"])
    ranked_tab(tabs[0], ranked_countries(hot, k_shown), "country",
               "As the map shades them: a country's cities count towards it.")
    ranked_tab(tabs[1], ranked(hot, k_shown), "place",
               "Each place as the data names it: a country, a city or a region.")
    if len(hot.table) > TABLE_ROWS:
        tabs[1].caption(f"The {TABLE_ROWS} first of {len(hot.table):,} places; the CSV "
                        "export has them all.")
st.caption(md(withheld_message(hot)))
caveat_box(hotspot_caveat(hot).lines())

st.subheader("Export")
exports_ui.download_buttons(exports_ui.hotspot_files(dataset, state, hot), state,
                            key="hotspots_export")
