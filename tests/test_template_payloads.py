"""Dataset text that looks like a Jinja template stays text on every map.

folium renders each element's macro and branca then compiled that output as a template
again, so ``{{ ... }}`` in a place name, an attribute value or a file name ran as Python
where the map was drawn, and ``{% raw %}`` stopped the map (see dashboard/maps/render_once).
"""

from __future__ import annotations

import pytest
from _maps_data import PLACES, make_countries, make_dataset, make_places

from dashboard.maps.flow_map import FlowMapOptions, flow_layers
from dashboard.maps.flows import FlowQuery, compute_flows
from dashboard.maps.hotspot_map import HotspotOptions, compute_hotspots, hotspot_map
from dashboard.views.map_cache import payload_of

RUNS = "{{ dict(pw=1)|first }}ned"  # evaluated, it would read "pwned"
BREAKS = "{% raw %}"  # compiled, an unclosed raw block is a TemplateSyntaxError
PAYLOAD = f"{RUNS} {BREAKS} {{# a comment #}}"
ROUTES = [([0, 4, 3], 10, 2015), ([1, 3], 7, 2016), ([2, 0], 6, 2018), ([6, 7], 8, 2020)]


def payload_dataset():
    places = make_places([(k, f"{n} {PAYLOAD}", kind, iso, lat, lon)
                          for k, n, kind, iso, lat, lon in PLACES])
    return make_dataset(ROUTES, places, attrs={"sector": [PAYLOAD, "farm", PAYLOAD, "farm"]},
                        name=f"cases {PAYLOAD}.csv")


def flows_drawn():
    """The flow map's base and layers, as the dashboard draws them."""
    countries = make_countries()
    result = compute_flows(payload_dataset(), FlowQuery(suppress=0, colour_by="sector"),
                           countries=countries)
    opts = FlowMapOptions(colour_by="attribute", countries=countries, title=f"Title {PAYLOAD}")
    return opts.base_map(), flow_layers(result, opts)


def flows_map():
    base, layers = flows_drawn()
    return base.add_child(layers)


def hotspots_map():
    countries = make_countries()
    hot = compute_hotspots(payload_dataset(), FlowQuery(suppress=0), role="destination",
                           countries=countries)
    return hotspot_map(hot, HotspotOptions(countries=countries, title=f"Title {PAYLOAD}"))


@pytest.mark.parametrize("build", [flows_map, hotspots_map])
def test_exported_page_keeps_template_text_as_text(build):
    html = build().get_root().render()
    assert "pwned" not in html
    assert RUNS in html  # the title, the caveat's file name, the legend: written as given
    assert "{# a comment #}" in html
    assert html.count(BREAKS) >= 3


def test_dashboard_payload_keeps_template_text_as_text():
    payload = payload_of(*flows_drawn())
    assert payload is not None
    sent = payload.script + payload.header + payload.html + payload.layers
    assert "pwned" not in sent
    assert payload.layers.count(RUNS) >= 3  # legend, caveat and title boxes, tooltips
    assert "farm" in payload.layers
