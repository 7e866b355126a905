"""Hotspots: country values by role, classes, hexagon density, ranked table, rendered map."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import shapely
from _maps_data import PLACES, make_countries, make_dataset, make_places

from dashboard.maps.flows import FlowQuery, QueryError
from dashboard.maps.hotspot_map import (
    VIRIDIS,
    HotspotOptions,
    classify,
    compute_hotspots,
    hotspot_caveat,
    hotspot_map,
    withheld_message,
)
from dashboard.maps.offline import _inline_assets

ROUTES = [([0, 4, 3], 10, 2015), ([1, 3], 30, 2016), ([2, 0], 6, 2018), ([6, 7], 8, 2020),
          ([6, 3], 2, 2020)]


def hot(role="destination", routes=ROUTES, places=None, **query):
    ds = make_dataset(routes, places)
    return compute_hotspots(ds, FlowQuery(**query), role=role, countries=make_countries())


def test_country_values_by_role_with_suppression():
    h = hot("destination")
    v = dict(zip(h.countries["iso3"], h.countries["value"], strict=True))
    # the 2 from Manila are withheld as a corridor, but Malaysia's total (42) is not small
    assert v["MYS"] == 42
    h0 = hot("destination", suppress=0)
    v0 = dict(zip(h0.countries["iso3"], h0.countries["value"], strict=True))
    assert v0["MYS"] == 42
    assert v0["PAK"] == 6
    o = hot("origin", suppress=0)
    vo = dict(zip(o.countries["iso3"], o.countries["value"], strict=True))
    assert vo == {"PAK": 40, "BGD": 6, "PHL": 10}


def test_ranked_table_and_withheld_values():
    h = hot("origin")
    t = h.table
    assert list(t["rank"]) == list(range(1, len(t) + 1))
    assert t.iloc[0]["place"] == "Lahore"
    assert t.iloc[0]["value"] == 30
    assert not ((t["value"].fillna(99) > 0) & (t["value"].fillna(99) < 5)).any()


def test_withheld_note_counts_the_totals_this_map_draws_not_corridors():
    """The totals of the map's role, drawn or listed: not corridors, nor other roles."""
    # Lahore -> Atlantis (2 cases): a corridor, and a destination total below 5 at both
    # levels (Atlantis is unresolved, so it is its own country-level node)
    h = hot("destination", routes=[*ROUTES, ([1, 5], 2, 2017)])
    # and Manila -> Kuala Lumpur; with them the smallest shown out of Lahore and into
    # Kuala Lumpur, as those places' totals less what is shown would give them back
    assert (h.flows.withheld.corridors, h.flows.withheld.with_them) == (4, 2)
    # Atlantis has no country shape: its country-level total shades nothing here
    note = "1 place total withheld (counts below 5)."
    assert withheld_message(h) == note
    assert hotspot_caveat(h).suppression == note
    assert not any("corridor" in line for line in hotspot_caveat(h).lines())
    assert withheld_message(hot(suppress=0)) == "No small-count suppression applied."
    assert hotspot_caveat(hot(suppress=0)).suppression == ""
    # a count of 2 is the smallest here: with K=2 nothing is withheld, and it says so
    assert withheld_message(hot(suppress=2)) == (
        "No case count below 2 withheld; records below 2 read 'fewer than 2'.")


def test_classes_shrink_to_distinct_values_without_warnings():
    yb, bins = classify(np.array([5.0, 5.0, 5.0]), 5)
    assert list(yb) == [0, 0, 0]
    assert bins == [5.0]
    yb, bins = classify(np.array([1.0, 2.0, 50.0, 60.0, 1000.0]), 3)
    assert len(bins) == 3
    assert yb[0] == 0
    assert yb[-1] == 2


def test_hexagons_sum_nearby_city_places():
    places = make_places([*PLACES, ("city:9", "Near Karachi", "city", "PAK", 24.9, 67.1)])
    h = hot("origin", routes=[([0, 3], 4, 2019), ([8, 3], 3, 2019)], places=places, suppress=0)
    cells = h.cells
    assert len(cells) == 1
    assert cells["value"].iloc[0] == 7
    assert set(cells["places"].iloc[0]) == {"Karachi", "Near Karachi"}
    h5 = hot("origin", routes=[([0, 3], 4, 2019), ([6, 3], 3, 2019)], places=places, suppress=5)
    assert h5.cells.empty  # 4 and 3 are each below 5 and far apart: nothing to show


def test_every_hexagon_is_one_closed_ring_of_seven_points_wherever_it_falls():
    # on 1M bench rows some cells came out with 8 points (a last corner a bit off the
    # first) and drawing the hotspot map failed
    from dashboard.maps.hotspot_map import _hex_cells

    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(-180, 180, 20_000), rng.uniform(-60, 75, 20_000)
    cells = _hex_cells(lon, lat, np.ones(len(lon), dtype=np.int64),
                       np.array(["x"] * len(lon), dtype=object), 150.0)
    coords = shapely.get_num_coordinates(cells.geometry.to_numpy())
    assert len(cells) > 1000
    assert (coords == 7).all()
    assert shapely.is_closed(shapely.get_exterior_ring(cells.geometry.to_numpy())).all()


def test_bad_role():
    with pytest.raises(QueryError, match="unknown role"):
        hot("victim")


def test_rendered_hotspot_map_is_offline_and_classed():
    h = hot("destination", suppress=0)
    html = hotspot_map(h, HotspotOptions(countries=make_countries(), title="Hotspots")) \
        .get_root().render()
    css, js = _inline_assets()
    page = html.replace(css, "").replace(js, "")
    assert not re.search(r"https?://", page)
    assert "heat" not in page.lower()
    layers = [json.loads(s) for s in re.findall(r"_add\((\{.*?\})\);\n", html)]
    choro = next(g for g in layers if g["features"] and "tip" in g["features"][0]["properties"]
                 and g["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
                 and "cases as destination" in g["features"][0]["properties"]["tip"][1]
                 and "area" not in g["features"][0]["properties"]["tip"][1])
    tips = {f["properties"]["tip"][0]: f for f in choro["features"]}
    assert tips["Malaysia"]["properties"]["tip"][1] == "42 cases as destination"
    palette = {c for pal in VIRIDIS.values() for c in pal}
    assert {f["properties"]["style"]["fillColor"] for f in choro["features"]} <= palette
    assert "Identified cases are not prevalence." in html
    assert "Cases as destination" in html


def test_withheld_country_drawn_grey():
    h = hot("destination", routes=[([0, 3], 20, 2019), ([0, 7], 2, 2019)])
    assert pd.isna(h.countries.set_index("iso3").loc["PER", "value"])
    html = hotspot_map(h, HotspotOptions(countries=make_countries())).get_root().render()
    assert "fewer than 5 (withheld)" in html
    assert "Withheld (small count)" in html


def test_hotspot_map_opens_on_the_countries_with_data_and_names_them():
    h = hot(suppress=0)
    html = hotspot_map(h, HotspotOptions(countries=make_countries())).get_root().render()
    found = re.findall(r"\.fitBounds\(\s*(\[\[[-\d., \[\]]*\]\])", html)
    assert found
    # destinations: Peru (-81..-69), Pakistan, the Emirates, Malaysia (..104 E); not the world
    assert json.loads(found[-1]) == [[-18.0, -81.0], [37.0, 104.0]]
    labels = json.loads(re.search(r"var labels = (\[.*?\]);", html).group(1))
    assert labels[0][2] == "Malaysia"  # the most cases as destination


def test_a_minimum_corridor_count_keeps_the_other_filters_in_the_caveat():
    """The filters line named "corridors of 2+ cases", and the hotspot caveat dropped
    every line naming corridors: a filtered hotspot map then read as all cases."""
    attrs = {"sector": ["farm", "sea", "farm", "sea", "farm"]}
    ds = make_dataset(ROUTES, attrs=attrs)
    h = compute_hotspots(ds, FlowQuery(attributes={"sector": ["farm"]}, min_count=2),
                         countries=make_countries())
    lines = hotspot_caveat(h).lines()
    assert "Filters: sector: farm" in lines
    assert not any("corridor" in line for line in lines)


def test_the_first_class_starts_at_the_least_value_shown():
    """Counts below K are withheld, so a legend class "1-..." would say they are drawn."""
    from dashboard.maps.hotspot_map import hotspot_features

    h = hot("destination", suppress=5)
    shown = h.countries["value"].dropna()
    assert shown.min() >= 5
    _, _, spec = hotspot_features(h)
    first = spec.classes[0][0]
    assert first.startswith(f"{int(shown.min()):,}")


@pytest.fixture(scope="module")
def demo_hotspots():
    from loaders.load import load_dataset

    ds = load_dataset("demo")
    return {r: compute_hotspots(ds, FlowQuery(suppress=5), role=r)
            for r in ("destination", "origin", "transit", "all")}


def test_the_withheld_note_counts_the_maps_role(demo_hotspots):
    """Every role said "7 country-level totals and 13 place totals withheld": the
    withheld values of all roles. Each role counts its own small values (counted by hand
    from the demo CSV: destination 3 and 8, origin 3 and 3, transit 1 and 2), and in
    every role the 4 countries and 4 places whose every count is below 5, zeros too (a
    0 beside the one withheld role named it), less those already counted."""
    assert [withheld_message(demo_hotspots[r]) for r in ("destination", "origin", "transit")
            ] == ["5 country-level totals and 10 place totals withheld (counts below 5).",
                  "5 country-level totals and 5 place totals withheld (counts below 5).",
                  "5 country-level totals and 6 place totals withheld (counts below 5)."]


def test_all_roles_withhold_a_total_with_any_part_withheld(demo_hotspots):
    """Pakistan (633 out, 226 through, 4 in) ranked 524 with its withheld part as 0
    while the map greyed it: a total with a part withheld is withheld in both."""
    h = demo_hotspots["all"]
    pl = h.flows.places.set_index("key")
    parts = pl[["out", "through", "in"]]
    t = h.table.set_index("key")
    partial = parts.isna().any(axis=1) & parts.notna().any(axis=1)
    assert partial.any()
    assert t.loc[t.index.intersection(pl.index[partial]), "value"].isna().all()
    whole = parts.notna().all(axis=1)
    np.testing.assert_array_equal(t.loc[pl.index[whole], "value"].to_numpy(dtype=float),
                                  parts[whole].sum(axis=1).to_numpy(dtype=float))
    # no place drops out of the ranking for being withheld
    assert len(h.table) == int((parts.fillna(1).sum(axis=1) > 0).sum())
    html = hotspot_map(h).get_root().render()
    assert "withheld (a part of it is below 5)" in html


def test_a_withheld_place_in_the_ranking_keeps_its_years_to_itself(demo_hotspots):
    t = demo_hotspots["destination"].table
    assert t["value"].isna().any()
    assert t.loc[t["value"].isna(), ["year_min", "year_max"]].isna().all().all()
    assert t.loc[t["value"].notna(), "year_min"].notna().all()
