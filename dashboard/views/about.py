"""About: what routemap does, where its data comes from, and what the numbers do not say."""

import streamlit as st

from geodata import data_path

st.title("About routemap")
st.markdown(
    """
routemap turns datasets about identified human-trafficking cases into maps of
**routes** (origin → transit → destination) and **hotspots** (places ranked by the cases
that start in, pass through or end in them).

### Method
1. **Read** the file (CSV/TSV, Excel, JSON, GeoJSON, Parquet) as text, so codes such as
   `NA` (Namibia) are never mistaken for missing values.
2. **Lay out** the columns: routes in one row, legs chained by route id, an
   origin-by-destination matrix, IOM CTDC case files, or rows that already carry
   coordinates. The layout is detected and can be overridden on the Data page.
3. **Geocode** each distinct place name once against the bundled gazetteer: your saved
   fixes, then codes, exact names, other spellings, and finally fuzzy matches, which are
   suggestions to review, never silent answers. A country beside a city settles which
   city is meant. Nothing leaves this machine.
4. **Report** every row read, kept and rejected, with the reason, and every place that
   could not be resolved. No row is dropped silently.
5. **Aggregate** the legs of the selected records into corridors (sum of cases, number
   of records). Routes reported without a number are drawn and counted apart, never as
   one case each. A place counts a record's cases once in each role it plays there:
   a route through Karachi and Lahore passes through Pakistan once, and so do two small
   cities rolled up into their country.

### Caveats
- **Identified cases are not prevalence.** The counts show what was identified and
  reported by the organisations behind a dataset. They depend on where those
  organisations work and what they record, not on how much trafficking there is.
  A place with no cases is not a place without trafficking.
- **Small-count suppression.** Counts below a threshold *K* (default 5; CTDC uses 10 for
  its maps) are withheld from arcs, totals, tooltips and exports, so no victim can be
  singled out, and each map states what was withheld: corridors and cases on a route
  map, country and place totals on a hotspot map. Set *K* in the sidebar; Present mode
  and every export use at least 5.
- Places written only as a region (the Gulf, Europe) are placed at the region, not at a
  country in it; unresolved places stay in the tables and are listed on the Data page.
- Synthetic data (the demo) is labelled SYNTHETIC wherever it is shown.

### Offline
The dashboard runs on this machine and needs no internet connection: the gazetteer, map
scripts and styles are served by the app itself. No usage statistics are sent. Map
tiles are the only optional network use; without them the map draws country outlines
from the bundled data.
"""
)

st.header("Sources and licences")
try:
    sources = data_path("SOURCES.md").read_text("utf-8")
except OSError:
    st.warning("geodata/SOURCES.md is missing from this installation.")
else:
    with st.expander("Bundled data (geodata/SOURCES.md)", expanded=False):
        st.markdown(sources)  # our own file, not dataset text
