"""The Routes and Hotspots pages through AppTest, and the pieces behind them: the map
payload sent to streamlit-folium, click-to-focus, export files and names, served assets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.maps.flows import compute_flows
from dashboard.maps.offline import export_static_assets
from dashboard.state import ViewState
from dashboard.views import exports_ui, map_cache
from loaders.load import load_dataset

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "dashboard" / "app.py")


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ROUTEMAP_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def demo():
    return load_dataset("demo")


def app(page: str | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(params)
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def map_args(at: AppTest) -> dict:
    """The arguments the page sent to the streamlit-folium component (one map a page)."""
    found = at.get("component_instance")
    assert len(found) == 1
    return json.loads(found[0].proto.json_args)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_routes_page_draws_the_flow_map_with_served_leaflet_and_no_cdn() -> None:
    at = app()
    assert not at.exception
    args = map_args(at)
    assert args["js_links"] == ["/app/static/leaflet/leaflet.js"]
    assert args["css_links"] == ["/app/static/leaflet/leaflet.css"]
    assert args["returned_objects"] == ["last_object_clicked_popup"]  # panning: no rerun
    assert "L.map(" in args["script"]
    assert "cdn" not in args["script"].lower()
    # the view is drawn as layers over the base map, which holds no data
    assert "SYNTHETIC" in args["feature_group"]
    assert "not prevalence" in args["feature_group"]
    assert "Pakistan" in args["feature_group"]
    assert "Pakistan" not in args["script"] + args["html"]
    assert metrics(at)["Corridors"] == "70"  # 7 withheld with the small ones
    table = at.dataframe[0].value
    assert list(table.columns) == ["From", "To", "Cases", "Records", "Years", "On map"]
    assert (table["Cases"] >= 5).all()  # suppression applied (K=5 by default)
    captions = [c.value.replace("\\", "") for c in at.caption]  # markdown-escaped
    assert any("withheld (counts below 5)" in c for c in captions)


def test_a_filter_change_swaps_the_layers_over_the_same_base_map() -> None:
    at = app()
    first = map_args(at)
    at.sidebar.slider(key="vs_years").set_value((2010, 2015)).run()
    assert not at.exception
    second = map_args(at)
    assert second["feature_group"] != first["feature_group"]
    # the same base map: the component keeps it (and the user's zoom) and swaps layers
    assert (second["script"], second["html"]) == (first["script"], first["html"])
    at.sidebar.slider(key="vs_years").set_value((2000, 2024)).run()
    assert map_args(at)["feature_group"] == first["feature_group"]  # from the cache


def test_without_the_private_component_st_folium_draws_the_same_layers(monkeypatch) -> None:
    # another streamlit-folium version: draw_map falls back to st_folium itself
    monkeypatch.setattr(map_cache, "_component", lambda: None)
    args = map_args(app())
    assert "L.map(" in args["script"]
    assert "Pakistan" in args["feature_group"]  # the view, as layers over the base map
    assert "not prevalence" in args["feature_group"]
    assert args["js_links"] == ["/app/static/leaflet/leaflet.js"]  # still no CDN
    assert args["returned_objects"] == ["last_object_clicked_popup"]


def test_focus_from_the_link_shows_only_that_place_and_can_be_cleared() -> None:
    at = app(focus="country:PAK")
    assert not at.exception
    assert any("Showing the routes through" in m.value for m in at.markdown)
    table = at.dataframe[0].value  # whole routes through Pakistan, so other legs too
    assert ((table["From"] == "Pakistan") | (table["To"] == "Pakistan")).any()
    assert int(metrics(at)["Corridors"]) < 70
    next(b for b in at.button if b.label == "Show all places").click().run()
    assert "focus" not in at.query_params
    assert not any("Showing the routes through" in m.value for m in at.markdown)


def test_low_k_on_screen_still_exports_with_k_5_and_says_so() -> None:
    at = app(k="2")
    assert not at.exception
    note = next(i.value for i in at.info if "Exports withhold" in i.value)
    assert "never go below 5" in note
    names = [b.proto.help for b in at.get("download_button")]
    assert "demo_flows-by-country_all-years_k5.html" in names
    assert all(n.endswith(("_k5.html", "_k5.png", "_k5.csv", "_k5.geojson")) for n in names)


def test_hotspots_page_has_map_and_ranked_table_for_the_role() -> None:
    at = app("views/hotspots.py", role="origin")
    assert not at.exception
    args = map_args(at)
    assert args["js_links"] == ["/app/static/leaflet/leaflet.js"]
    assert "Cases as origin" in args["feature_group"]
    countries, places = at.dataframe[0].value, at.dataframe[1].value
    assert list(countries.columns) == ["#", "Country", "Cases"]
    assert list(places.columns) == ["#", "Place", "Kind", "Cases", "Records (any role)",
                                    "Years (any role)"]
    assert places["#"].tolist()[:3] == [1, 2, 3]
    names = [b.proto.help for b in at.get("download_button")]
    assert "demo_hotspots-origin_all-years_k5.csv" in names


def test_hotspot_country_ranking_counts_cities_in_their_country() -> None:
    at = app("views/hotspots.py", role="destination")
    assert not at.exception
    countries, places = at.dataframe[0].value, at.dataframe[1].value
    first = countries.iloc[0]
    assert first["Country"] == "Malaysia"
    # Malaysia as written plus Kuala Lumpur: the country row holds both, as the map does
    malaysia = int(places.loc[places["Place"] == "Malaysia", "Cases"].iloc[0].replace(",", ""))
    kl = int(places.loc[places["Place"] == "Kuala Lumpur", "Cases"].iloc[0].replace(",", ""))
    assert int(first["Cases"].replace(",", "")) == malaysia + kl


def test_clicked_place_reads_only_known_keys_from_the_end_of_the_popup() -> None:
    known = {"country:PAK", "city:1174872"}
    text = "Karachi (city, PAK)\nShowing the routes through this place…\nPlace key: city:1174872"
    assert map_cache.clicked_place(text, known) == "city:1174872"
    # a detached popup's text has no line breaks; the key is still the end
    assert map_cache.clicked_place(text.replace("\n", ""), known) == "city:1174872"
    assert map_cache.clicked_place("Place key: country:XXX", known) is None
    assert map_cache.clicked_place("Place key: country:PAK<img>", known) is None
    assert map_cache.clicked_place(None, known) is None
    assert map_cache.clicked_place({"x": 1}, known) is None


def test_only_focusable_places_get_a_popup_with_their_key(demo) -> None:
    state = ViewState()
    result = compute_flows(demo, state.to_flow_query(), countries=map_cache.countries())
    opts = map_cache.flow_map_options(state)
    from dashboard.maps.flow_map import flow_layers

    layers = flow_layers(result, opts)
    n = map_cache.add_place_popups(layers, result, opts.max_nodes, {"country:PAK", "country:IND"})
    assert n == 2
    payload = map_cache.payload_of(opts.base_map(), layers)
    assert payload is not None
    assert payload.layers.count('"key": "country:') == 2
    assert "bindPopup" in payload.layers
    assert "textContent" in payload.layers


def test_export_name_is_slugified_and_names_the_filters() -> None:
    state = ViewState(years=(2010, 2020), k=7, focus="city:1174872",
                      filters={"gender": ("female",)})
    assert exports_ui.export_name(state, "flows", "csv") == (
        "demo_flows_2010-2020_1174872_gender-female_k7.csv")
    assert exports_ui.export_name(ViewState(k=0), "flows", "html") == (
        "demo_flows_all-years_k5.html")
    # the dashboard's files name the focus place, not its key
    assert exports_ui.export_name(state, "flows", "csv", "Karachi") == (
        "demo_flows_2010-2020_karachi_gender-female_k7.csv")
    # a file of corridors of 50+ cases (top 20 drawn) was named as the whole table
    assert exports_ui.export_name(ViewState(min_flow=50, top=20), "flows", "csv") == (
        "demo_flows_all-years_min50_top20_k5.csv")
    evil = ViewState(dataset="../..", filters={"x": ("<b>/..\\ é",)})
    name = exports_ui.export_name(evil, "flows", "csv")
    assert set(name) <= set("abcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert ".." not in name


def test_export_files_name_the_focus_place_and_rank_in_whole_numbers(demo) -> None:
    """A Lahore focus saved 'demo_flows-by-country_..._1172451_k5.csv', and the ranked
    places CSV wrote 572.0 and 2000.0."""
    lahore = demo.places.loc[demo.places["name"] == "Lahore", "key"].iloc[0]
    files = exports_ui.flow_files(demo, ViewState(focus=lahore))
    assert all("_lahore_" in f.file_name for f in files)
    ranked = next(f for f in exports_ui.hotspot_files(demo, ViewState())
                  if f.label == "Ranked places (CSV)")
    body = ranked.build().decode("utf-8")
    assert ".0," not in body
    assert ".0\n" not in body


def test_no_two_exports_share_a_file_name(demo) -> None:
    """Routes at country level and Hotspots both offered 'demo_places_all-years_k5.csv',
    with other totals in each: the second download became 'demo_places_... (1).csv'."""
    files = []
    for level in ("place", "country", "region"):
        files += exports_ui.flow_files(demo, ViewState(level=level))
    for role in ("origin", "destination"):
        files += exports_ui.hotspot_files(demo, ViewState(role=role))
    by_name: dict[str, set[bytes]] = {}
    for f in files:  # a name shared by two files is fine only for the same bytes
        if sum(g.file_name == f.file_name for g in files) > 1:
            by_name.setdefault(f.file_name, set()).add(f.build())
    assert all(len(contents) == 1 for contents in by_name.values()), sorted(by_name)
    assert "demo_totals-by-country_all-years_k5.csv" in {f.file_name for f in files}


def test_exports_are_suppressed_at_least_at_5_and_work_offline(demo) -> None:
    state = ViewState(k=0)
    files = {f.file_name.rsplit(".", 1)[-1] + ":" + f.label: f for f in
             exports_ui.flow_files(demo, state)}
    csv = next(f for k, f in files.items() if k.startswith("csv:Corridors")).build().decode()
    header, *rows = csv.strip().splitlines()
    counts = [int(r.split(",")[header.split(",").index("count")]) for r in rows]
    assert counts
    assert min(counts) >= 5
    gj = json.loads(next(f for k, f in files.items() if k.startswith("geojson:Corridors"))
                    .build())
    assert all(f["properties"]["count"] >= 5 for f in gj["features"])
    html = next(f for k, f in files.items() if k.startswith("html:")).build().decode()
    assert "<script src=" not in html
    assert "<link rel=\"stylesheet\" href=" not in html
    assert "counts below 5" in html
    png = next(f for k, f in files.items() if k.startswith("png:")).build()
    assert png.startswith(b"\x89PNG")


def test_served_assets_in_dashboard_static_are_what_the_maps_export(tmp_path: Path) -> None:
    written = export_static_assets(tmp_path)
    for path in written:
        committed = ROOT / "dashboard" / "static" / path.relative_to(tmp_path)
        assert committed.read_bytes() == path.read_bytes(), committed


NARROW = {"ds": "demo", "years": "2016", "f.exploitation": "sexual", "f.gender": "female",
          "focus": "city:1185241", "level": "place"}  # women exploited sexually, via Dhaka


@pytest.mark.parametrize("page", [None, "views/hotspots.py", "views/insights.py",
                                  "views/present.py"])
def test_the_figures_of_a_narrow_selection_are_withheld_below_k(page) -> None:
    """4 records and 4 cases are counts below K like any corridor's: the figures row
    says "fewer than K" on every page, Present included (where K is at least 5)."""
    at = app(page, **NARROW, k="10")
    assert not at.exception
    shown = metrics(at)
    assert shown["Records"] == shown["Cases"] == "fewer than 10"
    assert shown["Years"] == "withheld"  # "Year 2016" dated the few cases
    everything = app(page, **{**NARROW, "k": "0"})
    if page == "views/present.py":  # presenting keeps K at 5 or more
        assert metrics(everything)["Cases"] == "fewer than 5"
        assert metrics(everything)["Years"] == "withheld"
    else:
        assert metrics(everything)["Records"] == metrics(everything)["Cases"] == "4"
        assert metrics(everything)["Year"] == "2016"


def test_the_seed_table_leaves_unnumbered_corridors_empty_not_zero() -> None:
    """South Asia -> Pakistan, reported without a number, read 'Cases 0' in the table
    while its tooltip said 'Reported without a number'; and 'Nothing withheld: no count
    below 5' sat beside records reading 'fewer than 5'."""
    at = app(None, ds="seed")
    assert not at.exception
    table = at.dataframe[0].value
    assert not (table["Cases"] == 0).any()
    assert table["Cases"].isna().any()
    captions = " ".join(c.value for c in at.caption)
    assert "Nothing withheld" not in captions


def test_a_view_whose_every_corridor_is_withheld_says_so() -> None:
    at = app(None, ds="demo", focus="country:GRC")
    assert not at.exception
    said = " ".join(i.value for i in at.info)
    assert "all are withheld" in said
    assert "lower the minimum" not in said


def test_a_slides_exports_are_headed_with_the_slide_name(demo) -> None:
    """Present's 'Export this view' headed the slide PNG 'Demo (synthetic): routes', not
    the slide on screen ('Southern Asia 2017')."""
    files = exports_ui.flow_files(demo, ViewState(k=5), title="Through Pakistan")
    html = next(f for f in files if f.file_name.endswith(".html")).build().decode("utf-8")
    assert "<title>Through Pakistan</title>" in html
    default = exports_ui.flow_files(demo, ViewState(k=5))
    html = next(f for f in default if f.file_name.endswith(".html")).build().decode("utf-8")
    assert "<title>Demo (synthetic): routes</title>" in html
