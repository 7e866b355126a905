"""Stops kept as a grid: the long table, the report and the flows come out the same.

Route, CTDC and matrix layouts hand their stops over as a records × slots grid; the long
``stops`` table is built only when something asks for it. These tests pin that the grid
and the table it stands for agree everywhere a user sees a number.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from threading import Thread

import numpy as np
import pandas as pd
import pytest

from dashboard.maps.flows import FlowQuery, compute_flows
from loaders.errors import RoutemapError
from loaders.load import load_dataset
from loaders.model import ROLE_DTYPE, Dataset, StopGrid
from loaders.readers import read_in_background

UN_DESA = Path(__file__).resolve().parents[2] / "shared" / "data"

ROUTES_CSV = (
    b"origin,transit,destination,count,year,gender\n"
    b"Karachi,Dubai; Muscat,Kuala Lumpur,10,2015,f\n"
    b"Dhaka,,Lahore,3,2016,m\n"
    b"Bishkek,Almaty > Moscow,,4,2017,f\n"
    b",Kabul,Tehran,2,2018,m\n"
    b"Yangon,Bangkok,Kuala Lumpur,7,2019,f\n"
    b"Karachi,Karachi,Dubai,5,2020,f\n"
)


def routes_dataset() -> Dataset:
    return load_dataset(ROUTES_CSV, name="routes.csv")


def test_a_routes_file_keeps_its_stops_as_a_grid_until_asked():
    ds = routes_dataset()
    assert ds.grid is not None
    assert ds.grid.ids.shape == (6, 4)  # origin, two transit slots, destination
    stops = ds.stops
    assert list(stops.columns) == ["record_id", "seq", "role", "place_id"]
    assert stops["role"].dtype == ROLE_DTYPE
    assert stops["seq"].dtype == np.int16
    assert stops["place_id"].dtype == np.int32
    first = stops[stops["record_id"] == 0]
    names = ds.places.set_index("place_id")["query"]
    assert [names[p] for p in first["place_id"]] == ["Karachi", "Dubai", "Muscat", "Kuala Lumpur"]
    assert first["role"].astype(str).tolist() == ["origin", "transit", "transit", "destination"]
    assert first["seq"].tolist() == [0, 1, 2, 3]
    # a missing origin is no stop: the route starts at its transit
    fourth = stops[stops["record_id"] == 3]
    assert [names[p] for p in fourth["place_id"]] == ["Kabul", "Tehran"]
    assert fourth["seq"].tolist() == [0, 1]


def test_place_uses_and_the_report_count_stops_from_the_grid():
    ds = routes_dataset()
    expected = np.bincount(ds.stops["place_id"], minlength=len(ds.places))
    assert ds.grid is not None
    assert ds.grid.uses(len(ds.places)).tolist() == expected.tolist()
    some = np.array([0, 2])
    assert ds.grid.uses(len(ds.places), some).tolist() == [
        n if i in (0, 2) else 0 for i, n in enumerate(expected)]
    assert len(ds.grid) == len(ds.stops) == int(expected.sum())
    karachi = int(ds.places.index[ds.places["query"] == "Karachi"][0])
    assert expected[karachi] == 3  # twice as an origin, once as a transit


def test_places_used_by_selected_records_agree_for_grid_and_table():
    grid_ds, long_ds = routes_dataset(), routes_dataset()
    long_ds.stops = long_ds.stops.copy()
    names = grid_ds.places.set_index("place_id")["query"]
    for selected in (None, np.array([True, False, False, True, False, False]),
                     np.zeros(6, bool)):
        used = grid_ds.places_used(selected)
        assert used.tolist() == long_ds.places_used(selected).tolist()
        if selected is not None and selected.any():
            assert sorted(names[p] for p in used) == sorted(
                ["Karachi", "Dubai", "Muscat", "Kuala Lumpur", "Kabul", "Tehran"])
    assert grid_ds.grid is not None
    assert grid_ds._stops is None  # counted from the grid: no long table was built


def test_a_dataset_with_a_grid_pickles_as_the_dashboard_caches_it():
    ds = routes_dataset()
    back = pickle.loads(pickle.dumps(ds))
    assert back.grid is not None
    pd.testing.assert_frame_equal(back.stops, ds.stops)
    assert back.report.to_dict() == ds.report.to_dict()
    assert back.meta == ds.meta


def test_setting_a_long_table_replaces_the_grid():
    ds = routes_dataset()
    shuffled = ds.stops.sample(frac=1.0, random_state=1)
    ds.stops = shuffled
    assert ds.grid is None
    assert ds.stops is shuffled


@pytest.mark.parametrize("query", [
    FlowQuery(suppress=0),
    FlowQuery(suppress=0, level="country"),
    FlowQuery(suppress=0, colour_by="gender", years=(2015, 2018)),
    FlowQuery(suppress=0, focus="city:1174872"),  # Karachi
    FlowQuery(suppress=0, focus="country:PAK", focus_roles=("origin",)),
])
def test_flows_from_the_grid_equal_flows_from_the_long_table(query):
    grid_ds = routes_dataset()
    long_ds = routes_dataset()
    long_ds.stops = long_ds.stops.sample(frac=1.0, random_state=2)  # unordered long table
    assert grid_ds.grid is not None
    assert long_ds.grid is None
    a, b = compute_flows(grid_ds, query), compute_flows(long_ds, query)
    assert len(a.flows) > 0
    pd.testing.assert_frame_equal(a.flows.drop(columns="geometry"),
                                  b.flows.drop(columns="geometry"))
    pd.testing.assert_frame_equal(a.places.drop(columns="geometry"),
                                  b.places.drop(columns="geometry"))
    assert a.summary == b.summary


def test_reading_ahead_gives_the_same_dataset_and_the_same_errors(tmp_path):
    path = tmp_path / "routes.csv"
    path.write_bytes(ROUTES_CSV)
    ahead = load_dataset(str(path), table=read_in_background(str(path)))
    plain = load_dataset(str(path))
    assert ahead.report.to_dict() == plain.report.to_dict()
    pd.testing.assert_frame_equal(ahead.stops, plain.stops)
    sample = load_dataset("seed", table=read_in_background("seed"))
    assert sample.meta.name == load_dataset("seed").meta.name
    assert sample.report.rows_read == load_dataset("seed").report.rows_read
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(RoutemapError, match="empty"):
        load_dataset(str(empty), table=read_in_background(str(empty)))


@pytest.mark.skipif(not (UN_DESA / "un_desa_migrant_stock_2017_od_matrix.csv").exists(),
                    reason="the shared UN DESA matrix is not here")
def test_the_un_desa_matrix_loads_as_a_two_slot_grid():
    ds = load_dataset(str(UN_DESA / "un_desa_migrant_stock_2017_od_matrix.csv"))
    assert ds.report.layout == "matrix"
    assert isinstance(ds.grid, StopGrid)
    assert ds.grid.ids.shape == (len(ds.records), 2)
    stops = ds.stops
    assert stops.groupby("record_id")["role"].first().astype(str).eq("origin").all()


def random_grid_dataset(seed: int = 3, n: int = 4000, slots: int = 5, empty: float = 0.35
                        ) -> tuple[Dataset, Dataset]:
    """The same random routes twice: as a grid, and as the long table it stands for.

    Empty slots anywhere (a share ``empty`` of them), a place visited twice in a route,
    unknown years and counts, places without coordinates: every case the two walks must
    count alike.
    """
    from _maps_data import make_dataset

    rng = np.random.default_rng(seed)
    ids = rng.integers(0, 8, size=(n, slots)).astype(np.int32)
    ids[rng.random(ids.shape) < empty] = -1
    grid = StopGrid(ids, np.array([0, *[1] * (slots - 2), 2][-slots:], np.int8))
    base = make_dataset([([0, 1], 1, 2000)])
    records = pd.DataFrame({
        "record_id": np.arange(n),
        "count": pd.array(np.where(rng.random(n) < 0.1, None, rng.integers(1, 30, n)),
                          dtype="Int64"),
        "year": pd.array(np.where(rng.random(n) < 0.1, None, rng.integers(1998, 2024, n)),
                         dtype="Int64"),
        "sector": pd.Series(rng.choice(["farm", "sea", "home", "<NA>"], n), dtype="str"),
    })
    grid_ds = Dataset(records, grid, base.places, base.report, base.meta)
    long_ds = Dataset(records, grid.frame(), base.places, base.report, base.meta)
    return grid_ds, long_ds


@pytest.mark.parametrize("query", [
    FlowQuery(),
    FlowQuery(suppress=10, top=20),
    FlowQuery(suppress=0, level="region"),
    FlowQuery(suppress=5, level="country", colour_by="sector"),
    FlowQuery(suppress=0, years=(2005, 2010), leg_roles=("origin→transit", "transit→transit")),
    FlowQuery(suppress=3, focus="city:3", attributes={"sector": ["sea", "home"]}),
])
@pytest.mark.parametrize("totals_meanwhile", [False, True])
def test_the_grid_walk_counts_random_routes_as_the_long_walk_does(query, totals_meanwhile,
                                                                  monkeypatch):
    from _maps_data import make_countries

    from dashboard.maps import _walk

    # a big grid sums its place totals on a second thread: the same numbers either way
    threads = []
    monkeypatch.setattr(_walk, "BACKGROUND_CELLS", 0 if totals_meanwhile else 10**12)
    monkeypatch.setattr(_walk, "Thread", lambda **kw: threads.append(kw) or Thread(**kw))
    grid_ds, long_ds = random_grid_dataset()
    assert grid_ds.grid is not None
    assert long_ds.grid is None
    a = compute_flows(grid_ds, query, countries=make_countries())
    b = compute_flows(long_ds, query, countries=make_countries())
    assert len(a.flows) > 0
    assert a.summary.internal_legs > 0 or query.level == "place"
    pd.testing.assert_frame_equal(a.flows.drop(columns="geometry"),
                                  b.flows.drop(columns="geometry"))
    assert a.flows.geometry.equals(b.flows.geometry)
    pd.testing.assert_frame_equal(a.places, b.places)
    assert a.summary == b.summary
    assert a.withheld == b.withheld
    assert len(threads) == int(totals_meanwhile)


@pytest.mark.parametrize("query", [
    FlowQuery(suppress=5, top=20),
    FlowQuery(suppress=0, level="country", leg_roles=("origin→transit",)),
    FlowQuery(suppress=3, focus="city:3", years=(2005, 2015)),
])
def test_the_grid_walk_counts_routes_that_fill_every_slot_as_the_long_walk_does(query):
    """Every route as long as the grid is wide (two transits on every row): the walk
    takes every slot as it is, without looking for the filled ones."""
    from _maps_data import make_countries

    grid_ds, long_ds = random_grid_dataset(seed=9, n=2000, slots=4, empty=0.0)
    assert (grid_ds.grid.ids >= 0).all()
    a = compute_flows(grid_ds, query, countries=make_countries())
    b = compute_flows(long_ds, query, countries=make_countries())
    assert len(a.flows) > 0
    pd.testing.assert_frame_equal(a.flows.drop(columns="geometry"),
                                  b.flows.drop(columns="geometry"))
    pd.testing.assert_frame_equal(a.places, b.places)
    assert a.summary == b.summary
    assert a.withheld == b.withheld


@pytest.mark.parametrize("slots", [1, 2])
@pytest.mark.parametrize("dense_years", [True, False])
def test_the_grid_walk_agrees_for_short_routes_and_either_way_of_counting_years(
        slots, dense_years, monkeypatch):
    from _maps_data import make_countries

    from dashboard.maps import _walk

    if not dense_years:
        monkeypatch.setattr(_walk, "YEAR_BINS_LIMIT", 0)
    grid_ds, long_ds = random_grid_dataset(seed=slots, n=500, slots=slots)
    query = FlowQuery(suppress=0)
    a = compute_flows(grid_ds, query, countries=make_countries())
    b = compute_flows(long_ds, query, countries=make_countries())
    assert (len(a.flows) > 0) == (slots > 1)
    pd.testing.assert_frame_equal(a.flows.drop(columns="geometry"),
                                  b.flows.drop(columns="geometry"))
    pd.testing.assert_frame_equal(a.places, b.places)
    assert a.places["year_min"].notna().all()
    assert a.summary == b.summary


@pytest.mark.parametrize("query", [
    FlowQuery(suppress=5, top=20, colour_by="sector"),
    FlowQuery(suppress=10, top=8, min_count=30),  # the top 3 all end at Atlantis
    FlowQuery(suppress=3, top=4, level="country"),
    FlowQuery(suppress=0, top=None),
])
def test_the_drawn_corridors_equal_the_top_of_the_full_table(query):
    """A map builds only the shown rows; the full table, built later, must agree."""
    from _maps_data import make_countries

    grid_ds, _ = random_grid_dataset(seed=11)
    r = compute_flows(grid_ds, query, countries=make_countries())
    drawn = r.shown_flows  # worked out without the full table
    assert r._flows is None
    full = r.flows
    expected = full[full["shown"] & full.geometry.notna()]
    assert len(drawn) > 0
    pd.testing.assert_frame_equal(drawn.drop(columns="geometry"),
                                  expected.drop(columns="geometry"))
    assert drawn.geometry.equals(expected.geometry)
    assert r.summary.flows_total == len(full)
    assert r.summary.flows_shown == len(expected)
    assert r.summary.cases_shown == int(expected["count"].sum())
    back = pickle.loads(pickle.dumps(r))  # as the dashboard caches it: with its table
    pd.testing.assert_frame_equal(back.flows.drop(columns="geometry"),
                                  full.drop(columns="geometry"))

