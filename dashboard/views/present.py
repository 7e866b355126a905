"""Present: a large map for a shared screen, and saved views stepped through like slides.

- The map fills the screen under one row of slide controls, whatever the screen (a
  1366x768 laptop or a 1080-line projector), with large type (``present=True``): its
  legend, caveat box and SYNTHETIC banner are on it and in view without scrolling. It is
  always drawn offline (the vector basemap, dark when the view asks for a dark basemap;
  tiles are dropped): a meeting room on a government network must not wait for tiles.
- Suppression is always on here: K is at least 5 (:func:`dashboard.slides.present_k`),
  and the page says so when the view asked for less.
- Slides are named view states stored with the dataset (:mod:`dashboard.slides`), so they
  survive a restart. Opening a slide sets the sidebar to it, so what the sidebar shows
  is what the map shows, and "Update slide" saves a tweak. The open slide is ``slide=N``
  in the link (1-based), so a link opens that slide.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st
from branca.element import Element, MacroElement
from jinja2 import Template

from dashboard import slides as sl
from dashboard.maps.flow_map import flow_layers
from dashboard.maps.flows import FlowResult
from dashboard.state import Facets, ViewState
from dashboard.views import data_cache, exports_ui, map_cache
from dashboard.views.sidebar import banner, key_figure_row, md, show_state, sidebar
from loaders.errors import RoutemapError
from loaders.library import Library
from loaders.model import Dataset

MAP_HEIGHT = 760  # px: the map's height where the screen-fitting style does not apply
ABOVE_MAP = 170  # px above the map: Streamlit's header, the slide row and the gaps
MIN_HEIGHT = 420  # px: below this a window is too small to present from
# Streamlit cannot know the window's height, so the page sizes the map's frame in CSS,
# and the map fills its frame (st_folium gives the map a fixed height in px). The slide
# title stays on one line (cut with an ellipsis; the slide list has it whole), so the
# row above the map keeps its height.
SCREEN_FIT = f"""<style>
.st-key-present_map_box iframe {{
  height: max({MIN_HEIGHT}px, calc(100vh - {ABOVE_MAP}px)) !important; }}
.st-key-present_head h1 {{ white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
  padding: 0; }}
</style>"""
# st_folium names the map's div "map_div" (its header CSS is renamed to match)
FILL_FRAME = "<style>#map_div { height: 100vh !important; }</style>"


class SlideKeys(MacroElement):
    """Page Down / Page Up step the slides while the map has the keyboard too.

    A presenter who drags the map, then presses the clicker (which sends Page Down),
    typed into the map's frame, and the slide buttons' shortcuts listen on the page. The
    map's frame comes from this server, so it can press the page's button itself."""

    _template = Template("""{% macro script(this, kwargs) %}
        document.addEventListener("keydown", function (e) {
            if (e.key !== "PageDown" && e.key !== "PageUp") { return; }
            var key = e.key === "PageDown" ? "present_next" : "present_prev";
            try {
                var button = window.parent.document.querySelector(".st-key-" + key + " button");
                if (button && !button.disabled) { e.preventDefault(); button.click(); }
            } catch (err) {}  // another origin's page: the keys stay with the map
        });
    {% endmacro %}""")
CURRENT = "present_slide"  # (dataset id, open slide index or None)
PENDING = "present_link_slide"  # slide=N from the link, until the slides are loaded
MESSAGE = "present_message"  # (kind, text) left by a callback for the next run
SLIDES_OPEN = "present_slides_open"  # the Slides panel is kept open once used


@st.cache_data(max_entries=16, show_spinner=False)
def _payload(dkey: str, skey: str, _dataset: Dataset, _state: ViewState
             ) -> map_cache.MapPayload | None:
    return map_cache.payload_of(*present_map(map_cache.flows(_dataset, dkey, _state), _state,
                                             view=skey))


def draw(dataset: Dataset, dkey: str, state: ViewState) -> None:
    """Draw the presenting map; its rendered form is cached, so stepping back is instant.

    Nothing is read back from the map (no popups here), so panning never reruns the page.
    """
    skey = map_cache.state_key(state)
    payload = _payload(dkey, skey, dataset, state)
    map_cache.draw_map(payload,
                       lambda: present_map(map_cache.flows(dataset, dkey, state), state,
                                           view=skey),
                       key="present_map", height=MAP_HEIGHT)


def present_map(result: FlowResult, state: ViewState, *, view: str = ""
                ) -> map_cache.Drawn:
    """The flow map with large type, drawn offline (any tile layer removed): its base map
    and the layers over it. Each slide (``view``) opens fitted to its own data.

    No title in the map: the slide title is the page heading right above, and in the map
    it collided with the SYNTHETIC banner at presenting size.
    """
    opts = replace(map_cache.flow_map_options(state, present=True),
                   basemap="dark" if state.basemap == "dark" else "vector", tiles=False)
    base = opts.base_map()
    base.get_root().header.add_child(Element(FILL_FRAME), name="rm_fill_frame")
    base.add_child(SlideKeys(), name="rm_slide_keys")
    return base, flow_layers(result, opts, view=view)


# ---- slide actions (button callbacks: they run before the page, so the sidebar is
# seeded from the slide they open) --------------------------------------------------------


def _say(kind: str, text: str) -> None:
    st.session_state[MESSAGE] = (kind, text)
    # a slide was added, edited or refused: the panel it was done in stays open for the
    # next edit (it closed after each one)
    st.session_state[SLIDES_OPEN] = True


def _open(slides: list[sl.Slide], index: int | None, facets: Facets, dataset_id: str) -> None:
    """Open slide ``index``: its state becomes the sidebar's (widgets reseeded)."""
    st.session_state[CURRENT] = (dataset_id, index)
    if index is None:
        return
    show_state(*sl.restore_slide(slides[index], facets, dataset_id))


def _step(slides: list[sl.Slide], index: int | None, delta: int, facets: Facets,
          dataset_id: str) -> None:
    _open(slides, sl.step(index, len(slides), delta), facets, dataset_id)


def _store(dataset_id: str, slides: list[sl.Slide], index: int | None, done: str) -> bool:
    try:
        sl.store_slides(Library(), dataset_id, slides)
    except RoutemapError as e:
        _say("error", str(e))
        return False
    st.session_state[CURRENT] = (dataset_id, index)
    _say("success", done)
    return True


def _add(slides: list[sl.Slide], state: ViewState, view_name: str) -> None:
    name = str(st.session_state.get("present_new_name") or "").strip() or view_name
    try:
        new = sl.add_slide(slides, state, name)
    except sl.SlideError as e:
        _say("error", str(e))
        return
    if _store(state.dataset, new, len(new) - 1, f"Added slide {len(new)}: {new[-1]['name']}"):
        st.session_state["present_new_name"] = ""


def _edit(slides: list[sl.Slide], index: int, dataset_id: str, facets: Facets, action: str,
          state: ViewState | None = None) -> None:
    try:
        if action == "rename":
            new = sl.rename_slide(slides, index, st.session_state.get("present_rename", ""))
            if _store(dataset_id, new, index, "Slide renamed."):
                st.session_state["present_rename"] = ""
        elif action == "update":
            assert state is not None
            _store(dataset_id, sl.update_slide(slides, index, state), index,
                   "Slide updated with the current view.")
        elif action in ("up", "down"):
            delta = -1 if action == "up" else 1
            new = sl.move_slide(slides, index, delta)
            _store(dataset_id, new, max(0, min(len(new) - 1, index + delta)), "Slide moved.")
        elif action == "delete":
            new = sl.delete_slide(slides, index)
            shown = min(index, len(new) - 1) if new else None
            if _store(dataset_id, new, shown, f"Deleted slide {slides[index]['name']!r}."):
                # the slide now in its place is shown with its own view, not the
                # deleted one's under the next slide's title
                _open(new, shown, facets, dataset_id)
    except sl.SlideError as e:
        _say("error", str(e))


# ---- the page --------------------------------------------------------------------------

# slide=N is this page's own parameter: take it out before the sidebar reads the link
# (it would call it unknown) and put it back at the end of the run.
if "slide" in st.query_params:
    if CURRENT not in st.session_state:
        st.session_state[PENDING] = st.query_params.get_all("slide")
    del st.query_params["slide"]

state, dataset = sidebar()
dataset_id = state.dataset
dkey = data_cache.dataset_key(dataset_id)
facets = data_cache.facets(dataset, dkey)
try:
    slides = sl.load_slides(Library(), dataset_id)
except RoutemapError as e:
    st.error(md(f"The saved slides cannot be read: {e}"))
    slides = []

if PENDING in st.session_state:  # first run with slide=N in the link
    wanted, link_notices = sl.parse_slide_param(st.session_state.pop(PENDING), len(slides))
    if wanted is not None:
        _open(slides, wanted, facets, dataset_id)
        st.rerun()
    for n in link_notices:
        st.warning(md(n), icon="⚠️")

cur_ds, index = st.session_state.get(CURRENT, (dataset_id, None))
if cur_ds != dataset_id or index is None or not 0 <= index < len(slides):
    index = None
st.session_state[CURRENT] = (dataset_id, index)
slide = slides[index] if index is not None else None
if index is not None:  # as early as possible: the sidebar has just rewritten the link
    st.query_params["slide"] = str(index + 1)

k, k_notice = sl.present_k(state.k)
shown = state.with_(k=k)
view_name = sl.default_name(state, facets.places.get(state.focus or ""))
title = str(slide["name"]) if slide else f"Current view: {view_name}"

st.html(SCREEN_FIT)
with st.container(key="present_head"):
    nav = st.columns([5.0, 1.8, 0.7, 1.8], vertical_alignment="center")
    nav[0].title(md(title), anchor=False)
    args = (slides, index)
    nav[1].button("◀ Previous", key="present_prev", shortcut="PageUp",
                  disabled=not slides or index == 0, on_click=_step,
                  args=(*args, -1, facets, dataset_id), width="stretch")
    nav[2].markdown(f"### {sl.position(index, len(slides))}")
    nav[3].button("Next ▶", key="present_next", shortcut="PageDown", type="primary",
                  disabled=not slides or index == len(slides) - 1, on_click=_step,
                  args=(*args, 1, facets, dataset_id), width="stretch")

with st.container(key="present_map_box"):
    draw(dataset, dkey, shown)
result = map_cache.flows(dataset, dkey, shown)
st.caption(md(f"{dataset.meta.name} · counts below {k} withheld · "
              + ("no slides yet: add the current view below" if not slides else
                 "Page Down / Page Up step through the slides")))
if k_notice:
    st.info(md(k_notice), icon="🔒")
msg = st.session_state.pop(MESSAGE, None)
if msg:
    (st.error if msg[0] == "error" else st.success)(md(msg[1]))
st.markdown(f"#### {md(result.withheld.message())}")
key_figure_row(dataset, shown)
banner(dataset)
if state.basemap in ("light", "dark"):
    st.caption("Presenting draws the map offline: the bundled country shapes stand in "
               "for tiles.")

with st.expander("Export this view"):
    # the slide PNG, the map and the tables of what is on screen, withheld as presented
    # headed as the slide is: its name, not the dataset's
    exports_ui.download_buttons(
        exports_ui.flow_files(dataset, shown, result,
                              title=slide["name"] if slide is not None else view_name),
        shown, key="present_export")

with st.expander("Slides", expanded=not slides or st.session_state.get(SLIDES_OPEN, False)):
    if slides:
        st.markdown("\n".join(
            f"{i + 1}. {'**' if i == index else ''}{md(s['name'])}{'**' if i == index else ''}"
            for i, s in enumerate(slides)))
        go = st.columns(min(len(slides), 10))
        for i in range(len(slides)):
            go[i % len(go)].button(f"Open {i + 1}", key=f"present_open_{i}", on_click=_open,
                                   args=(slides, i, facets, dataset_id))
    c = st.columns([4, 2], vertical_alignment="bottom")
    c[0].text_input("Name of the new slide", key="present_new_name", max_chars=sl.MAX_NAME,
                    placeholder=view_name)
    c[1].button("Add the current view as a slide", key="present_add", on_click=_add,
                args=(slides, state, view_name), width="stretch")
    if slide is not None:
        st.markdown(f"**Slide {index + 1}: {md(slide['name'])}**")
        if not sl.same_view(sl.restore_slide(slide, facets, dataset_id)[0], state):
            st.caption("The sidebar has changed since this slide was opened.")
        e = st.columns([4, 2], vertical_alignment="bottom")
        e[0].text_input("New name", key="present_rename", max_chars=sl.MAX_NAME,
                        placeholder=str(slide["name"]))
        edit = (slides, index, dataset_id, facets)
        e[1].button("Rename", key="present_do_rename", on_click=_edit,
                    args=(*edit, "rename"), width="stretch")
        b = st.columns(4)
        b[0].button("Update with the current view", key="present_update", on_click=_edit,
                    args=(*edit, "update", state))
        b[1].button("Move earlier", key="present_up", on_click=_edit, args=(*edit, "up"),
                    disabled=index == 0)
        b[2].button("Move later", key="present_down", on_click=_edit, args=(*edit, "down"),
                    disabled=index == len(slides) - 1)
        b[3].button("Delete slide", key="present_delete", on_click=_edit,
                    args=(*edit, "delete"))
