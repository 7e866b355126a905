"""Flows and place totals: counting rules, filters, roll-up levels, top-N, arcs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _maps_data import PLACES, make_countries, make_dataset, make_places

from dashboard.maps.arcs import arc_coords, wrap_parts
from dashboard.maps.flows import FlowQuery, QueryError, compute_flows

# place ids: 0 Karachi, 1 Lahore, 2 Bangladesh, 3 Kuala Lumpur, 4 UAE, 5 Atlantis (unresolved),
# 6 Manila, 7 Lima
ROUTES = [
    ([0, 4, 3], 10, 2015),
    ([0, 4, 3], None, 2016),  # named without a number
    ([1, 3], 3, 2017),
    ([2, 0], 6, 2018),
    ([0, 5], 7, 2019),
    ([6, 7], 8, 2020),
    ([0], 4, 2021),  # origin only: counts for Karachi, draws no leg
]
GENDER = ["f", "m", "f", "f", "m", "f", "m"]


def flows_of(query: FlowQuery | None = None, routes=ROUTES, **kw) -> pd.DataFrame:
    ds = make_dataset(routes, attrs={"gender": GENDER[: len(routes)]}, **kw)
    return compute_flows(ds, query or FlowQuery(suppress=0), countries=make_countries())


def row(flows: pd.DataFrame, a: str, b: str) -> pd.Series:
    hit = flows[(flows["from_key"] == a) & (flows["to_key"] == b)]
    assert len(hit) == 1, f"expected one flow {a} -> {b}, got {len(hit)}"
    return hit.iloc[0]


def test_legs_group_into_flows_and_uncounted_records_are_kept_apart():
    r = flows_of()
    f = row(r.flows, "city:1", "country:ARE")
    assert (f["count"], f["records"], f["uncounted"]) == (10, 2, 1)
    assert (f["year_min"], f["year_max"]) == (2015, 2016)
    assert f["leg_role"] == "origin→transit"
    assert row(r.flows, "country:ARE", "city:3")["leg_role"] == "transit→destination"
    assert row(r.flows, "city:2", "city:3")["count"] == 3
    assert r.summary.cases_selected == 10 + 3 + 6 + 7 + 8 + 4
    assert r.summary.uncounted_selected == 1


def test_place_totals_by_role_and_distinct_records():
    r = flows_of()
    p = r.places.set_index("key")
    k = p.loc["city:1"]
    assert (k["out"], k["through"], k["in"]) == (10 + 7 + 4, 0, 6)
    assert k["records"] == 5
    assert k["uncounted"] == 1
    assert p.loc["country:ARE", "through"] == 10
    assert p.loc["city:3", "in"] == 13
    assert p.loc["city:1", "role"] == "origin"


def test_a_record_visiting_a_place_twice_counts_once_in_records():
    r = flows_of(routes=[([0, 4, 0], 2, 2019)])
    k = r.places.set_index("key").loc["city:1"]
    assert k["records"] == 1
    assert (k["out"], k["in"]) == (2, 2)



def test_cases_pass_through_a_place_once_however_many_of_its_stops_they_make():
    """Through Karachi and Lahore is through Pakistan once: its 'through' was 27 here,
    for 17 cases (each transit stop added the record's cases again)."""
    routes = [([2, 0, 1, 3], 10, 2019), ([2, 0, 3], 7, 2020), ([2, 0, 4, 0, 3], 5, 2021)]
    country = flows_of(FlowQuery(suppress=0, level="country"), routes=routes)
    pak = country.places.set_index("key").loc["country:PAK"]
    assert (pak["through"], pak["records"], pak["total"]) == (22, 3, 22)
    place = flows_of(routes=routes).places.set_index("key").loc["city:1"]
    assert (place["through"], place["records"]) == (22, 3)  # Karachi twice in one route
    # a place that is a record's origin and its destination counts in both roles
    both = flows_of(routes=[([0, 4, 0], 2, 2019)]).places.set_index("key").loc["city:1"]
    assert (both["out"], both["in"], both["records"]) == (2, 2, 1)


def test_unresolved_places_stay_in_the_table_without_geometry():
    r = flows_of()
    f = row(r.flows, "city:1", "unresolved:atlantis")
    assert f.geometry is None
    assert r.summary.flows_unmapped == 1
    assert "unresolved:atlantis" in set(r.places["key"])
    assert len(r.shown_flows) == len(r.flows) - 1


def test_year_and_attribute_filters():
    r = flows_of(FlowQuery(suppress=0, years=(2017, 2019)))
    assert set(zip(r.flows["from_key"], r.flows["to_key"], strict=True)) == {
        ("city:2", "city:3"), ("country:BGD", "city:1"), ("city:1", "unresolved:atlantis")}
    assert r.summary.years == (2017, 2019)
    r = flows_of(FlowQuery(suppress=0, attributes={"gender": ["m"]}))
    assert r.summary.records_selected == 3
    assert set(r.flows["from_key"]) == {"city:1", "country:ARE"}


def test_focus_keeps_only_routes_through_the_place_in_the_given_roles():
    r = flows_of(FlowQuery(suppress=0, focus="country:ARE"))
    assert r.summary.records_selected == 2
    assert set(r.flows["to_key"]) == {"country:ARE", "city:3"}
    r = flows_of(FlowQuery(suppress=0, focus="city:1", focus_roles=("destination",)))
    assert r.summary.records_selected == 1  # only Bangladesh -> Karachi


def test_country_level_rolls_cities_up_and_drops_internal_legs():
    r = flows_of(FlowQuery(suppress=0, level="country"), routes=[*ROUTES, ([0, 1], 5, 2020)])
    assert row(r.flows, "country:PAK", "country:MYS")["count"] == 3
    assert row(r.flows, "country:PAK", "country:ARE")["count"] == 10
    assert r.summary.internal_legs == 1  # Karachi -> Lahore
    pak = r.places.set_index("key").loc["country:PAK"]
    assert pak["name"] == "Pakistan"
    assert (pak["lat"], pak["lon"]) == (30.0, 70.0)  # the country's label point


def test_region_level_uses_subregions():
    r = flows_of(FlowQuery(suppress=0, level="region"))
    assert row(r.flows, "region:Southern Asia", "region:Western Asia")["count"] == 10
    assert row(r.flows, "region:South-eastern Asia", "region:South America")["count"] == 8


def test_min_count_and_top_n():
    r = flows_of(FlowQuery(suppress=0, min_count=7, top=2))
    assert list(r.flows["count"]) == [10, 10, 8, 7]
    assert list(r.flows["shown"]) == [True, True, False, False]
    assert r.flows.geometry.iloc[2] is None  # arcs are built only for what is drawn


def test_colour_by_attribute_picks_the_dominant_value():
    r = flows_of(FlowQuery(suppress=0, colour_by="gender"))
    assert row(r.flows, "city:1", "country:ARE")["colour_value"] == "f"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (FlowQuery(level="galaxy"), "unknown level"),
        (FlowQuery(attributes={"nope": ["x"]}), "no attribute column"),
        (FlowQuery(focus_roles=("victim",)), "unknown role"),
        (FlowQuery(top=-1), ">= 0"),
    ],
)
def test_bad_queries_raise_one_line_errors(query, message):
    with pytest.raises(QueryError, match=message):
        flows_of(query)


def test_arcs_bend_apart_and_cross_the_antimeridian():
    c = arc_coords([67.0, 101.7], [24.9, 3.1], [101.7, 67.0], [3.1, 24.9])
    assert c[0, 0].tolist() == [67.0, 24.9]
    assert np.allclose(c[0, -1], [101.7, 3.1])
    mid_ab, mid_ba = c[0, c.shape[1] // 2], c[1, c.shape[1] // 2]
    assert np.linalg.norm(mid_ab - mid_ba) > 3  # A->B and B->A do not overlap
    pacific = arc_coords([120.98], [14.6], [-77.04], [-12.05])[0]
    assert np.all(np.abs(np.diff(pacific[:, 0])) < 30)  # no jump across the whole map
    assert pacific[-1, 0] == pytest.approx(-77.04 + 360)
    parts = wrap_parts(pacific)
    assert len(parts) == 2
    assert parts[0][-1, 0] == 180.0
    assert parts[1][0, 0] == -180.0
    assert parts[1][-1].tolist() == pytest.approx([-77.04, -12.05])


def test_records_need_not_be_in_order():
    ds = make_dataset(ROUTES, attrs={"gender": GENDER})
    ds.stops = ds.stops.sample(frac=1.0, random_state=3)
    r = compute_flows(ds, FlowQuery(suppress=0), countries=make_countries())
    assert row(r.flows, "city:1", "country:ARE")["count"] == 10


def test_arcs_bow_gently_on_the_map_and_pairs_stay_apart():
    # Almaty -> Moscow: a great circle alone bows far north on a Mercator map
    lon0, lat0, lon1, lat1 = [76.9, 55.3, 67.0], [43.2, 25.1, 24.9], [37.6, 85.3, 101.7], [
        55.75, 27.7, 3.1]
    for rev in (False, True):
        a = (lon1, lat1, lon0, lat0) if rev else (lon0, lat0, lon1, lat1)
        c = arc_coords(*a)
        y = np.log(np.tan(np.pi / 4 + np.radians(c[..., 1]) / 2))
        p = np.stack([np.radians(c[..., 0]), y], axis=-1)
        d = p[:, -1] - p[:, 0]
        chord = np.linalg.norm(d, axis=1)
        right = np.stack([d[:, 1], -d[:, 0]], axis=1) / chord[:, None]
        side = np.einsum("ijk,ik->ij", p - p[:, :1], right) / chord[:, None]
        assert np.all(side.max(axis=1) > 0.10)  # bowed to the right of travel ...
        assert np.all(side.max(axis=1) < 0.20)  # ... gently
        assert np.all(side.min(axis=1) > -0.01)  # and never to the left: pairs stay apart


@pytest.mark.parametrize("level", ["place", "country"])
def test_focus_on_a_country_counts_its_cities_in_the_map_and_the_page_alike(level):
    from dashboard.state import ViewState, key_figures

    # Karachi and Lahore are cities in Pakistan; Bangladesh -> Pakistan names the country
    routes = [([0, 4, 3], 10, 2015), ([1, 3], 7, 2016), ([2, 0], 6, 2018), ([6, 7], 8, 2020),
              ([2, 4], 5, 2019)]
    ds = make_dataset(routes)
    state = ViewState(focus="country:PAK", level=level, k=0)
    r = compute_flows(ds, state.to_flow_query(), countries=make_countries())
    figures = key_figures(ds, state, countries=make_countries())
    assert r.summary.records_selected == figures.records == 3  # Karachi, Lahore, Karachi
    assert r.summary.cases_selected == figures.cases == 23
    origin_only = compute_flows(ds, FlowQuery(focus="country:PAK", focus_roles=("origin",),
                                              level=level, suppress=0),
                                countries=make_countries())
    assert origin_only.summary.records_selected == 2


def test_radix_ranking_is_a_stable_sort():
    from dashboard.maps._grouping import stable_argsort

    rng = np.random.default_rng(2)
    for high in (3, 2**20, 2**40, 2**62):
        key = rng.integers(0, high, 5000).astype(np.uint64)
        np.testing.assert_array_equal(stable_argsort(key), np.argsort(key, kind="stable"))


def test_the_top_n_alone_are_the_first_n_of_the_full_ranking():
    from dashboard.maps._grouping import kept_positions, ranked, ranked_head

    rng = np.random.default_rng(5)
    for size, high in ((2000, 4), (2000, 50), (30, 3)):
        count, records = rng.integers(0, high, size), rng.integers(1, 3, size)
        rows = rng.random(size) < 0.8
        for n in (None, 0, 1, 7, 100, size):
            for mask, min_count in ((None, 0), (rows, 2)):
                full = ranked(count, records, mask, min_count)
                head = ranked_head(count, records, kept_positions(count, mask, min_count), n)
                np.testing.assert_array_equal(head, full if n is None else full[:n])


def test_largest_first_ties_in_order_of_first_appearance():
    r = flows_of(routes=[([6, 7], 2, 2019), ([0, 3], 2, 2019), ([1, 3], 5, 2019),
                         ([2, 7], 2, 2019), ([2, 7], 0, 2019)])
    # by count, then records (Bangladesh -> Lima has two), then as first seen
    assert list(zip(r.flows["from_key"], r.flows["count"], strict=True)) == [
        ("city:2", 5), ("country:BGD", 2), ("city:4", 2), ("city:1", 2)]


def test_dominant_colour_is_the_same_counted_sparsely(monkeypatch):
    from dashboard.maps import _grouping

    q = FlowQuery(suppress=0, colour_by="gender")
    dense = flows_of(q).flows
    monkeypatch.setattr(_grouping, "DENSE_LIMIT", 0)  # as for an attribute of many values
    sparse = flows_of(q).flows
    pd.testing.assert_frame_equal(pd.DataFrame(dense), pd.DataFrame(sparse))
    assert row(sparse, "city:1", "country:ARE")["leg_role"] == "origin→transit"


@pytest.mark.parametrize("weights", ["positive", "some zero"])
def test_dominant_is_the_value_of_largest_weight_among_those_present(weights):
    """Each group's value of the largest summed weight, the lowest on ties, and never a
    value that does not occur: with weights of 0 one that does not would tie at 0."""
    from dashboard.maps._grouping import dominant

    rng = np.random.default_rng(8)
    n, n_groups, n_values = 4_000, 300, 9
    group = rng.integers(0, n_groups, n)
    value = rng.choice([2, 3, 5, 7], n)  # values 0, 1, 4, 6 and 8 never occur
    weight = rng.integers(1, 4, n).astype(float)
    if weights == "some zero":
        weight[rng.random(n) < 0.5] = 0.0
        weight[group < 30] = 0.0  # every value ties at 0 there
    got = dominant(group, value, weight, n_groups, n_values)
    sums = (pd.DataFrame({"g": group, "v": value, "w": weight})
            .pivot_table(index="g", columns="v", values="w", aggfunc="sum", fill_value=0)
            .reindex(range(n_groups), fill_value=0))
    want = sums.columns.to_numpy()[sums.to_numpy().argmax(axis=1)]  # first of the largest
    np.testing.assert_array_equal(got, want)
    assert set(got) <= {2, 3, 5, 7}


def test_pair_keys_past_32_bits_stay_distinct():
    from dashboard.maps._grouping import pair_keys

    a = np.array([0, 70_000, 69_999], dtype=np.int32)
    b = np.array([70_000, 0, 69_999], dtype=np.int32)
    keys = pair_keys(a, b, 70_001)
    assert keys.tolist() == [70_000, 70_000 * 70_001, 69_999 * 70_001 + 69_999]


@pytest.mark.parametrize("dtype", [np.uint32, np.int64])
def test_factorize_ints_is_pandas_factorize(dtype, monkeypatch):
    from pandas.core import algorithms

    from dashboard.maps._grouping import factorize_ints

    keys = np.random.default_rng(3).integers(0, 5_000, 100_000).astype(dtype)
    want_codes, want_uniques = pd.factorize(keys)
    codes, uniques = factorize_ints(keys)
    np.testing.assert_array_equal(codes, want_codes)  # first appearance order
    np.testing.assert_array_equal(uniques, want_uniques)
    # a pandas whose internal factorize_array takes no size hint: the public one
    internal = algorithms.factorize_array

    def without_hint(values, *args, size_hint=None, **kwargs):
        if size_hint is not None:
            raise TypeError("factorize_array() got an unexpected keyword 'size_hint'")
        return internal(values, *args, **kwargs)

    monkeypatch.setattr(algorithms, "factorize_array", without_hint)
    codes, uniques = factorize_ints(keys)
    np.testing.assert_array_equal(codes, want_codes)
    np.testing.assert_array_equal(uniques, want_uniques)


@pytest.mark.parametrize("kind", ["years", "fractions", "beyond 16 bits", "extremes"])
def test_minmax_is_the_smallest_and_largest_value_of_each_group(kind):
    """Whole years take a 16-bit path; anything else the float one. Both must agree with
    pandas, with NaN ignored and NaN for a group with no value."""
    from dashboard.maps._grouping import minmax

    rng = np.random.default_rng(5)
    n_groups, n = 300, 5_000
    values = {
        "years": rng.integers(1990, 2030, n).astype(float),
        "fractions": rng.integers(1990, 2030, n) + 0.5,
        "beyond 16 bits": rng.integers(-100_000, 100_000, n).astype(float),
        "extremes": rng.choice([-32768.0, 32767.0, 0.0], n),
    }[kind]
    values[rng.random(n) < 0.2] = np.nan
    group = rng.integers(0, n_groups - 13, n)  # the last ten groups have no value
    group[:3] = [n_groups - 13, n_groups - 12, n_groups - 11]  # three have one each
    values[:3] = np.nan_to_num(values[3:6], nan=2001.0)
    lo, hi = minmax(group, values, n_groups)
    by = pd.Series(values).groupby(group)
    want_lo = by.min().reindex(range(n_groups)).to_numpy()
    want_hi = by.max().reindex(range(n_groups)).to_numpy()
    np.testing.assert_array_equal(lo, want_lo)
    np.testing.assert_array_equal(hi, want_hi)
    assert np.isnan(lo[-10:]).all()


@pytest.mark.parametrize("kind", ["years", "fractions", "beyond 16 bits"])
@pytest.mark.parametrize("missing", [False, True])
def test_minmax_of_taken_values_is_minmax_of_the_values_taken(kind, missing):
    """Legs read their records' years: checked and made 16-bit once per record where
    they can be, the answer must be that of the years each leg reads."""
    from dashboard.maps._grouping import minmax, minmax_taken

    rng = np.random.default_rng(6)
    records, legs, n_groups = 2_000, 6_000, 250
    values = {
        "years": rng.integers(1990, 2030, records).astype(float),
        "fractions": rng.integers(1990, 2030, records) + 0.5,
        "beyond 16 bits": rng.integers(-100_000, 100_000, records).astype(float),
    }[kind]
    if missing:
        values[rng.random(records) < 0.2] = np.nan
    at = rng.integers(0, records, legs).astype(np.int32)
    group = rng.integers(0, n_groups - 5, legs)  # the last five groups have no leg
    for got, want in zip(minmax_taken(group, at, values, n_groups),
                         minmax(group, values[at], n_groups), strict=True):
        np.testing.assert_array_equal(got, want)
        assert np.isnan(got[-5:]).all()


def test_colour_by_an_attribute_with_missing_values():
    routes = [([6, 7], 8, 2020), ([0, 3], 2, 2019), ([0, 3], 9, 2019)]
    ds = make_dataset(routes, attrs={"gender": pd.Series(["f", "m", None], dtype="str")})
    r = compute_flows(ds, FlowQuery(suppress=0, colour_by="gender"), countries=make_countries())
    assert row(r.flows, "city:4", "city:5")["colour_value"] == "f"
    assert pd.isna(row(r.flows, "city:1", "city:3")["colour_value"])  # 9 of 11 cases unknown


def test_a_country_without_a_shape_is_named_as_the_data_names_it():
    """Gibraltar and Tuvalu have no shape in the bundled countries: at country level
    they were named GIB and TUV."""
    places = make_places([*PLACES, ("country:GIB", "Gibraltar", "country", "GIB", 36.1, -5.35)])
    ds = make_dataset([([8, 3], 12, 2017), ([0, 3], 9, 2017)], places=places)
    r = compute_flows(ds, FlowQuery(level="country", suppress=0), countries=make_countries())
    names = dict(zip(r.places["key"], r.places["name"], strict=True))
    assert names["country:GIB"] == "Gibraltar"
    assert names["country:PAK"] == "Pakistan"


def test_a_place_total_counts_each_case_once_whatever_roles_it_plays_there():
    """Karachi -> Lahore -> UAE is, at country level, out of Pakistan and through it: the
    total (circle size, hotspots 'any role', exports) said 10 for its 5 cases."""
    r = flows_of(FlowQuery(suppress=0, level="country"), routes=[([0, 1, 4], 5, 2019),
                                                                  ([2, 0], 7, 2020)])
    pak = r.places.set_index("key").loc["country:PAK"]
    assert (pak["out"], pak["through"], pak["in"], pak["total"]) == (5, 5, 7, 12)


@pytest.mark.parametrize("pickled", [False, True], ids=["built", "pickled"])
def test_the_tables_a_map_reads_are_the_geodataframes_without_geometry(pickled):
    """A map reads plain tables and arcs; every other caller the GeoDataFrames. Both
    must name the same corridors, places and coordinates, also for a result the dashboard
    cached (pickled, so rebuilt from its GeoDataFrames)."""
    import pickle

    import shapely

    r = flows_of(FlowQuery(suppress=0, top=3))
    if pickled:
        r = pickle.loads(pickle.dumps(r))
    table, arcs = r.drawn_corridors
    shown = r.shown_flows
    assert len(table) == len(shown) == 3
    pd.testing.assert_frame_equal(table, pd.DataFrame(shown.drop(columns="geometry")))
    coords = shapely.get_coordinates(shown.geometry.to_numpy())
    np.testing.assert_array_equal(arcs.reshape(-1, 2), coords)
    for max_nodes in (None, 2):
        drawn = r.drawn_places(max_nodes)
        pd.testing.assert_frame_equal(r.drawn_place_table(max_nodes),
                                      pd.DataFrame(drawn.drop(columns="geometry")))
    located = r.places.geometry.notna().to_numpy()
    assert not located.all(), "Atlantis is not located"
    np.testing.assert_array_equal(r.places.geometry.x.to_numpy()[located],
                                  r.place_table["lon"].to_numpy()[located])
