"""Routes: the flow map of corridors (origin -> transit -> destination).

The map is drawn in a fragment from a cached payload (:mod:`map_cache`), so panning and
zooming never rerun the page and a revisited view costs nothing. Clicking a place
focuses the view on its routes (``focus`` in the state and the link). Beside it: the key
figures, the withheld note, the caveat, the top corridors and the exports.
"""

from __future__ import annotations

import functools
from collections.abc import Collection

import pandas as pd
import streamlit as st

from dashboard.maps.flow_map import caveat_for
from dashboard.maps.flows import FlowResult
from dashboard.maps.suppression import figure_or_withheld, reported_without_a_number
from dashboard.state import ViewState
from dashboard.views import data_cache, exports_ui, map_cache
from dashboard.views.sidebar import (
    NOTICES,
    STATE,
    W,
    banner,
    caveat_box,
    key_figure_row,
    md,
    sidebar,
    year_span,
)
from loaders.errors import RoutemapError
from loaders.model import Dataset

MAP_KEY = "routes_map"
RERUN = "_routes_rerun_app"
TABLE_ROWS = 50


def set_focus(key: str | None) -> None:
    """Focus the view on place ``key`` (None: all places); for use in a callback."""
    ss = st.session_state
    ss[STATE] = ss[STATE].with_(focus=key)
    ss[W + "focus"] = key or ""
    ss[NOTICES] = []


def _on_map_click(known: Collection[str]) -> None:
    value = map_cache.component_value(MAP_KEY) or {}
    key = map_cache.clicked_place(value.get("last_object_clicked_popup"), known)
    state: ViewState | None = st.session_state.get(STATE)
    if key and state is not None and key != state.focus:
        set_focus(key)
        st.session_state[RERUN] = True


@st.fragment
def route_map(payload: map_cache.MapPayload | None, known: frozenset[str],
              dataset: Dataset, dkey: str, state: ViewState) -> None:
    """The map alone reruns on a click; a click that focuses a place reruns the page."""
    if st.session_state.pop(RERUN, False):
        st.rerun(scope="app")
    map_cache.draw_map(
        payload, lambda: map_cache.build_flow_map(dataset, dkey, state), key=MAP_KEY,
        on_change=functools.partial(_on_map_click, known),
    )


def corridor_table(result: FlowResult, rows: int = TABLE_ROWS) -> pd.DataFrame:
    """The largest corridors after suppression: from, to, cases, records, years."""
    f = result.flows.head(rows)
    lo, hi = f["year_min"], f["year_max"]
    years = [year_span(a, b) for a, b in zip(lo, hi, strict=True)]
    # a corridor reported only without a number has no cases to give: empty, not 0
    cases = pd.array(f["count"], dtype="Int64").copy()
    cases[reported_without_a_number(f["count"], f["uncounted"]).to_numpy()] = pd.NA
    return pd.DataFrame({
        "From": f["from_name"].astype(str).to_numpy(),
        "To": f["to_name"].astype(str).to_numpy(),
        "Cases": cases,
        "Records": [figure_or_withheld(int(r), result.withheld.threshold)
                    for r in f["records"]],
        "Years": years,
        "On map": f["shown"].to_numpy() & f.geometry.notna().to_numpy(),
    })


def figure_row(dataset: Dataset, state: ViewState, result: FlowResult) -> None:
    """Records, cases, corridors, places and years of the current view."""
    s = result.summary
    key_figure_row(dataset, state, extra=(
        "Corridors", f"{s.flows_total:,}", f"{s.flows_shown:,} drawn; "
        f"{result.withheld.corridors:,} withheld (counts below "
        f"{result.withheld.threshold or 'K'})"))


state, dataset = sidebar()
dkey = data_cache.dataset_key(state.dataset)
st.title("Routes")
st.caption(f"{md(dataset.meta.name)} · Click a place on the map to show only its routes.")
banner(dataset, caveat=False)
try:
    result = map_cache.flows(dataset, dkey, state)
    payload = map_cache.flow_payload(dataset, dkey, state)
except RoutemapError as error:
    st.error(md(error))
    st.stop()
figure_row(dataset, state, result)

places = data_cache.facets(dataset, dkey).places
# one slot above the map, focused or not: the map keeps its place in the page, so the
# browser keeps its frame and the map refits instead of reloading
focus_row = st.container()
if state.focus:
    left, right = focus_row.columns([4, 1], vertical_alignment="center")
    left.markdown(f"Showing the routes through **{md(places.get(state.focus, state.focus))}**.")
    right.button("Show all places", on_click=set_focus, args=(None,), key="routes_unfocus")
route_map(payload, frozenset(places), dataset, dkey, state)
st.caption(md(result.withheld.message()))
caveat_box(caveat_for(result).lines())

st.subheader("Top corridors")
table = corridor_table(result)
if table.empty and result.withheld.corridors and not state.min_flow:
    st.info(f"Every corridor in this view has fewer than {result.withheld.threshold} cases: "
            "all are withheld. Widen the years or filters to see more.")
elif table.empty:
    st.info("No corridor in this view: widen the years or filters"
            + (", or lower the minimum." if state.min_flow else "."))
else:
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "Cases": st.column_config.NumberColumn(format="localized",
                                               help="empty: reported without a number"),
        "Records": st.column_config.TextColumn(help="below K: withheld, as place totals"),
        "On map": st.column_config.CheckboxColumn(help="drawn on the map (top N, located)"),
    })
    if len(result.flows) > TABLE_ROWS:
        st.caption(f"The {TABLE_ROWS} largest of {len(result.flows):,} corridors; the CSV "
                   "export has them all.")

st.subheader("Export")
exports_ui.download_buttons(exports_ui.flow_files(dataset, state, result), state,
                            key="routes_export")
