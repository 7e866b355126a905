"""The routemap dashboard's entrypoint and router (``routemap serve`` runs it).

One ``st.navigation`` over the pages in ``dashboard/views/``; each page draws the shared
sidebar itself (Data and About have none), so the view state lives in one place
(:mod:`dashboard.views.sidebar`) and in the URL.
"""

import sys
from pathlib import Path

import streamlit as st

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:  # `streamlit run dashboard/app.py` from a source checkout
    sys.path.insert(0, str(_ROOT))

from dashboard.views.sidebar import PAGE  # noqa: E402 -- after the path set-up above

VIEWS = Path(__file__).parent / "views"

st.set_page_config(layout="wide", page_title="routemap")
pages = [
    st.Page(VIEWS / "routes.py", title="Routes", default=True),
    st.Page(VIEWS / "hotspots.py", title="Hotspots"),
    st.Page(VIEWS / "insights.py", title="Insights"),
    st.Page(VIEWS / "data.py", title="Data"),
    st.Page(VIEWS / "present.py", title="Present"),
    st.Page(VIEWS / "about.py", title="About"),
]
pg = st.navigation(pages)
st.session_state[PAGE] = pg.url_path  # the sidebar seeds its widgets anew on each page
pg.run()
