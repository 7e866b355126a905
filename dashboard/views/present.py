"""Present: large map, legend and caveat always visible, saved views stepped like slides.

Placeholder until dashboard/maps lands. Saved views of a library dataset are kept with
``Library.saved_views``/``save_views`` as {name, state: to_query_params(state)}; a slide
is restored with ``from_query_params`` (so a stale slide gives notices, not errors).
"""

import streamlit as st

from dashboard.views.sidebar import banner, key_figure_row, md, sidebar

state, dataset = sidebar()
st.title("Present")
st.caption(md(dataset.meta.name))
banner(dataset)
key_figure_row(dataset, state)
st.caption(md(f"Counts below {state.k} are withheld in this mode." if state.k > 1
              else "Small-count suppression is off: set K of 5 or more before presenting."))
# TODO(maps): full-width flow map with suppression forced on (max(state.k, 5)), legend and
# caveat box; slide picker over Library().saved_views(state.dataset) for library datasets.
st.info("The presentation map and saved views will appear here.")
