"""Small-count suppression: below K never shown; roll up to country first; say what was withheld."""

from __future__ import annotations

import numpy as np
import pandas as pd
from _maps_data import make_countries, make_dataset

from dashboard.maps.flows import FlowQuery, compute_flows
from dashboard.maps.suppression import Withheld, suppress_flows


def result(routes, **query):
    ds = make_dataset(routes)
    return compute_flows(ds, FlowQuery(**query), countries=make_countries())


def test_flows_below_k_are_withheld_and_counted():
    r = result([([0, 3], 9, 2019), ([6, 7], 2, 2019), ([2, 7], 1, 2019)], rollup_small=False)
    assert list(r.flows["count"]) == [9]
    assert (r.withheld.corridors, r.withheld.cases) == (2, 3)
    assert r.withheld.message().startswith("2 corridors and 3 cases withheld (counts below 5)")


def test_small_city_flows_roll_up_into_a_country_flow_that_reaches_k():
    # Karachi -> KL (3) and Lahore -> KL (3): each below 5, Pakistan -> Malaysia is 6
    r = result([([0, 3], 3, 2019), ([1, 3], 3, 2019)])
    f = r.flows.iloc[0]
    assert (f["from_key"], f["to_key"], f["count"]) == ("country:PAK", "country:MYS", 6)
    assert bool(f["rolled_up"])
    assert r.withheld.corridors == 0
    assert r.withheld.rolled_up_corridors == 2
    assert f.geometry is not None  # the country node has a place on the map


def test_rolled_up_sum_still_below_k_is_withheld():
    r = result([([0, 3], 1, 2019), ([1, 3], 2, 2019)])
    assert r.flows.empty
    assert (r.withheld.corridors, r.withheld.cases) == (2, 3)


def test_place_totals_below_k_are_masked_not_zeroed():
    r = result([([0, 3], 9, 2019), ([3, 0], 2, 2019)], rollup_small=False)
    kl = r.places.set_index("key").loc["city:3"]
    assert kl["in"] == 9
    assert pd.isna(kl["out"])  # 2 is withheld, shown as "fewer than 5"
    assert r.withheld.place_values >= 1
    v = r.places[["out", "through", "in"]].to_numpy(dtype="float64", na_value=np.nan)
    assert not ((v > 0) & (v < 5)).any()


def test_numbers_never_leak_into_the_frames():
    r = result([([0, 4, 3], 1, 2019), ([6, 7], 4, 2018), ([2, 0], 12, 2017)], suppress=10)
    shown = r.flows["count"].to_numpy()
    assert np.all(shown >= 10)
    tot = r.places[["out", "through", "in", "records"]].to_numpy(dtype="float64", na_value=np.nan)
    assert np.all(np.isnan(tot) | (tot == 0) | (tot >= 10))


def test_routes_without_a_number_are_not_withheld_and_not_counted():
    r = result([([0, 3], None, 2019), ([0, 3], None, 2019)])
    f = r.flows.iloc[0]
    assert (f["count"], f["uncounted"]) == (0, 2)
    assert r.withheld.corridors == 0


def test_suppression_off():
    r = result([([0, 3], 1, 2019)], suppress=0)
    assert list(r.flows["count"]) == [1]
    assert not r.withheld.active
    assert "No small-count suppression" in r.withheld.message()


def test_suppress_flows_directly():
    flows = pd.DataFrame({
        "from_id": [0, 1], "to_id": [2, 2], "count": [3, 4], "records": [3, 4],
        "uncounted": [0, 0], "year_min": [2019.0, 2019.0], "year_max": [2019.0, 2020.0],
        "leg_role": [3, 3],
    })
    parent = np.array([3, 3, 2, 3])  # nodes 0 and 1 are in country 3
    kept, n, cases, rolled = suppress_flows(flows, parent, 5)
    assert (n, cases, rolled) == (0, 0, 2)
    assert kept[["from_id", "to_id", "count"]].values.tolist() == [[3, 2, 7]]
    assert kept["year_max"].iloc[0] == 2020.0


def test_withheld_message_singular():
    assert Withheld(threshold=10, corridors=1, cases=1).message().startswith(
        "1 corridor and 1 case withheld (counts below 10)")
