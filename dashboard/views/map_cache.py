"""Cached flows, hotspots and map payloads for the Routes and Hotspots pages.

A filter change must redraw fast (DESIGN §10: under 0.5 s warm), so every heavy step
is cached on short hashable keys: the dataset key (:func:`data_cache.dataset_key`, which
changes with the content and the user's place fixes) and :func:`state_key`, the view's
link parameters as canonical JSON. The heavy arguments (the Dataset, the ViewState) go
in with a leading underscore, which ``st.cache_data`` leaves out of the key.

What is cached for a map is not the ``folium.Map`` (st_folium mutates it while turning
it into Leaflet script, so a map shared between sessions is unsafe) but the strings
streamlit-folium would send to its component: :class:`MapPayload`, a base map and the
view's layers. :func:`draw_map` sends them, so a cache hit does no folium rendering at
all, and the component keeps the base map and swaps only the layers. It uses
streamlit-folium's own helpers and component; when those are not there (another
version), it falls back to ``st_folium`` with the layers as ``feature_group_to_add``.

Clicking a place on the route map focuses on its routes: each focusable place gets a
popup (built with ``textContent``, so a name is never parsed as HTML) whose last line
names its key; streamlit-folium returns the popup's text (``last_object_clicked_popup``)
and :func:`clicked_place` reads the key back, checked against the dataset's places.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import folium
import streamlit as st
from branca.element import MacroElement
from jinja2 import Template

from dashboard.maps.flow_map import FlowMapOptions, flow_layers
from dashboard.maps.flows import FlowResult, compute_flows
from dashboard.maps.hotspot_map import (
    HotspotOptions,
    HotspotResult,
    compute_hotspots,
    hotspot_layers,
)
from dashboard.maps.offline import default_countries
from dashboard.state import COLOUR_ROLE, ViewState, to_query_params
from dashboard.views import data_cache
from loaders.model import Dataset

MAP_HEIGHT = 650
PREFIX = "/app/static"  # absolute: st_folium draws inside a component iframe
RETURNED = ["last_object_clicked_popup"]  # the only thing the pages read back
KEY_LABEL = "Place key: "
_KEY_AT_END = re.compile(re.escape(KEY_LABEL) + r"(\S[^\n]*?)\s*$")


def state_key(state: ViewState) -> str:
    """The view as a short canonical string (its link parameters), for cache keys."""
    return json.dumps(to_query_params(state), sort_keys=True, ensure_ascii=False)


@st.cache_resource(show_spinner=False)
def countries() -> Any:
    """The gazetteer's country shapes, read once per process and shared (never mutated)."""
    return default_countries()


@st.cache_data(max_entries=32, show_spinner=False)
def _flows(dkey: str, skey: str, _dataset: Dataset, _state: ViewState) -> FlowResult:
    return compute_flows(_dataset, _state.to_flow_query(), countries=countries())


def flows(dataset: Dataset, dkey: str, state: ViewState) -> FlowResult:
    """Flows and place totals of ``state`` (suppressed with the sidebar's K), cached."""
    return _flows(dkey, state_key(state), dataset, state)


@st.cache_data(max_entries=16, show_spinner=False)
def _hotspots(dkey: str, skey: str, _dataset: Dataset, _state: ViewState) -> HotspotResult:
    return compute_hotspots(_dataset, _state.to_flow_query(), role=_state.role,
                            countries=countries())


def hotspots(dataset: Dataset, dkey: str, state: ViewState) -> HotspotResult:
    """Country values, density cells and the ranked table for ``state.role``, cached."""
    return _hotspots(dkey, state_key(state), dataset, state)


# --------------------------------------------------------------------------- map payloads


@dataclass(frozen=True, slots=True)
class MapPayload:
    """What streamlit-folium sends to its component for one map (all plain strings).

    ``script``, ``header`` and ``html`` are the base map: Leaflet, the basemap and the
    legend's style. ``layers`` is the view drawn over it (a layer group's script). The
    component keeps a base map while its script stays the same and swaps the layers in
    place, so a filter change neither reloads the map nor loses where the user zoomed."""

    script: str
    header: str
    html: str
    map_id: str
    css_links: tuple[str, ...]
    js_links: tuple[str, ...]
    bounds: dict[str, dict[str, float | None]]
    zoom: int | None
    layers: str


def payload_of(base: folium.Map, layers: folium.FeatureGroup) -> MapPayload | None:
    """Render ``base`` and the ``layers`` drawn over it once into the strings st_folium
    would send; None if this version of streamlit-folium lacks the helpers (then
    :func:`draw_map` cannot use a payload)."""
    try:
        from streamlit_folium import (
            _get_feature_group_string,
            _get_header,
            _get_html,
            generate_leaflet_string,
            get_full_id,
        )
    except ImportError:
        return None
    base.render()
    html, header = _get_html(base), _get_header(base)
    map_id = get_full_id(base)
    script = generate_leaflet_string(base).replace("alert(coords);", "")
    if "drawnItems" not in script:
        script += "\nvar drawnItems = [];"
    css = tuple(dict.fromkeys(href for _, href in base.default_css))
    js = tuple(dict.fromkeys(src for _, src in base.default_js))
    try:
        (s, w), (n, e) = base.get_bounds()
    except (AttributeError, TypeError, ValueError):
        s = w = n = e = None
    bounds = {"_southWest": {"lat": s, "lng": w}, "_northEast": {"lat": n, "lng": e}}
    # after the base map's script: this adds the group to the map (as st_folium does)
    drawn = _get_feature_group_string(layers, map=base)
    return MapPayload(script, header, html, map_id, css, js, bounds, base.options.get("zoom"),
                      drawn)


class PlacePopups(MacroElement):
    """A popup on each place of ``layer`` that has a ``key`` property: its name, what a
    click does, and the key (read back by :func:`clicked_place`). Text only."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        {{ this.layer.get_name() }}.eachLayer(function (l) {
            var p = l.feature && l.feature.properties;
            if (!p || !p.key) { return; }
            var box = document.createElement("div");
            box.className = "rm-tip";
            var rows = [Array.isArray(p.tip) ? String(p.tip[0]) : "",
                        "Showing the routes through this place…", {{ this.label }} + p.key];
            for (var i = 0; i < rows.length; i++) {
                var el = document.createElement(i === 0 ? "strong" : "div");
                el.textContent = rows[i];
                if (i === 2) { el.style.cssText = "color:#666;font-size:11px"; }
                box.appendChild(el);
            }
            l.bindPopup(box);
        });
        {% endmacro %}"""
    )

    def __init__(self, layer: folium.GeoJson):
        super().__init__()
        self._name = "PlacePopups"
        self.layer = layer
        self.label = json.dumps(KEY_LABEL)


def add_place_popups(layers: folium.FeatureGroup, result: FlowResult, max_nodes: int | None,
                     focusable: Collection[str]) -> int:
    """Give the drawn places that can be focused a popup naming their key; returns how many.

    The places layer's features follow :meth:`FlowResult.drawn_places` row by row (flow_map builds
    them so); if that ever stops holding, no popup is added rather than a wrong one.
    """
    layer = next((c for c in layers._children.values()
                  if isinstance(c, folium.GeoJson) and getattr(c, "layer_name", "") == "Places"),
                 None)
    if layer is None or not isinstance(layer.data, dict):
        return 0
    feats = layer.data.get("features", [])
    keys = result.drawn_places(max_nodes)["key"].astype(str).tolist()
    if len(keys) != len(feats):
        return 0
    n = 0
    for feat, key in zip(feats, keys, strict=True):
        if key in focusable:
            feat["properties"]["key"] = key
            n += 1
    if n:
        PlacePopups(layer).add_to(layers)
    return n


def clicked_place(popup_text: object, known: Collection[str]) -> str | None:
    """The place key at the end of a clicked popup's text, if it is one of ``known``."""
    if not isinstance(popup_text, str):
        return None
    found = _KEY_AT_END.search(popup_text.strip())
    key = found.group(1).strip() if found else None
    return key if key in known else None


def flow_map_options(state: ViewState, *, assets: str = "served", title: str = "",
                     present: bool = False) -> FlowMapOptions:
    """The flow map's drawing options for ``state`` (colour, basemap, assets)."""
    return FlowMapOptions(
        colour_by="role" if state.colour_by == COLOUR_ROLE else "attribute",
        basemap=state.basemap, assets=assets, prefix=PREFIX, title=title, present=present,
        countries=countries(),
    )


def view_name(dkey: str, state: ViewState, *parts: object) -> str:
    """When this name changes the map opens fitted to the new view; otherwise a filter
    change keeps where the user panned and zoomed (:class:`~dashboard.maps.flow_map.FitView`).
    A new dataset or a new focus place is a new view; ``parts`` add the page's own."""
    return json.dumps([dkey, state.focus or "", *map(str, parts)])


Drawn = tuple[folium.Map, folium.FeatureGroup]  # a base map and the layers over it


def build_flow_map(dataset: Dataset, dkey: str, state: ViewState) -> Drawn:
    """The Routes page's map (served assets), with click-to-focus popups on places."""
    result = flows(dataset, dkey, state)
    opts = flow_map_options(state)
    layers = flow_layers(result, opts, view=view_name(dkey, state))
    add_place_popups(layers, result, opts.max_nodes, data_cache.facets(dataset, dkey).places)
    return opts.base_map(), layers


def build_hotspot_map(dataset: Dataset, dkey: str, state: ViewState) -> Drawn:
    """The Hotspots page's map (served assets)."""
    opts = HotspotOptions(basemap=state.basemap, assets="served", prefix=PREFIX,
                          countries=countries())
    layers = hotspot_layers(hotspots(dataset, dkey, state), opts,
                            view=view_name(dkey, state, state.role))
    return opts.base_map(), layers


@st.cache_data(max_entries=24, show_spinner=False)
def _flow_payload(dkey: str, skey: str, _dataset: Dataset, _state: ViewState
                  ) -> MapPayload | None:
    return payload_of(*build_flow_map(_dataset, dkey, _state))


@st.cache_data(max_entries=16, show_spinner=False)
def _hotspot_payload(dkey: str, skey: str, _dataset: Dataset, _state: ViewState
                     ) -> MapPayload | None:
    return payload_of(*build_hotspot_map(_dataset, dkey, _state))


def flow_payload(dataset: Dataset, dkey: str, state: ViewState) -> MapPayload | None:
    """The Routes map of ``state`` as component strings, cached."""
    return _flow_payload(dkey, state_key(state), dataset, state)


def hotspot_payload(dataset: Dataset, dkey: str, state: ViewState) -> MapPayload | None:
    """The Hotspots map of ``state`` as component strings, cached."""
    return _hotspot_payload(dkey, state_key(state), dataset, state)


# --------------------------------------------------------------------------- drawing


def draw_map(payload: MapPayload | None, build: Callable[[], Drawn], *, key: str,
             height: int = MAP_HEIGHT, on_change: Callable[[], None] | None = None
             ) -> dict | None:
    """Draw a cached map with streamlit-folium's component, returning only RETURNED.

    Without a payload (or the private component), fall back to ``st_folium`` on a
    freshly built base map with the layers as its ``feature_group_to_add``.
    ``on_change`` runs (as a widget callback) when the returned value changes; read the
    value there with :func:`component_value`.
    """
    component = _component()
    if payload is None or component is None:
        from streamlit_folium import st_folium

        base, layers = build()
        return st_folium(base, feature_group_to_add=layers, key=key, height=height,
                         use_container_width=True, returned_objects=RETURNED,
                         on_change=on_change)
    from streamlit_folium import generate_js_hash

    hash_key = generate_js_hash(payload.script, key, False)
    st.session_state[_HASH_OF + key] = hash_key
    defaults = dict.fromkeys(RETURNED)
    return component(
        script=payload.script, header=payload.header, html=payload.html, id=payload.map_id,
        key=hash_key, height=height, width=None, returned_objects=RETURNED,
        default=defaults, zoom=None, center=None, feature_group=payload.layers,
        return_on_hover=False, layer_control=None, pixelated=False,
        css_links=list(payload.css_links),
        js_links=list(payload.js_links), on_change=on_change, wrap_longitude=False,
    )


_HASH_OF = "_map_component_of_"


def component_value(key: str) -> dict | None:
    """The value the map drawn with ``key`` returned last (inside an on_change callback)."""
    hash_key = st.session_state.get(_HASH_OF + key, key)
    value = st.session_state.get(hash_key)
    return value if isinstance(value, dict) else None


def _component() -> Callable[..., Any] | None:
    try:
        from streamlit_folium import _component_func
    except ImportError:
        return None
    return _component_func
