"""Hotspots: places ranked by cases for the chosen role, as a choropleth or heat map.

Placeholder until dashboard/maps lands: the sidebar and the key figures are live.
"""

import streamlit as st

from dashboard.views.sidebar import banner, key_figure_row, md, sidebar

state, dataset = sidebar()
st.title("Hotspots")
st.caption(md(f"{dataset.meta.name}: places as {state.role}, by {state.level}"))
banner(dataset)
key_figure_row(dataset, state)
# TODO(maps): result = compute_flows(dataset, state.to_flow_query()); hotspot map of
# result.places for state.role at state.level (choropleth by country, heat map for
# cities) via st_folium(..., returned_objects=[], key="hotspots_map"), ranked table beside.
st.info("The hotspot map will appear here.")
