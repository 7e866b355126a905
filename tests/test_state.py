"""View state <-> URL: every value parsed and validated, bad values become notices."""

from __future__ import annotations

import pytest
from test_library import small_dataset

from dashboard.state import (
    DEFAULT_DATASET,
    Facets,
    ViewState,
    facets_of,
    from_query_params,
    key_figures,
    parse_dataset_id,
    parse_years,
    record_mask,
    to_query_params,
)

FACETS = Facets(
    years=(2015, 2022),
    attributes={"gender": ("female", "male"), "exploitation": ("labour", "sexual")},
    places={"country:PAK": "Pakistan (country)", "city:1174872": "Karachi (city)"},
)


def test_defaults_from_an_empty_link() -> None:
    state, notices = from_query_params({}, FACETS)
    assert state == ViewState()
    assert notices == []
    assert to_query_params(state) == {"ds": DEFAULT_DATASET}


def test_full_link_round_trip() -> None:
    state = ViewState(dataset="pakistan-2019-a1b2c3", years=(2016, 2020),
                      filters={"gender": ("female",), "exploitation": ("labour", "sexual")},
                      focus="city:1174872", min_flow=3, top=20, colour_by="gender",
                      basemap="dark", k=10, role="transit", level="place")
    params = to_query_params(state)
    assert params["years"] == "2016-2020"
    assert params["f.exploitation"] == ["labour", "sexual"]
    back, notices = from_query_params(params, FACETS, available={"pakistan-2019-a1b2c3"})
    assert notices == []
    assert back == state


@pytest.mark.parametrize(
    ("params", "field", "needle"),
    [
        ({"years": "last decade"}, "years", "years="),
        ({"years": "1990-1995"}, "years", "covers 2015-2022"),
        ({"years": "2020-2016"}, "years", "years="),
        ({"top": "-4"}, "top", "top="),
        ({"top": "lots"}, "top", "top="),
        ({"min": "1e9"}, "min_flow", "min="),
        ({"k": "1000"}, "k", "k="),
        ({"basemap": "satellite"}, "basemap", "basemap="),
        ({"role": "victim"}, "role", "role="),
        ({"level": "continent"}, "level", "level="),
        ({"colour": "age"}, "colour_by", "colour="),
        ({"focus": "country:XXX"}, "focus", "focus="),
        ({"f.religion": "x"}, "filters", "religion"),
        ({"ds": "../../etc/passwd"}, "dataset", "dataset"),
        ({"ds": "gone-123abc"}, "dataset", "dataset"),
        ({"zoom": "3"}, "dataset", "unknown setting"),
    ],
)
def test_bad_values_keep_the_default_and_say_so(params, field, needle) -> None:
    state, notices = from_query_params(params, FACETS, available={"demo", "seed"})
    assert getattr(state, field) == getattr(ViewState(), field)
    assert len(notices) == 1
    assert needle in notices[0]


def test_bad_filter_values_are_dropped_good_ones_kept() -> None:
    state, notices = from_query_params({"f.gender": ["female", "<b>x</b>"]}, FACETS)
    assert state.filters == {"gender": ("female",)}
    assert len(notices) == 1
    assert "<b>x</b>" in notices[0]  # shown as text by the page, never as HTML


def test_years_partly_outside_are_narrowed_with_a_notice() -> None:
    state, notices = from_query_params({"years": "2010-2018"}, FACETS)
    assert state.years == (2015, 2018)
    assert "narrowed" in notices[0]


def test_long_values_are_shortened_in_notices() -> None:
    _, notices = from_query_params({"focus": "x" * 5000}, FACETS)
    assert len(notices[0]) < 200


def test_parse_helpers() -> None:
    assert parse_years("2019") == (2019, 2019)
    assert parse_years("2015..2020") == (2015, 2020)
    assert parse_years("20") is None
    assert parse_dataset_id(None) == (DEFAULT_DATASET, [])
    assert parse_dataset_id("seed", {"demo", "seed"}) == ("seed", [])


def test_record_identifiers_are_not_offered_as_filters() -> None:
    """A file's record_id became the filter 'Record id attr': a viewer could pick out
    one victim's record at a time."""
    from _maps_data import make_dataset

    n = 12
    ds = make_dataset([([0, 3], 5, 2019)] * n, attrs={
        "record_id": [f"r{i}" for i in range(n)], "ref_no": [str(i) for i in range(n)],
        "gender": ["f", "m"] * (n // 2), "Case ID": ["c"] * n})
    attrs = facets_of(ds).attributes
    assert set(attrs) == {"gender"}


def test_facets_and_selection_on_a_dataset() -> None:
    ds = small_dataset()
    facets = facets_of(ds)
    assert facets.years == (2019, 2021)
    assert facets.attributes == {"gender": ("female", "male")}
    assert facets.places["country:NAM"] == "Namibia (country)"
    assert facets.places["unresolved:atlantis"] == "Atlantis (unresolved)"

    everything = key_figures(ds, ViewState())
    assert (everything.records, everything.cases, everything.uncounted) == (3, 4, 1)
    assert everything.places == 6
    assert everything.years == (2019, 2021)

    women = ViewState(filters={"gender": ("female",)})
    assert record_mask(ds, women).tolist() == [True, False, True]
    in_2019 = ViewState(years=(2019, 2019))  # the record of unknown year drops out
    assert record_mask(ds, in_2019).tolist() == [True, False, False]
    via_dubai = key_figures(ds, ViewState(focus="city:4"))
    assert (via_dubai.records, via_dubai.cases, via_dubai.uncounted) == (1, 0, 1)


def test_two_places_of_one_name_get_distinct_labels() -> None:
    """The focus picker sends back the label it shows: with "Hyderabad (city)" for both
    Hyderabads, picking Pakistan's focused on India's (seen in Chromium)."""
    from loaders.load import load_dataset

    ds = load_dataset(b"origin,origin_country,destination,count,year\n"
                      b"Hyderabad,Pakistan,Dubai,12,2019\nHyderabad,India,Doha,30,2020\n",
                      name="hyd.csv", aliases=None)
    labels = facets_of(ds).places
    assert len(set(labels.values())) == len(labels)  # the places, their countries, regions
    assert len([k for k in labels if k.startswith("city:")]) == 4
    by_iso3 = dict(zip(ds.places["iso3"], ds.places["key"], strict=True))
    assert labels[by_iso3["IND"]] == "Hyderabad (city, IND)"
    assert labels[by_iso3["PAK"]] == "Hyderabad (city, PAK)"
    assert labels[by_iso3["QAT"]] == "Doha (city)"  # a name used once stays short


def test_state_maps_onto_the_flow_query() -> None:
    flows = pytest.importorskip("dashboard.maps.flows")
    q = ViewState(years=(2016, 2018), filters={"gender": ("female",)}, colour_by="gender",
                  k=10, top=20, level="place").to_flow_query()
    assert isinstance(q, flows.FlowQuery)
    assert (q.years, q.attributes, q.colour_by, q.suppress, q.top, q.level) == (
        (2016, 2018), {"gender": ["female"]}, "gender", 10, 20, "place")
    assert ViewState().to_flow_query().colour_by is None
