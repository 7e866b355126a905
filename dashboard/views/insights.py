"""Insights: Sankey origin -> transit -> destination, trend over years, breakdowns.

Placeholder until the flows API lands: the sidebar and the key figures are live.
"""

import streamlit as st

from dashboard.views.sidebar import banner, key_figure_row, md, sidebar

state, dataset = sidebar()
st.title("Insights")
st.caption(md(dataset.meta.name))
banner(dataset)
key_figure_row(dataset, state)
# TODO(maps): Sankey of result.flows by leg role (plotly), cases per year of the
# selected records, breakdown by each attribute; suppression applies (state.k).
st.info("The Sankey diagram, trend and breakdowns will appear here.")
