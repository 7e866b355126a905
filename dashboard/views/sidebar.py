"""The shared sidebar: dataset, filters and map settings, kept in the URL.

The canonical state is a :class:`~dashboard.state.ViewState` in
``st.session_state["view_state"]``. On the first run of a session it is read from the
link (``st.query_params``), validated, and any ignored value is shown as a warning.
Widgets are seeded from it and write back through ``on_change``; every run ends by
writing the state to ``st.query_params``, so the address bar always holds a link that
reproduces the view (page switches clear the query string; this puts it back).

Pages call :func:`sidebar` and get the state and the loaded dataset; map pages pass
``state.to_flow_query()`` to the flows. Nothing here knows about maps.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.maps.legend import PREVALENCE_NOTE
from dashboard.maps.suppression import below_k, figure_or_withheld, records_text
from dashboard.state import (
    BASEMAPS,
    COLOUR_ROLE,
    LEVELS,
    MAX_K,
    MAX_TOP,
    Facets,
    KeyFigures,
    ViewState,
    from_query_params,
    key_figures,
    parse_dataset_id,
    to_query_params,
)
from dashboard.views import data_cache
from loaders.errors import RoutemapError
from loaders.library import Library
from loaders.model import ROLES, Dataset

STATE = "view_state"
NOTICES = "view_notices"
W = "vs_"  # prefix of the sidebar's widget keys
PAGE = "page_now"  # the page this run draws (set by the app's router)
DRAWN_ON = "sidebar_drawn_on"  # the page whose sidebar widgets hold values now
CAVEAT = "Identified cases are not prevalence: counts show what was reported, not how " \
         "much trafficking there is."

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")
# Streamlit's markdown makes a link of any text that looks like one ("https://...",
# "www.x.org", "a@b.org"), escaped or not; a word joiner (U+2060, not shown) keeps
# such text from reading as one
_AUTOLINKED = re.compile(r"(?i)\b(https?|ftp|mailto|www)(?=:|\.)|@")


def md(text: object) -> str:
    """Dataset or link text made inert for Streamlit markdown (no links, images, markup,
    nor the links it makes of bare addresses)."""
    text = _AUTOLINKED.sub(lambda m: m.group(0) + "\u2060", str(text))
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\n", " ")


def _link_params() -> dict[str, str | list[str]]:
    qp = st.query_params
    return {k: (v[0] if len(v := qp.get_all(k)) == 1 else v) for k in qp}


def _as_lists(params: dict[str, str | list[str]]) -> dict[str, list[str]]:
    return {k: [v] if isinstance(v, str) else list(v) for k, v in params.items()}


def _load(dataset_id: str) -> tuple[Dataset, Facets]:
    dataset = data_cache.load_any(dataset_id)
    return dataset, data_cache.facets(dataset, data_cache.dataset_key(dataset_id))


def _first_run(choices: dict[str, str]) -> None:
    """Read the link once per session into the state (and the notices it caused)."""
    params = _link_params()
    dataset_id, notices = parse_dataset_id(
        params.get("ds") if isinstance(params.get("ds"), str) else None, choices
    )
    if isinstance(params.get("ds"), list):
        notices.append("Ignored a repeated ds= in the link.")
    try:
        _, facets = _load(dataset_id)
    except RoutemapError as e:
        notices.append(str(e))
        dataset_id = "demo"
        _, facets = _load(dataset_id)
    rest = {k: v for k, v in params.items() if k != "ds"}
    state, more = from_query_params(rest, facets)
    st.session_state[STATE] = state.with_(dataset=dataset_id)
    st.session_state[NOTICES] = notices + more


def _seed_widgets(state: ViewState, facets: Facets) -> None:
    """Give each widget its value from the state unless it already has one this session."""
    ss = st.session_state
    defaults: dict[str, Any] = {
        "ds": state.dataset, "focus": state.focus or "", "min": state.min_flow,
        "top": state.top, "colour": state.colour_by, "basemap": state.basemap,
        "k": state.k, "role": state.role, "level": state.level,
    }
    if facets.years and facets.years[0] < facets.years[1]:
        defaults["years"] = state.years or facets.years
    for col in facets.attributes:
        defaults[f"f.{col}"] = list(state.filters.get(col, ()))
    for key, value in defaults.items():
        if W + key not in ss:
            ss[W + key] = value


def _state_from_widgets(facets: Facets, choices: dict[str, str]) -> ViewState:
    """The state the widgets show. A widget with no value (another callback of the same
    run reset the widgets) keeps the state's value: a callback never fails on it."""
    ss = st.session_state
    now: ViewState = ss.get(STATE) or ViewState()

    def value(name: str, default: Any) -> Any:
        return ss.get(W + name, default)

    years = value("years", now.years or facets.years)
    years = tuple(int(y) for y in years) if years else None
    if years == facets.years:
        years = None
    filters = {c: tuple(v) for c in facets.attributes
               if (v := value(f"f.{c}", now.filters.get(c, ())))}
    return ViewState(
        dataset=_picked_dataset(value("ds", now.dataset), choices) or now.dataset,
        years=years, filters=filters,
        focus=value("focus", now.focus) or None, min_flow=int(value("min", now.min_flow)),
        top=int(value("top", now.top)), colour_by=value("colour", now.colour_by),
        basemap=value("basemap", now.basemap), k=int(value("k", now.k)),
        role=value("role", now.role), level=value("level", now.level),
    )


def _on_change(facets: Facets, choices: dict[str, str]) -> None:
    st.session_state[STATE] = _state_from_widgets(facets, choices)
    st.session_state[NOTICES] = []


def _on_dataset(state: ViewState, dataset_id: str) -> ViewState:
    """``state`` moved to another dataset: the map settings stay; the years, filters,
    focus and colour column named the old dataset's values, so they go."""
    return state.with_(dataset=dataset_id, years=None, filters={}, focus=None,
                       colour_by=COLOUR_ROLE)


def _picked_dataset(value: Any, choices: dict[str, str]) -> str | None:
    """The dataset id the picker holds (one of the ``choices`` it offered), or None when
    it holds a label instead.

    Streamlit's selectbox sends back the label the browser shows and returns it as it
    is when no option has that label now: after another session renamed a dataset or
    saved one under the same name (which changes the labels), the picker reports a
    "change" to a stale label that nobody picked."""
    return value if value in choices else None


def _on_dataset_change(choices: dict[str, str]) -> None:
    ss = st.session_state
    picked = _picked_dataset(ss.get(W + "ds"), choices)
    if picked is None:  # not a pick: show the view's dataset under its current label
        ss[W + "ds"] = ss[STATE].dataset
        return
    ss[STATE] = _on_dataset(ss[STATE], picked)
    _reset_widgets(keep=W + "ds")  # the picker already shows its new value
    ss[NOTICES] = []


def write_url(state: ViewState) -> None:
    """Make the address bar hold the link of ``state`` (only when it differs)."""
    want = to_query_params(state)
    if _as_lists(_link_params()) != _as_lists(want):
        st.query_params.from_dict(want)


def sidebar() -> tuple[ViewState, Dataset]:
    """Draw the sidebar; return the view state and its dataset (loaded, cached)."""
    library = Library()
    choices = data_cache.dataset_choices(library)
    if STATE not in st.session_state:
        _first_run(choices)
    state: ViewState = st.session_state[STATE]
    if state.dataset not in choices:  # deleted in another session since
        st.session_state[NOTICES] = [*st.session_state.get(NOTICES, []),
                                     "The dataset of this view is no longer in the library; "
                                     "showing the demo data."]
        state = ViewState()
        _reset_widgets()
    try:
        dataset, facets = _load(state.dataset)
    except RoutemapError as e:
        st.error(str(e))
        state = ViewState()
        _reset_widgets()
        dataset, facets = _load(state.dataset)
    st.session_state[STATE] = state
    page = st.session_state.get(PAGE)
    if st.session_state.get(DRAWN_ON) != page:
        # Streamlit keys a widget by the page that draws it, so this page's sidebar is
        # new widgets: seed them all from the state, not from the last page's values
        # (kept under the same keys, they left these widgets at their minimums)
        _reset_widgets()
        st.session_state[DRAWN_ON] = page
    _seed_widgets(state, facets)

    sb = st.sidebar
    for notice in st.session_state.get(NOTICES, []):
        sb.warning(md(notice), icon="⚠️")
    sb.selectbox("Dataset", list(choices), format_func=lambda k: choices.get(k, k),
                 key=W + "ds", on_change=_on_dataset_change, args=(choices,))
    # the callbacks check picks against the ids this run offered, not a new library list
    cb = {"on_change": _on_change, "args": (facets, choices)}
    if W + "years" in st.session_state:
        sb.slider("Years", min_value=facets.years[0], max_value=facets.years[1],
                  key=W + "years", **cb)
    elif facets.years:
        sb.caption(f"Year: {facets.years[0]}")
    for col, values in facets.attributes.items():
        sb.multiselect(col.replace("_", " ").capitalize(), values, key=W + f"f.{col}",
                       placeholder="All", **cb)
    places = facets.places
    sb.selectbox("Focus on a place", ["", *places], key=W + "focus",
                 format_func=lambda k: places.get(k, "All places") if k else "All places",
                 **cb)
    with sb.expander("Map settings", expanded=False):
        st.number_input("Minimum cases on a corridor", min_value=0, step=1, key=W + "min", **cb)
        st.number_input("Corridors shown (top N)", min_value=1, max_value=MAX_TOP, step=10,
                        key=W + "top", **cb)
        st.selectbox("Colour by", [COLOUR_ROLE, *facets.attributes], key=W + "colour",
                     format_func=lambda c: "Leg role" if c == COLOUR_ROLE else c, **cb)
        st.radio("Basemap", BASEMAPS, key=W + "basemap", horizontal=True, **cb)
        st.number_input("Withhold counts below K", min_value=0, max_value=MAX_K, step=1,
                        key=W + "k", help="Small-count suppression: counts below K are not "
                        "shown, so no victim can be singled out. 0 or 1 turns it off.", **cb)
        st.selectbox("Hotspots: role", ROLES, key=W + "role", **cb)
        st.radio("Level", LEVELS, key=W + "level", horizontal=True,
                 help="Routes, Insights and Present: roll places up to their countries or "
                 "regions. The Hotspots map always shades countries and ranks places.", **cb)
    write_url(st.session_state[STATE])
    return st.session_state[STATE], dataset


def show_state(state: ViewState, notices: list[str] | None = None) -> None:
    """Make the pages show ``state``, the sidebar's widgets reseeded from it on the next
    run, with ``notices`` above them; call from a callback."""
    st.session_state[STATE] = state
    st.session_state[NOTICES] = notices or []
    _reset_widgets()


def select_dataset(dataset_id: str) -> None:
    """Make the map pages show ``dataset_id`` (e.g. just saved); call from a callback."""
    show_state(_on_dataset(st.session_state.get(STATE, ViewState()), dataset_id))


def _reset_widgets(keep: str | None = None) -> None:
    """Forget the sidebar's widget values (but ``keep``), so they are reseeded from the state."""
    for key in list(st.session_state):
        if isinstance(key, str) and key.startswith(W) and key != keep:
            del st.session_state[key]


def banner(dataset: Dataset, *, caveat: bool = True) -> None:
    """The SYNTHETIC banner and the data caveat every page with figures shows. A map page
    passes ``caveat=False``: its caveat is on the map and in the box under it."""
    if dataset.meta.synthetic:
        st.warning("SYNTHETIC DATA: no record describes a real case.", icon="⚠️")
    if caveat:
        st.caption(md(CAVEAT))


def caveat_box(lines: list[str]) -> None:
    """A map's caveat lines in a box under it, with the prevalence note in full."""
    with st.container(border=True):
        st.markdown("  \n".join(md(CAVEAT if line == PREVALENCE_NOTE else line)
                                 for line in lines))


def key_figure_row(dataset: Dataset, state: ViewState,
                   extra: tuple[str, str, str] | None = None) -> KeyFigures:
    """Records, cases, places and years of the current selection, as metrics.

    ``extra`` (label, value, help) is one more metric after the cases (Routes: corridors).
    """
    kf = key_figures(dataset, state)
    c = iter(st.columns(5 if extra else 4))
    # a narrow selection's totals are small counts too: withheld below K like the map's
    next(c).metric("Records", figure_or_withheld(kf.records, state.k),
                   help=f"of {kf.records_total:,} in the dataset")
    next(c).metric("Cases", figure_or_withheld(kf.cases, state.k),
                   help=f"{records_text(kf.uncounted, state.k)} reported without a number, "
                   "not counted as cases")
    if extra:
        next(c).metric(extra[0], extra[1], help=extra[2])
    next(c).metric("Places", f"{kf.places:,}")
    if kf.years and (below_k(kf.records, state.k) or below_k(kf.cases, state.k)):
        # the few cases' years would date them, as the map's caveat box knows
        next(c).metric("Years", "withheld", help=f"fewer than {state.k} records or cases: "
                       "when they were is not said")
    elif kf.years and kf.years[0] == kf.years[1]:
        next(c).metric("Year", str(kf.years[0]))  # not "2017–2017"
    else:
        next(c).metric("Years", f"{kf.years[0]}–{kf.years[1]}" if kf.years else "unknown")
    return kf


def year_span(lo: Any, hi: Any) -> str:
    """"2019", or "2017–2019"; "" when ``lo`` is missing (NaN or None) and just ``lo`` when
    ``hi`` is."""
    if pd.isna(lo):
        return ""
    return f"{int(lo)}" if pd.isna(hi) or lo == hi else f"{int(lo)}–{int(hi)}"
