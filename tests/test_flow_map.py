"""The flow map, tested on its rendered HTML (as geopandas tests/test_explore.py does)."""

from __future__ import annotations

import json
import re

import pytest
from _maps_data import PLACES, make_countries, make_dataset, make_places

from dashboard.maps.flow_map import FlowMapOptions, flow_map
from dashboard.maps.flows import FlowQuery, compute_flows
from dashboard.maps.offline import _inline_assets, export_static_assets

ROUTES = [([0, 4, 3], 10, 2015), ([0, 4, 3], None, 2016), ([2, 0], 6, 2018), ([6, 7], 8, 2020)]
CDN_WORDS = ("cdn", "unpkg", "jsdelivr", "cdnjs", "googleapis", "bootstrap", "jquery",
             "font-awesome", "fontawesome")
EVIL = "<img src=x onerror=window.__pwned=1>${window.__pwned=1}`\\</script><b>"


def render(routes=ROUTES, places=None, *, synthetic=False, name="test data", query=None,
           **opts) -> str:
    ds = make_dataset(routes, places, synthetic=synthetic, name=name)
    r = compute_flows(ds, query or FlowQuery(), countries=make_countries())
    m = flow_map(r, FlowMapOptions(countries=make_countries(), **opts))
    return m.get_root().render()


def without_inlined_assets(html: str) -> str:
    css, js = _inline_assets()
    return html.replace(css, "").replace(js, "")


def legend_boxes(html: str) -> dict[str, str]:
    """The legend layer's boxes as the page carries them: class -> the box's HTML."""
    found = re.search(r"this\._boxes = (\[.*?\])\.map\(", html, re.S)
    assert found, "no legend on the map"
    return {cls: body for cls, _, _, body in json.loads(found.group(1))}


def test_no_cdn_and_no_remote_url_in_the_page():
    html = render()
    assert "L.map(" in html
    page = without_inlined_assets(html).lower()
    for word in CDN_WORDS:
        assert word not in page, word
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", page)
    assert not re.search(r"https?://", page)


def test_leaflet_is_inlined_with_images_as_data_uris():
    css, js = _inline_assets()
    html = render()
    assert js in html
    assert css in html
    assert "images/layers.png" not in css
    assert "data:image/png;base64," in css
    assert "sourceMappingURL" not in js


def test_served_mode_links_under_the_prefix(tmp_path):
    html = render(assets="served", prefix="/app/static")
    assert '<script src="/app/static/leaflet/leaflet.js"></script>' in html
    assert 'href="/app/static/leaflet/leaflet.css"' in html
    assert _inline_assets()[1] not in html
    assert len(re.findall(r"<script src=", html)) == 1  # Leaflet only: no jQuery, Bootstrap
    assert len(re.findall(r"<link rel=", html)) == 1
    files = export_static_assets(tmp_path)
    names = {p.relative_to(tmp_path).as_posix() for p in files}
    assert {"leaflet/leaflet.js", "leaflet/leaflet.css", "leaflet/images/layers.png"} <= names


def test_tiles_are_opt_in():
    assert "{z}/{x}/{y}" not in render()
    html = render(basemap="dark")
    assert "dark_all/{z}/{x}/{y}" in html
    assert '"pane": "basemap"' in html  # vector countries stay below as the fallback


def _geojson_calls(html: str) -> list[dict]:
    return [json.loads(s) for s in re.findall(r"_add\((\{.*?\})\);\n", html)]


def test_one_geojson_layer_for_all_arcs_styled_by_property():
    html = render()
    assert "L.polyline" not in html
    layers = _geojson_calls(html)
    arcs = [g for g in layers if g["features"] and
            g["features"][0]["geometry"]["type"] == "MultiLineString"]
    assert len(arcs) == 1
    feats = arcs[0]["features"]
    assert len(feats) == 4  # Karachi->UAE, UAE->KL, Bangladesh->Karachi, Manila->Lima
    widths = sorted(f["properties"]["style"]["weight"] for f in feats)
    assert widths[-1] == 14.0
    assert widths[0] < widths[-1]
    colours = {f["properties"]["tip"][0]: f["properties"]["style"]["color"] for f in feats}
    assert colours["Karachi → United Arab Emirates"] == "#E69F00"  # origin -> transit
    assert colours["United Arab Emirates → Kuala Lumpur"] == "#56B4E9"
    tips = {f["properties"]["tip"][0]: f["properties"]["tip"] for f in feats}
    karachi = tips["Karachi → United Arab Emirates"]
    assert "fewer than 5 reported without a number (not counted)" in karachi
    assert "Years 2015–2016" in tips["Karachi → United Arab Emirates"]
    pacific = next(f for f in feats if f["properties"]["tip"][0] == "Manila → Lima")
    lines = pacific["geometry"]["coordinates"]
    assert len(lines) == 3  # two halves either side of the antimeridian + the chevron
    assert all(-180 <= x <= 180 for line in lines for x, _ in line)


def test_uncounted_only_flow_is_dashed_and_thin():
    html = render([([0, 3], None, 2019), ([6, 7], 20, 2019)])
    feats = next(g for g in _geojson_calls(html) if g["features"] and
                 g["features"][0]["geometry"]["type"] == "MultiLineString")["features"]
    dashed = [f for f in feats if f["properties"]["style"].get("dashArray")]
    assert len(dashed) == 1
    assert dashed[0]["properties"]["tip"][1] == "Reported without a number"
    assert dashed[0]["properties"]["style"]["weight"] == 1.5
    assert "Reported without a number" in html  # legend entry


def test_nodes_sized_and_coloured_with_tooltips():
    html = render()
    nodes = next(g for g in _geojson_calls(html) if g["features"] and
                 g["features"][0]["geometry"]["type"] == "Point")["features"]
    by_name = {f["properties"]["tip"][0].split(" (")[0]: f for f in nodes}
    assert by_name["Karachi"]["properties"]["style"]["fillColor"] == "#D55E00"
    assert by_name["Karachi"]["properties"]["style"]["fill"] is True  # folium's default is off
    assert by_name["United Arab Emirates"]["properties"]["style"]["fillColor"] == "#F0E442"
    assert "Out (origin): 10" in by_name["Karachi"]["properties"]["tip"]
    assert "Records: fewer than 5 (withheld)" in by_name["Karachi"]["properties"]["tip"]
    assert by_name["Karachi"]["properties"]["style"]["radius"] > 3


def test_legend_caveat_and_synthetic_banner():
    html = render(synthetic=True, title="Pakistan routes", present=True)
    assert "Identified cases are not prevalence." in html
    assert "Source: unit test (test data)" in html
    assert "fewer than 5 records shown" in html  # 4 records: a count below K
    assert "2015–2020" not in html  # and their years with them
    many = render([(r, c, y) for r, c, y in ROUTES for _ in range(2)], synthetic=True)
    assert "8 records shown, 2015–2020" in many
    assert "SYNTHETIC DATA" in html
    assert "Line width ∝ √cases" in html
    assert 'classList.add("rm-present")' in html
    assert "origin → transit" in html
    assert "SYNTHETIC DATA" not in render(synthetic=False)


def test_suppression_note_on_the_map():
    html = render([([0, 3], 2, 2019), ([6, 7], 20, 2019)], query=FlowQuery(rollup_small=False))
    assert "1 corridor and fewer than 5 cases withheld (counts below 5)" in html


def test_hostile_text_is_escaped_everywhere():
    places = make_places([(k, EVIL if i in (0, 3) else n, kind, iso, lat, lon)
                          for i, (k, n, kind, iso, lat, lon) in enumerate(PLACES)])
    html = render(places=places, name=EVIL, title=EVIL)
    body = without_inlined_assets(html)
    assert "<img src=x" not in body
    assert "</script><b>" not in body
    assert body.count("</script>") == body.count("<script")  # nothing closes a script early
    boxes = legend_boxes(body)  # set with innerHTML: escaped, so shown as text
    for box in ("rm-box rm-title", "rm-box rm-caveat"):
        assert "&lt;img src=x onerror=window.__pwned=1&gt;" in boxes[box]
        assert "<img" not in boxes[box]
    assert "\\u003cimg src=x" in body  # inside the GeoJSON data, as a JSON string


def test_empty_result_still_renders():
    html = render(query=FlowQuery(years=(1900, 1901)))
    assert "0 records shown" in html


@pytest.mark.parametrize("basemap", ["vector", "none"])
def test_basemaps_without_network(basemap):
    html = render(basemap=basemap)
    assert ('"iso3": "PAK"' in html) == (basemap == "vector")


def _fit_bounds(html: str) -> list[list[float]]:
    found = re.findall(r"\.fitBounds\(\s*(\[\[[-\d., \[\]]*\]\])", html)
    assert found, "the map must open on the data, not the world"
    return json.loads(found[-1])


def test_opens_fitted_to_the_places_drawn_with_room_for_the_boxes():
    html = render(query=FlowQuery(suppress=0))
    (s, w), (n, e) = _fit_bounds(html)
    assert (w, e) == (pytest.approx(-77.04), pytest.approx(120.98))  # Lima .. Manila
    assert (s, n) == (pytest.approx(-12.05), pytest.approx(24.86))  # Lima .. Karachi
    padding = json.loads(re.search(r'"paddingBottomRight":(\[\d+,\d+\])', html).group(1))
    assert padding[1] == 120  # at least: the page measures the legend and caveat boxes
    assert padding[0] > 30  # and the easternmost place, Manila, has its name to its right
    one = render([([3], 10, 2015)], query=FlowQuery(suppress=0))
    (s, w), (n, e) = _fit_bounds(one)
    assert e - w >= 4  # one place alone opens on its region, not a street


def test_largest_places_get_permanent_text_labels():
    places = make_places([(k, f"{EVIL} {n}", kind, iso, lat, lon)
                          for k, n, kind, iso, lat, lon in PLACES])
    html = render(places=places, query=FlowQuery(suppress=0), labels=3)
    found = re.search(r"var labels = (\[.*?\]);", html)
    assert found
    assert "<img" not in found.group(1)  # script-safe JSON, set with textContent
    labels = json.loads(found.group(1))
    assert len(labels) == 3
    assert labels[0][2].endswith("Karachi")  # the largest place first
    assert "el.textContent" in html
    assert "permanent: true" in html
    assert "var labels" not in render(labels=0)


def test_served_maps_fetch_the_static_basemap_and_inline_maps_carry_it():
    from dashboard.maps.offline import (
        BASEMAP_FILE,
        countries_geojson,
        default_countries,
        static_basemap_path,
    )

    world = default_countries()
    if world is None or not static_basemap_path().is_file():
        pytest.skip("the gazetteer's countries are not available")
    ds = make_dataset(ROUTES)
    r = compute_flows(ds, FlowQuery(), countries=make_countries())
    served = flow_map(r, FlowMapOptions(assets="served", countries=world)).get_root().render()
    assert f'fetch("/app/static/leaflet/{BASEMAP_FILE}")' in served
    assert '"iso3":' not in served  # no country shape inlined
    inline = flow_map(r, FlowMapOptions(countries=world)).get_root().render()
    assert "fetch(" not in without_inlined_assets(inline)
    assert '"iso3":' in inline  # a standalone file carries its basemap
    # memoised per frame: a second call is the same shapes, in dicts of its own
    a, b = countries_geojson(world), countries_geojson(world)
    assert a == b
    assert a["features"][0] is not b["features"][0]
    a["features"][0]["properties"]["style"] = {"fillColor": "#000000"}
    assert "style" not in countries_geojson(world)["features"][0]["properties"]


def test_caveat_names_the_filters_so_a_passed_on_map_says_what_it_leaves_out():
    from loaders.load import load_dataset

    demo = load_dataset("demo", aliases=False)
    query = FlowQuery(focus="country:PAK", attributes={"exploitation": ["sexual"]},
                      min_count=10, level="country")
    html = flow_map(compute_flows(demo, query), FlowMapOptions()).get_root().render()
    assert "Filters: exploitation: sexual; routes through Pakistan; corridors of 10+ cases" in html
    plain = flow_map(compute_flows(demo, FlowQuery()), FlowMapOptions()).get_root().render()
    assert "Filters:" not in plain


def test_colour_by_attribute_names_the_attribute_in_the_legend():
    ds = make_dataset(ROUTES, attrs={"sector": ["farm", "farm", "<b>sea</b>", "farm"]})
    r = compute_flows(ds, FlowQuery(suppress=0, colour_by="sector"), countries=make_countries())
    html = flow_map(r, FlowMapOptions(colour_by="attribute", countries=make_countries())
                    ).get_root().render()
    legend = legend_boxes(html)["rm-box rm-legend"]
    assert "<h4>Routes by sector</h4>" in legend
    assert "&lt;b&gt;sea&lt;/b&gt;" in legend  # a value, escaped
    assert "<h4>Routes</h4>" in legend_boxes(render())["rm-box rm-legend"]  # by leg role
    # a corridor of 158 women and 139 men read "gender: female", as if all were
    assert "Colour: the sector of most cases on the corridor" in legend
    assert "sector of most cases: farm" in html


def test_the_caveat_says_how_many_records_shown_have_no_year():
    """"5 records shown, 2002" read as five records of 2002: four had no year."""
    from dashboard.maps.flow_map import caveat_for

    ds = make_dataset([([0, 3], 10, 2002)] + [([1, 3], 10, None)] * 6)
    lines = caveat_for(compute_flows(ds, FlowQuery(), countries=make_countries())).lines()
    assert "7 records shown, 2002 (6 records with no year)" in lines


def test_no_width_in_the_legend_is_below_the_least_count_drawn():
    """With counts below K withheld, a legend line for "1 case" says such corridors are
    drawn; samples start at the least count on the map."""
    from dashboard.maps.flow_map import width_legend

    assert [label for label, _ in width_legend(743, 1.0, 12.0)] == [
        "743 cases", "200 cases", "20 cases"]
    assert [label for label, _ in width_legend(60, 1.0, 12.0, smallest=12)] == [
        "60 cases", "12 cases"]
    # Karachi 40, Lahore 6, Bangladesh 7 and Manila 2 (withheld) to Kuala Lumpur
    html = render([([0, 3], 40, 2019), ([1, 3], 6, 2019), ([2, 3], 7, 2020),
                   ([6, 3], 2, 2020)])
    widths = re.findall(r"<span>([\d,]+) cases?</span>", legend_boxes(html)["rm-box rm-legend"])
    # not "2 cases", as before; and Lahore's 6 is withheld with Manila's 2, as Kuala
    # Lumpur's "in" less the corridors shown into it would give the 2 back
    assert widths == ["40", "10", "7"]


def test_a_place_of_fewer_than_k_records_keeps_its_years_to_itself():
    """The tooltip of a place whose counts are all withheld named the year, which with
    the filters could point at one person."""
    html = render([([0, 3], 40, 2019), ([2, 3], 2, 2016)])  # from Bangladesh: 2 in 2016
    tips = [json.loads(t) for t in re.findall(r'"tip": (\[[^\]]*\])', html)]
    bangladesh = [t for t in tips if t[0].startswith("Bangladesh")]
    assert bangladesh, "Bangladesh is not drawn"
    assert bangladesh[0][1] == "Out (origin): fewer than 5 (withheld)"
    assert not any("2016" in line for line in bangladesh[0])
    # a place with a count shown keeps its years, though its records are few
    karachi = [t for t in tips if t[0].startswith("Karachi (")]
    assert "Years 2019" in karachi[0]


def test_an_arc_says_fewer_than_k_records_where_they_are_few():
    html = render([([0, 3], 19, 2019), ([0, 3], 1, 2019)] + [([2, 3], 1, 2020)] * 6)
    tips = [json.loads(t) for t in re.findall(r'"tip": (\[[^\]]*\])', html)]
    karachi = next(t for t in tips if t[0] == "Karachi → Kuala Lumpur")
    assert karachi[1:3] == ["20 cases", "fewer than 5 records"]
    bangladesh = next(t for t in tips if t[0] == "Bangladesh → Kuala Lumpur")
    assert "6 records" in bangladesh


def test_a_matrix_over_several_years_says_its_years_are_added():
    """UN DESA's matrix is a stock per year: without a year picked, Mexico -> USA read
    68 million, seven years of the same people added up. The caveat says so."""
    from dashboard.maps.flow_map import caveat_for

    ds = make_dataset(ROUTES)
    ds.report.layout = "matrix"
    several = caveat_for(compute_flows(ds, FlowQuery(), countries=make_countries())).lines()
    assert "The matrix's years 2015–2020 are added together: pick one year for a snapshot" \
        in several
    one = caveat_for(compute_flows(ds, FlowQuery(years=(2016, 2016)),
                                   countries=make_countries())).lines()
    assert not any("added together" in line for line in one)
    ds.report.layout = "routes"  # cases over years add up: nothing to say
    assert not any("added together" in line for line in caveat_for(
        compute_flows(ds, FlowQuery(), countries=make_countries())).lines())


def test_a_place_whose_every_count_is_withheld_is_not_drawn_as_an_origin():
    """Every count of Bangladesh (2 out) is withheld; read as 0 they made its main role
    'origin' by default, and a destination of few cases was drawn as a source too."""
    from dashboard.maps.flow_map import NODE_COLOURS, node_features

    ds = make_dataset([([0, 3], 40, 2019), ([2, 6], 2, 2016)])
    r = compute_flows(ds, FlowQuery(rollup_small=False), countries=make_countries())
    roles = r.places.set_index("key")["role"]
    assert (roles["country:BGD"], roles["city:4"]) == ("withheld", "withheld")  # and Manila
    assert (roles["city:1"], roles["city:3"]) == ("origin", "destination")
    fc, legend = node_features(r, FlowMapOptions(countries=make_countries()))
    fills = {f["properties"]["tip"][0].split(" (")[0]: f["properties"]["style"]["fillColor"]
             for f in fc["features"]}
    assert fills["Bangladesh"] == fills["Manila"] == NODE_COLOURS["withheld"]
    assert ("Role withheld (every count below 5)", NODE_COLOURS["withheld"]) in legend
    # nor does its tooltip or export say it: "Out: fewer than 5, In: 0" named the role
    tips = {f["properties"]["tip"][0].split(" (")[0]: f["properties"]["tip"]
            for f in fc["features"]}
    for place in ("Bangladesh", "Manila"):
        assert [t for t in tips[place] if t.startswith(("Out", "Through", "In"))] == [
            "Out (origin): fewer than 5 (withheld)", "Through (transit): fewer than 5 "
            "(withheld)", "In (destination): fewer than 5 (withheld)"]
    from dashboard.maps.exports import places_table

    row = places_table(r).set_index("key").loc["city:4"]
    assert row[["out", "through", "in"]].isna().all()


def test_a_focus_on_a_country_or_region_the_file_does_not_name_is_named_on_the_map():
    """A file naming only cities, focused on Pakistan or the Gulf, said "routes through
    country:PAK" / "region:GCC" in its caveat: a key, where people read a name."""
    from dashboard.maps.flow_map import filters_line

    ds = make_dataset([([0, 4], 10, 2019), ([1, 3], 8, 2020)])  # Karachi, Lahore: cities
    for focus, name in (("country:PAK", "Pakistan"), ("region:GCC", "Gulf (GCC)")):
        r = compute_flows(ds, FlowQuery(suppress=0, focus=focus), countries=make_countries())
        assert filters_line(r) == f"Filters: routes through {name}"


def test_the_focus_picker_offers_the_countries_and_regions_of_the_places():
    from dashboard.state import place_labels

    labels = place_labels(make_dataset([([0, 4], 10, 2019), ([1, 3], 8, 2020)]))
    assert labels["country:PAK"] == "Pakistan (country)"
    assert labels["region:GCC"] == "Gulf (GCC) (region)"
    assert labels["city:1"] == "Karachi (city)"
    assert "region:WORLD" not in labels


def test_the_caveat_withholds_a_few_records_without_a_number():
    """The caveat box said "fewer than 5 records shown" and "2 records reported without
    a number" in one breath: the second is a count of records below K."""
    from dashboard.maps.flow_map import caveat_for

    ds = make_dataset([([0, 3], 40, 2019), ([0, 3], None, 2019), ([0, 3], None, 2020)])
    lines = caveat_for(compute_flows(ds, FlowQuery(), countries=make_countries())).lines()
    assert "fewer than 5 records reported without a number, not counted as cases" in lines
    assert not any(line.startswith("2 records") for line in lines)


def test_places_off_the_corridors_drawn_are_faint():
    """With top 5, all 68 place circles stayed full: Russia read as a large destination
    of the five corridors drawn, none of which reached it."""
    from dashboard.maps.flow_map import FAINT, node_features

    ds = make_dataset([([0, 3], 40, 2019), ([6, 7], 20, 2019)])
    r = compute_flows(ds, FlowQuery(suppress=0, top=1), countries=make_countries())
    fc, legend = node_features(r, FlowMapOptions(countries=make_countries()))
    style = {f["properties"]["tip"][0].split(" (")[0]: f["properties"] for f in fc["features"]}
    assert style["Karachi"]["style"]["fillOpacity"] == 0.9  # an end of the one drawn
    assert style["Manila"]["style"]["fillOpacity"] == FAINT
    assert "None of its corridors is among those drawn" in style["Manila"]["tip"]
    assert legend[-1][0] == "Faint: none of its corridors drawn"
    # a minimum no corridor reaches drew every circle full, with no arc at all
    r = compute_flows(ds, FlowQuery(suppress=0, min_count=1000), countries=make_countries())
    fc, legend = node_features(r, FlowMapOptions(countries=make_countries()))
    assert {f["properties"]["style"]["fillOpacity"] for f in fc["features"]} == {FAINT}
    assert legend[-1][0] == "Faint: none of its corridors drawn"
