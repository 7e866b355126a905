"""Routes: the flow map of corridors (origin -> transit -> destination).

Placeholder until dashboard/maps lands: the sidebar and the key figures are live.
"""

import streamlit as st

from dashboard.views.sidebar import banner, key_figure_row, md, sidebar

state, dataset = sidebar()
st.title("Routes")
st.caption(md(dataset.meta.name))
banner(dataset)
key_figure_row(dataset, state)
# TODO(maps): result = compute_flows(dataset, state.to_flow_query()); draw the flow map
# in an @st.fragment with st_folium(m, returned_objects=[], key="routes_map"), then the
# legend/caveat box (result.summary, result.withheld.message()) and the exports.
st.info("The route map will appear here.")
