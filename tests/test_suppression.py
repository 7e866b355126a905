"""Small-count suppression: below K never shown; roll up to country first; say what was withheld."""

from __future__ import annotations

import numpy as np
import pandas as pd
from _maps_data import make_countries, make_dataset

from dashboard.maps.flow_map import FlowMapOptions
from dashboard.maps.flows import FlowQuery, compute_flows
from dashboard.maps.suppression import Withheld, suppress_flows


def result(routes, **query):
    ds = make_dataset(routes)
    return compute_flows(ds, FlowQuery(**query), countries=make_countries())


def test_flows_below_k_are_withheld_and_counted():
    r = result([([0, 3], 9, 2019), ([6, 7], 2, 2019), ([2, 7], 1, 2019)], rollup_small=False)
    assert list(r.flows["count"]) == [9]
    assert (r.withheld.corridors, r.withheld.cases) == (2, 3)
    assert r.withheld.message().startswith(
        "2 corridors and fewer than 5 cases withheld (counts below 5)")


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



def test_small_cities_rolled_into_their_country_count_each_record_once():
    """Karachi (4 records) and Lahore (4) are each below 5 and roll up into Pakistan.
    Three of the records pass through both: Pakistan saw 5 records and 5 cases, not the
    8 that adding the two cities' totals gave."""
    both, lahore, karachi = [2, 0, 1, 3], [2, 1, 3], [2, 0, 3]
    r = result([(both, 1, 2019)] * 3 + [(lahore, 1, 2020), (karachi, 1, 2021)])
    places = r.places.set_index("key")
    pak = places.loc["country:PAK"]
    assert (pak["through"], pak["records"]) == (5, 5)
    assert (pak["year_min"], pak["year_max"]) == (2019, 2021)
    assert bool(pak["rolled_up"])
    assert r.withheld.rolled_up_places == 2
    assert not {"city:1", "city:2"} & set(places.index)  # the cities live on only in it


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


def test_a_corridor_of_few_records_without_a_number_keeps_its_years_to_itself():
    """Lagos -> Rome, two records without a number: 'fewer than 5 records | Years 2024'
    in its tooltip and 2024 in the flows CSV, where the places withhold theirs."""
    from dashboard.maps.exports import flows_table
    from dashboard.maps.flow_map import arc_features

    r = result([([0, 3], None, 2024), ([0, 3], None, 2024), ([1, 3], 40, 2019)])
    few = r.flows.set_index("from_key").loc["city:1"]
    assert pd.isna(few["year_min"])
    assert pd.isna(few["year_max"])
    assert flows_table(r).set_index("from_key").loc["city:1", ["year_min", "year_max"]
                                                     ].isna().all()
    fc, _ = arc_features(r, FlowMapOptions())
    assert not any("2024" in line for f in fc["features"] for line in f["properties"]["tip"])
    assert r.flows.set_index("from_key").loc["city:2", "year_min"] == 2019  # a count shown
    everything = result([([0, 3], None, 2024), ([0, 3], None, 2024)], suppress=0)
    assert everything.flows["year_min"].tolist() == [2024]


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
    assert Withheld(threshold=10, corridors=2, cases=11).message().startswith(
        "2 corridors and 11 cases withheld (counts below 10)")
    # one withheld corridor's cases are its count: the note must not give it away
    assert Withheld(threshold=10, corridors=1, cases=1).message().startswith(
        "1 corridor and fewer than 10 cases withheld (counts below 10)")
    assert Withheld(threshold=5, corridors=4, cases=9, place_values=1).message() == (
        "4 corridors and 9 cases withheld (counts below 5); 1 place total withheld.")
    assert Withheld(threshold=5, place_values=2).message() == (
        "2 place totals withheld (counts below 5).")


def test_withheld_message_when_nothing_is_withheld():
    """A map with no small count says so, rather than "0 corridors and 0 cases"."""
    assert Withheld(threshold=5).message() == "Nothing withheld: no count below 5."
    assert Withheld(threshold=5, rolled_up_corridors=2).message() == (
        "Nothing withheld (counts below 5); small city counts rolled up to country level.")
    assert Withheld(threshold=1).message() == "No small-count suppression applied."


def _reference_suppress(rows: list[dict], parent: np.ndarray, k: int) -> tuple[list, int, int, int]:
    """The roll-up rule written plainly, one flow at a time, to check the vectorised one."""

    def small(r: dict) -> bool:
        return r["count"] < k and not (r["count"] == 0 and r["uncounted"] > 0)

    keep = [dict(r, moved=False) for r in rows if not small(r)]
    moved, lost = [], []

    def ends(r: dict) -> tuple[int, int]:
        return int(parent[r["from_id"]]), int(parent[r["to_id"]])

    # small city corridors roll up to their countries' corridor; a small corridor that
    # is already that country corridor joins them
    rolling = {ends(r) for r in rows if small(r) and ends(r)[0] != ends(r)[1]
               and ends(r) != (r["from_id"], r["to_id"])}
    for r in (r for r in rows if small(r)):
        pf, pt = ends(r)
        if pf != pt and (pf, pt) in rolling:
            moved.append(dict(r, from_id=pf, to_id=pt, moved=True))
        else:
            lost.append(r)
    if not moved:
        keep, lost = _reference_with_them(rows, keep, lost, set(), k)
        return keep, len(lost), sum(r["count"] for r in lost), 0
    groups: dict[tuple, list] = {}
    for r in keep + moved:
        groups.setdefault((r["from_id"], r["to_id"]), []).append(r)
    out, rolled = [], 0
    for (f, t), members in groups.items():
        years_lo = [m["year_min"] for m in members if not np.isnan(m["year_min"])]
        years_hi = [m["year_max"] for m in members if not np.isnan(m["year_max"])]
        lead = max(members, key=lambda m: m["count"])  # the first of the largest
        g = {"from_id": f, "to_id": t, "moved": any(m["moved"] for m in members),
             "count": sum(m["count"] for m in members),
             "records": sum(m["records"] for m in members),
             "uncounted": sum(m["uncounted"] for m in members),
             "year_min": min(years_lo, default=np.nan), "year_max": max(years_hi, default=np.nan),
             "leg_role": lead["leg_role"], "colour": lead["colour"]}
        if small(g):
            lost += [m for m in members if m["moved"]]
        else:
            out.append(g)
            rolled += sum(m["moved"] for m in members)
    took_in = {(g["from_id"], g["to_id"]) for g in out if g["moved"]}
    out, lost = _reference_with_them(rows, out, lost, took_in, k)
    return out, len(lost), sum(r["count"] for r in lost), rolled


def _reference_with_them(rows: list[dict], out: list[dict], lost: list[dict],
                         took_in: set, k: int) -> tuple[list[dict], list[dict]]:
    """Then, place by place: while the input corridors out of (then into) a place that
    are not shown as themselves (small ones, rolled up or not) add up to 1..k-1 cases,
    withhold the smallest shown there (the first on ties) that took no small one in,
    preferring one whose other end has another corridor."""
    def small(r: dict) -> bool:
        return r["count"] < k and not (r["count"] == 0 and r["uncounted"] > 0)

    shown = [not small(r) for r in rows]
    other_end = {"from_id": "to_id", "to_id": "from_id"}

    def corridors_at(node: int, end: str) -> int:
        return sum(1 for r in rows if r[end] == node and r["count"] > 0)

    changed = True
    while changed:
        changed = False
        for end in ("from_id", "to_id"):
            not_shown: dict[int, int] = {}
            for r, on in zip(rows, shown, strict=True):
                if not on:
                    not_shown[r[end]] = not_shown.get(r[end], 0) + r["count"]
            for node in sorted(n for n, c in not_shown.items() if 0 < c < k):
                cand = [(corridors_at(r[other_end[end]], other_end[end]) < 2, r["count"], i)
                        for i, (r, on) in enumerate(zip(rows, shown, strict=True))
                        if on and r[end] == node and r["count"] > 0
                        and (r["from_id"], r["to_id"]) not in took_in]
                if cand:
                    i = min(cand)[2]
                    shown[i] = False
                    lost.append(rows[i])
                    changed = True
    gone = {(r["from_id"], r["to_id"]) for r, on in zip(rows, shown, strict=True)
            if not on and not small(r)}
    return [g for g in out if (g["from_id"], g["to_id"]) not in gone], lost


def test_roll_up_matches_the_rule_written_plainly():
    rng = np.random.default_rng(5)
    for case in range(200):
        n_places, n_countries = int(rng.integers(2, 8)), int(rng.integers(1, 3))
        parent = np.arange(n_places + n_countries)
        in_country = rng.random(n_places) < 0.7
        parent[:n_places][in_country] = n_places + rng.integers(0, n_countries, in_country.sum())
        ids = len(parent)
        pairs = [(a, b) for a in range(ids) for b in range(ids) if a != b]
        pick = rng.choice(len(pairs), int(rng.integers(1, min(len(pairs), 15) + 1)), replace=False)
        m = len(pick)
        counts = rng.integers(0, 8 if case % 2 else 2, m)  # small counts: ties, zeros
        year = np.where(rng.random(m) < 0.2, np.nan, rng.integers(2000, 2010, m).astype(float))
        flows = pd.DataFrame({
            "from_id": [pairs[i][0] for i in pick], "to_id": [pairs[i][1] for i in pick],
            "count": counts, "records": counts + 1,
            "uncounted": np.where(rng.random(m) < 0.3, 1, 0),
            "year_min": year, "year_max": year + rng.integers(0, 3, m),
            "leg_role": rng.integers(0, 9, m), "colour": rng.integers(0, 3, m),
        })
        k = int(rng.integers(2, 7))
        want, n_w, cases_w, rolled_w = _reference_suppress(flows.to_dict("records"), parent, k)
        got, n, cases, rolled = suppress_flows(flows, parent, k)
        assert (n, cases, rolled) == (n_w, cases_w, rolled_w)
        cols = ["from_id", "to_id", "count", "records", "uncounted", "leg_role", "colour"]
        assert got[cols].values.tolist() == [[r[c] for c in cols] for r in want]
        assert got["rolled_up"].tolist() == [r["moved"] for r in want]
        for c in ("year_min", "year_max"):
            np.testing.assert_array_equal(got[c].to_numpy(float), [r[c] for r in want])


def test_a_rolled_up_corridor_keeps_the_role_of_its_largest_member_the_first_on_ties():
    flows = pd.DataFrame({
        "from_id": [3, 0, 1, 5], "to_id": [4, 4, 4, 4], "count": [0, 0, 2, 2],
        "records": [2, 1, 2, 2], "uncounted": [2, 0, 0, 0], "year_min": [2019.0] * 4,
        "year_max": [2019.0] * 4, "leg_role": [1, 5, 2, 6],
    })
    parent = np.array([3, 3, 2, 3, 4, 3])  # 0, 1 and 5 are cities in country 3
    kept, n, cases, rolled = suppress_flows(flows, parent, 3)
    assert (n, cases, rolled) == (0, 0, 3)
    # Lahore -> 4 and 5 -> 4 tie at 2, the larger count: the first of them gives the role
    assert kept[["from_id", "to_id", "count", "uncounted", "leg_role"]].values.tolist() == [
        [3, 4, 4, 2, 2]]
    # all at 0: the kept no-number corridor comes first and keeps its role
    kept, *_ = suppress_flows(flows.assign(count=0), parent, 3)
    assert kept[["count", "uncounted", "leg_role"]].values.tolist() == [[0, 2, 1]]


def test_withheld_cases_count_each_case_once_however_many_legs_were_withheld():
    """Three cases of one, Karachi -> UAE -> Kuala Lumpur: both corridors are withheld.
    Adding their counts said 6 cases withheld, of 3 selected (28 of 19 in a real file)."""
    r = result([([0, 4, 3], 1, 2019)] * 3, rollup_small=False)
    assert (r.withheld.corridors, r.withheld.cases) == (2, 3)
    assert r.withheld.cases <= r.summary.cases_selected


def test_a_country_that_small_cities_roll_into_is_named_without_the_shapes():
    """The command line draws a place-level map without building country shapes; the
    countries its small cities rolled into were named by code ("PAK") on map and PNG."""
    r = compute_flows(make_dataset([([0, 3], 3, 2019), ([1, 3], 3, 2019)]), FlowQuery())
    f = r.flows.iloc[0]
    assert (f["from_key"], f["from_name"]) == ("country:PAK", "Pakistan")
    assert (f["to_key"], f["to_name"]) == ("country:MYS", "Malaysia")


def test_a_record_counts_once_on_a_corridor_it_passes_twice():
    """Karachi -> UAE -> Lahore -> UAE is Pakistan -> UAE twice at country level: one
    record, its 2 cases once (the corridor said 14 where 12 cases from 2 records passed,
    more than Pakistan's own 'out')."""
    routes = [([0, 4, 1, 4], 2, 2020), ([0, 4], 10, 2020)]
    r = compute_flows(make_dataset(routes), FlowQuery(level="country", suppress=0),
                      countries=make_countries())
    f = r.flows.set_index(["from_key", "to_key"]).loc[("country:PAK", "country:ARE")]
    assert (f["count"], f["records"]) == (12, 2)
    # at place level its two small legs roll up into the country corridor, once too
    from _maps_data import PLACES, make_places

    places = make_places([*PLACES, ("country:PAK", "Pakistan", "country", "PAK", 30.0, 70.0)])
    ds = make_dataset([([0, 4, 1, 4], 2, 2020), ([8, 4], 10, 2020)], places)
    r = compute_flows(ds, FlowQuery(), countries=make_countries())
    pak = r.flows.set_index(["from_key", "to_key"]).loc[("country:PAK", "country:ARE")]
    assert (pak["count"], bool(pak["rolled_up"])) == (12, True)


def test_a_small_country_corridor_joins_the_city_corridors_that_roll_into_it():
    """Pakistan -> Malaysia 3 as written, Karachi -> Kuala Lumpur 3, Lahore -> Penang 3:
    one corridor of 9. The country one stayed out: 6 shown and a 3 withheld, which the
    places table (Pakistan out 9) then gave away."""
    from _maps_data import make_places

    places = make_places([("city:1", "Karachi", "city", "PAK", 24.86, 67.01),
                          ("city:2", "Lahore", "city", "PAK", 31.55, 74.34),
                          ("country:PAK", "Pakistan", "country", "PAK", 30.0, 70.0),
                          ("city:3", "Kuala Lumpur", "city", "MYS", 3.14, 101.69),
                          ("city:9", "Penang", "city", "MYS", 5.41, 100.33),
                          ("country:MYS", "Malaysia", "country", "MYS", 4.0, 102.0)])
    ds = make_dataset([([2, 5], 3, 2019), ([0, 3], 3, 2019), ([1, 4], 3, 2020)], places)
    r = compute_flows(ds, FlowQuery(), countries=make_countries())
    assert r.flows[["from_key", "to_key", "count"]].values.tolist() == [
        ["country:PAK", "country:MYS", 9]]
    assert (r.withheld.corridors, r.withheld.cases) == (0, 0)


def test_a_place_total_less_the_corridors_shown_gives_no_small_count_back():
    """A safety audit worked withheld corridors out of the totals: Dubai in 73 less the
    corridors shown into it, 50 and 20, was Lahore -> Dubai's 3; Kathmandu out 71 less
    70 was a single case to Doha. Checked here for every place, both ways, on routes
    without transits (where a place's out and in are exactly its corridors' sums)."""
    rng = np.random.default_rng(11)
    for _ in range(30):
        routes = [([int(a), int(b)], int(c), 2019) for a, b, c in zip(
            rng.integers(0, 8, 14), rng.integers(0, 8, 14), rng.integers(1, 12, 14),
            strict=True) if a != b]
        r = result(routes, suppress=5, rollup_small=False)
        shown = r.flows[r.flows["count"].notna()]
        places = r.places.set_index("key")
        for total, end in (("out", "from_key"), ("in", "to_key")):
            by_place = shown.groupby(end)["count"].sum()
            for key, value in places[total].dropna().items():
                rest = int(value) - int(by_place.get(key, 0))
                assert rest == 0 or rest >= 5, (key, total, rest)


def test_the_message_says_why_larger_corridors_are_withheld_too():
    # into Kuala Lumpur: 40, 6 and a withheld 2; the 6 goes with the 2
    r = result([([0, 3], 40, 2019), ([1, 3], 6, 2019), ([6, 3], 2, 2020)],
               rollup_small=False)
    assert (r.withheld.corridors, r.withheld.with_them, r.withheld.cases) == (2, 1, 8)
    assert r.withheld.message() == (
        "2 corridors and 8 cases withheld (counts below 5); 1 of them larger, so that a "
        "place's totals do not give the small ones back; 1 place total withheld.")
    assert r.flows["count"].tolist() == [40]
