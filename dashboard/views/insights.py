"""Insights: Sankey origin -> transit -> destination, the trend by year, breakdowns.

Everything follows the sidebar (years, attribute filters, focus, level, K). The numbers
come from :mod:`dashboard.insights` (pure, tested there); this page caches them on the
dataset's content key and the view's link, and draws them with ``st.plotly_chart``
(plotly.js ships inside Streamlit: nothing is fetched from the network). Small counts
are withheld with the sidebar's K, and each chart says what it withheld.
"""

from __future__ import annotations

import streamlit as st

from dashboard import insights as ins
from dashboard.maps.suppression import figure_or_withheld
from dashboard.state import ViewState, record_mask
from dashboard.views import data_cache, map_cache
from dashboard.views.sidebar import banner, key_figure_row, md, sidebar
from loaders.model import Dataset

# display-only plotly options: no logo link, no "edit in chart studio"
PLOT_CONFIG = {"displaylogo": False, "showLink": False}


@st.cache_data(max_entries=8, show_spinner=False)
def _breakdown_columns(dkey: str, _dataset: Dataset) -> list[str]:
    # a property of the dataset, not of the view: counted once, not on every filter change
    return ins.breakdown_columns(_dataset)


@st.cache_data(max_entries=16, show_spinner=False)
def _charts(dkey: str, vkey: str, _dataset: Dataset, _state: ViewState
            ) -> tuple[ins.SankeyData, ins.Trend, list[ins.Breakdown]]:
    mask = record_mask(_dataset, _state)
    k = _state.k
    sankey = ins.sankey_data(_dataset, mask, level=_state.level, k=k,
                             countries=map_cache.countries())
    trend = ins.trend(_dataset, mask, k=k)
    cols = _breakdown_columns(dkey, _dataset)
    return sankey, trend, [ins.breakdown(_dataset, mask, c, k=k) for c in cols]


def charts(dataset: Dataset, state: ViewState
           ) -> tuple[ins.SankeyData, ins.Trend, list[ins.Breakdown]]:
    """Sankey, trend and breakdowns of what ``state`` selects, cached on content."""
    return _charts(data_cache.dataset_key(state.dataset), map_cache.state_key(state), dataset,
                   state)


def _note(text: str) -> None:
    if text:
        st.caption(md(text))


state, dataset = sidebar()
st.title("Insights")
st.caption(md(dataset.meta.name))
banner(dataset)
kf = key_figure_row(dataset, state)
sankey, trend, breakdowns = charts(dataset, state)
if state.k <= 1:
    st.warning("Small-count suppression is off (K below 2): small counts are shown.")

st.subheader("Routes: origin → transit → destination")
st.caption(md(f"Cases along each step of the routes, by {state.level} (set the level in Map "
              "settings). A route with several transits passes through each in order."))
if sankey.value:
    st.plotly_chart(ins.sankey_figure(sankey), key="insights_sankey", config=PLOT_CONFIG)
else:
    st.info("No route links to show for this selection"
            + (f" (every link has fewer than {state.k} cases)." if sankey.withheld_links
               else "."))
_note(sankey.note())

st.subheader("Trend by year")
if len(trend.table):
    st.plotly_chart(ins.trend_figure(trend), key="insights_trend", config=PLOT_CONFIG)
elif trend.withheld_years:
    st.info(f"Every year of this selection has fewer than {state.k} cases: the trend is "
            "withheld.")
else:
    st.info("No selected record has a year.")
_note(trend.note())

st.subheader("Breakdowns")
if not breakdowns:
    st.info("This dataset has no attribute with a few distinct values to break down.")
cols = st.columns(2)
for i, b in enumerate(breakdowns):
    with cols[i % 2]:
        st.markdown(f"**{md(b.column.replace('_', ' ').capitalize())}**")
        if len(b.table):
            st.plotly_chart(ins.breakdown_figure(b), key=f"insights_bd_{i}",
                            config=PLOT_CONFIG)
        else:
            st.caption("Nothing to show for this selection.")
        _note(b.note())
if kf.uncounted:  # a count of records: withheld below K like the others
    st.caption(md(f"{figure_or_withheld(kf.uncounted, state.k)} selected records were "
                  "reported without a number: they count as records, never as cases."))
