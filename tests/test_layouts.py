"""Input layouts (DESIGN §3): detection, overrides, and what each layout makes of rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pytest

from loaders.errors import SchemaError
from loaders.layouts import LAYOUTS, build_routes, detect_layout, spec_for
from loaders.model import ROLE_DTYPE
from loaders.readers import Table

UN_DESA = Path("/work/shared/data/un_desa_migrant_stock_2017_od_matrix.csv")


def table(columns: dict[str, list[str]], *, lines: list[int] | None = None,
          dictionary: bool = False, chunks: int = 1) -> Table:
    """A reader's Table of string columns (optionally dictionary-encoded, in chunks)."""
    arrays = {}
    for name, values in columns.items():
        parts = np.array_split(np.array(values, dtype=object), chunks)
        chunked = [pa.array(list(p), pa.string()) for p in parts]
        if dictionary:
            chunked = [c.dictionary_encode() for c in chunked]
        arrays[name] = pa.chunked_array(chunked)
    data = pa.table(arrays)
    return Table(data=data, lines=None if lines is None else np.array(lines, np.int64),
                 header_line=1, rows_read=data.num_rows, rejected=0, problems=[],
                 file_format="csv")


def build(t: Table):
    return build_routes(t, detect_layout(t))


def routes_of(raw) -> list[list[tuple[str, str]]]:
    """Each record's stops as (role, text), in order."""
    q = raw.queries["text"].to_numpy()
    out: list[list[tuple[str, str]]] = [[] for _ in range(len(raw.records))]
    for rid, role, qid in zip(raw.stops["record_id"], raw.stops["role"], raw.stops["query_id"],
                              strict=True):
        out[rid].append((role, q[qid]))
    return out


def check_invariants(raw) -> None:
    assert raw.records["record_id"].tolist() == list(range(len(raw.records)))
    assert raw.stops["seq"].dtype == np.int16
    assert raw.stops["role"].dtype == ROLE_DTYPE
    assert raw.stops["query_id"].dtype == np.int32
    assert str(raw.records["count"].dtype) == "Int64"
    assert str(raw.records["year"].dtype) == "Int64"
    # every query is used, and each (text, hint, lat, lon) appears once
    assert set(raw.stops["query_id"]) == set(range(len(raw.queries)))
    assert not raw.queries.round(7).duplicated().any()
    rejected = [p for p in raw.problems if not p.kept]
    assert raw.rejected_rows == len(rejected)


# ---- routes ------------------------------------------------------------------------------


def test_routes_detected_from_realistic_headers_and_transits_keep_order():
    t = table({
        "Country of Origin": ["Bangladesh", "Kyrgyzstan", "Pakistan", "Nepal"],
        "Transit Countries": ["India; Pakistan", "Kazakhstan | Russia", "Iran > Turkey",
                              "India → Oman -> Qatar"],
        "Destination Country": ["Pakistan", "Turkey", "Greece", "UAE"],
        "No. of victims": ["12", "3", "", "1,200"],
        "Year": ["2015", "2016", "2017", "2018"],
        "gender": ["female", "male", "female", "female"],
    })
    spec = detect_layout(t)
    assert spec.layout == "routes"
    assert spec.columns["origin"] == ["Country of Origin"]
    assert spec.columns["transit"] == ["Transit Countries"]
    assert spec.columns["destination"] == ["Destination Country"]
    assert spec.columns["count"] == "No. of victims"
    assert spec.columns["attributes"] == ["gender"]
    raw = build_routes(t, spec)
    check_invariants(raw)
    assert routes_of(raw)[0] == [("origin", "Bangladesh"), ("transit", "India"),
                                 ("transit", "Pakistan"), ("destination", "Pakistan")]
    assert [x for _, x in routes_of(raw)[3]] == ["Nepal", "India", "Oman", "Qatar", "UAE"]
    assert raw.records["count"].tolist()[:2] == [12, 3]
    assert raw.records["count"].isna().tolist() == [False, False, True, False]
    assert raw.records["count"][3] == 1200
    assert raw.records["gender"].tolist() == ["female", "male", "female", "female"]
    assert raw.stops.groupby("record_id")["seq"].apply(list)[3] == [0, 1, 2, 3, 4]
    # "Pakistan" as a transit and as a destination is one query
    assert (raw.queries["text"] == "Pakistan").sum() == 1
    assert raw.rows_read == 4
    assert raw.rejected_rows == 0


def test_numbered_transit_columns_in_numeric_order():
    t = table({"source": ["A"], "transit_10": ["J"], "transit_2": ["B"], "transit_1": ["X"],
               "to": ["Z"]})
    spec = detect_layout(t)
    assert spec.columns["transit"] == ["transit_1", "transit_2", "transit_10"]
    assert [x for _, x in routes_of(build_routes(t, spec))[0]] == ["A", "X", "B", "J", "Z"]


def test_city_and_country_pairs_give_a_country_hint():
    t = table({
        "origin_city": ["Hyderabad", "Hyderabad", ""],
        "origin_country": ["Pakistan", "India", "Bangladesh"],
        "destination_city": ["Kuala Lumpur", "Dubai", "Karachi"],
        "destination_country": ["Malaysia", "", "Pakistan"],
    })
    raw = build(t)
    check_invariants(raw)
    q = raw.queries.set_index(["text", "country_hint"])
    assert ("Hyderabad", "Pakistan") in q.index
    assert ("Hyderabad", "India") in q.index
    assert ("Dubai", "") in q.index
    # a blank city falls back to its country, as the place itself
    assert routes_of(raw)[2][0] == ("origin", "Bangladesh")
    assert ("Bangladesh", "") in q.index


def test_commas_split_only_when_the_column_holds_lists():
    cities = table({
        "origin": ["Karachi, Pakistan", "Dhaka, Bangladesh"],
        "transit": ["Quetta, Pakistan", "Kolkata, India; Karachi, Pakistan"],
        "destination": ["Muscat, Oman", "Dubai, UAE"],
    })
    got = routes_of(build(cities))
    assert got[0][1] == ("transit", "Quetta, Pakistan")
    assert [x for _, x in got[1]][1:3] == ["Kolkata, India", "Karachi, Pakistan"]
    # the pieces are places the file names on their own elsewhere: a list
    lists = table({
        "origin": ["Pakistan", "Nepal", "Iran"],
        "transit": ["Iran, Turkey", "India", "Turkey"],
        "destination": ["Greece", "Qatar", "Greece"],
    })
    assert [x for _, x in routes_of(build(lists))[0]] == ["Pakistan", "Iran", "Turkey", "Greece"]
    # too little evidence: kept whole, unless the header says it holds lists
    few = {"origin": ["Pakistan"], "destination": ["Greece"]}
    assert routes_of(build(table({**few, "transit": ["Iran, Turkey"]})))[0][1][1] == "Iran, Turkey"
    assert len(routes_of(build(table({**few, "transit_countries": ["Iran, Turkey"]})))[0]) == 4


def test_a_year_that_spans_years_is_read_as_its_first_and_said():
    """'2017-18' became 2017 and '2019/2020' 2019 with no word; '2015-03' is a month."""
    t = table({"origin": ["A", "B", "C", "D"], "destination": ["X", "X", "X", "X"],
               "count": ["1", "1", "1", "1"],
               "year": ["2017-18", "2019/2020", "2015-03", "2016 – 2017"]}, lines=[2, 3, 4, 5])
    raw = build(t)
    assert raw.records["year"].tolist() == [2017, 2019, 2015, 2016]
    noted = {p.row: p.message for p in raw.problems if p.kept}
    assert set(noted) == {2, 3, 5}
    assert noted[2] == "year '2017-18' spans years: read as its first"


def test_bad_counts_keep_their_rows_without_a_number_and_bad_years_are_blanked():
    """'~10', '10+' or '5.5' rejected the row and its route: only a row with no usable
    place is rejected (DESIGN §2); a count that is no number is one not reported."""
    t = table({
        "origin": ["A", "B", "C", "D", "E", "F"],
        "destination": ["X", "X", "X", "X", "X", "X"],
        "count": ["abc", "-3", "1.5", "", "7", "2"],
        "year": ["2015", "2016", "2017", "20x5", "3024", "03/04/2019"],
    }, lines=[10, 12, 13, 20, 21, 30])
    raw = build(t)
    check_invariants(raw)
    assert not [p for p in raw.problems if not p.kept]
    noted = {(p.row, p.column): p.message for p in raw.problems}
    assert noted[(10, "count")] == ("count 'abc' in 'count' is not a whole number ≥ 0; kept as "
                                    "reported without a number")
    assert "'-3'" in noted[(12, "count")]
    assert "20x5" in noted[(20, "year")]
    assert raw.records["line"].tolist() == [10, 12, 13, 20, 21, 30]
    assert raw.records["count"].isna().tolist() == [True, True, True, True, False, False]
    assert raw.records["count"].tolist()[4:] == [7, 2]
    assert raw.records["year"].isna().tolist() == [False] * 3 + [True, True, False]
    assert raw.rows_read == 6
    assert raw.rejected_rows == 0


def test_rows_without_any_place_are_rejected_with_their_lines():
    t = table({"origin": ["A", "-99", "unknown", " ", "NA"],
               "transit": ["", "n/a", "?", "", ""],
               "destination": ["", "", "", "", ""]})
    raw = build(t)
    check_invariants(raw)
    assert [p.row for p in raw.problems] == [3, 4, 5]
    assert all(p.message == "no place in origin, transit or destination" for p in raw.problems)
    # partial routes are kept; "NA" is text (Namibia), not missing
    assert list(routes_of(raw)) == [[("origin", "A")], [("origin", "NA")]]
    assert raw.rows_read == len(raw.records) + raw.rejected_rows


def test_dictionary_chunks_and_plain_strings_build_the_same():
    cols = {"origin": ["A", "B", "A", "C"] * 5, "transit": ["X;Y", "", "Y", "X"] * 5,
            "destination": ["D", "D", "E", ""] * 5, "year": ["2019", "2020", "", "x"] * 5}
    plain = build(table(cols))
    chunked = build(table(cols, dictionary=True, chunks=3))
    assert routes_of(plain) == routes_of(chunked)
    assert plain.records["year"].equals(chunked.records["year"])


# ---- overrides and errors ----------------------------------------------------------------


def test_override_mapping_and_unknown_columns():
    t = table({"start": ["A"], "hub": ["B"], "end_point": ["C"], "n": ["4"]})
    with pytest.raises(SchemaError, match="no layout fits"):
        detect_layout(t)
    spec = spec_for(t, "routes", {"origin": "start", "transit": ["hub"],
                                  "destination": ["end_point"]})
    raw = build_routes(t, spec)
    assert [x for _, x in routes_of(raw)[0]] == ["A", "B", "C"]
    assert raw.records["count"].tolist() == [4]
    assert raw.columns["origin"] == ["start"]
    with pytest.raises(SchemaError, match="nowhere"):
        spec_for(t, "routes", {"origin": "nowhere"})
    with pytest.raises(SchemaError, match="unknown layout"):
        spec_for(t, "sideways")
    with pytest.raises(SchemaError, match="needs"):
        spec_for(t, "legs")


def test_layout_override_keeps_detected_columns():
    t = table({"from": ["A", "B"], "to": ["B", "C"], "route_id": ["r", "r"], "leg": ["1", "2"]})
    assert detect_layout(t).layout == "legs"
    raw = build_routes(t, spec_for(t, "routes"))  # forced: one record per row
    assert len(raw.records) == 2
    assert spec_for(t, None, {"year": None}).layout == "legs"
    assert set(LAYOUTS) == {"routes", "legs", "matrix", "ctdc", "coordinates"}


# ---- legs --------------------------------------------------------------------------------


def test_legs_chain_by_route_id_in_leg_order():
    t = table({
        "route_id": ["r2", "r1", "r1", "r2", "r1", "r3"],
        "leg": ["2", "3", "1", "1", "2", "1"],
        "from": ["Tehran", "Muscat", "Karachi", "Kabul", "Dubai", "Dhaka"],
        "to": ["Istanbul", "Doha", "Dubai", "Tehran", "Muscat", ""],
        "count": ["5", "9", "9", "5", "9", "1"],
    })
    raw = build(t)
    check_invariants(raw)
    got = {tuple(x for _, x in r) for r in routes_of(raw)}
    assert ("Karachi", "Dubai", "Muscat", "Doha") in got
    assert ("Kabul", "Tehran", "Istanbul") in got
    karachi = next(r for r in routes_of(raw) if r[0][1] == "Karachi")
    assert [role for role, _ in karachi] == ["origin", "transit", "transit", "destination"]
    assert next(r for r in routes_of(raw) if r[0][1] == "Dhaka") == [("origin", "Dhaka")]
    assert len(raw.records) == 3
    assert raw.rejected_rows == 0


def test_a_route_of_legs_splits_where_they_do_not_join_or_change_count():
    """Dhaka -> Kolkata then Mumbai -> Dubai drew Kolkata -> Mumbai, a leg the file does
    not have; Kabul -> Tehran (3) then Tehran -> Istanbul (8) showed 3 on the second."""
    t = table({"route_id": ["r2", "r2", "r3", "r3"], "leg": ["1", "2", "1", "3"],
               "from": ["Kabul", "Tehran", "Dhaka", "Mumbai"],
               "to": ["Tehran", "Istanbul", "Kolkata", "Dubai"],
               "count": ["3", "8", "5", "5"]})
    raw = build(t)
    check_invariants(raw)
    assert sorted(tuple(x for _, x in r) for r in routes_of(raw)) == [
        ("Dhaka", "Kolkata"), ("Kabul", "Tehran"), ("Mumbai", "Dubai"), ("Tehran", "Istanbul")]
    assert sorted(raw.records["count"].tolist()) == [3, 5, 5, 8]
    said = sorted(p.message for p in raw.problems)
    assert said[0].startswith("this leg does not start where the previous leg")
    assert said[1] == ("this leg has 8 cases where the leg before it in its route had 3 "
                       "cases: it starts a route of its own")


def test_legs_without_route_id_are_records_each():
    t = table({"from": ["A", "B"], "to": ["B", "C"], "count": ["1", "2"]})
    raw = build(t)
    assert raw.columns.get("route_id") is None
    assert routes_of(raw) == [[("origin", "A"), ("destination", "B")],
                              [("origin", "B"), ("destination", "C")]]


# ---- matrix ------------------------------------------------------------------------------


def test_small_matrix_sets_aggregates_aside():
    t = table({
        "Year": ["2017"] * 6,
        "MajorArea": ["WORLD", "OCEANIA", "Micronesia", "Guam", "Micronesia", "USA"],
        "Total": ["100", "30", "20", "15", "5", "50"],
        "Philippines": ["60", "20", "15", "12", "3", "40"],
        "Japan": ["40", "10", "5", "3", "0", "#VALUE!"],
        "Palau": ["0", "0", "0", "0", "2", ""],
    })
    spec = detect_layout(t)
    assert spec.layout == "matrix"
    assert spec.columns["origins"] == ["Philippines", "Japan", "Palau"]
    assert "Total" in spec.columns["ignored"]
    raw = build_routes(t, spec)
    check_invariants(raw)
    assert raw.set_aside == ["WORLD", "OCEANIA", "Micronesia"]
    assert raw.rejected_rows == 3
    assert sorted(p.row for p in raw.problems if not p.kept) == [2, 3, 4]
    got = {(r[0][1], r[1][1]): c for r, c in zip(routes_of(raw), raw.records["count"],
                                                  strict=True)}
    assert got == {("Philippines", "Guam"): 12, ("Japan", "Guam"): 3,
                   ("Philippines", "Micronesia"): 3, ("Palau", "Micronesia"): 2,
                   ("Philippines", "USA"): 40}
    bad = [p for p in raw.problems if p.kept]
    assert [(p.row, p.column) for p in bad] == [(7, "Japan")]


@pytest.mark.skipif(not UN_DESA.exists(), reason="shared UN DESA file not present")
def test_real_un_desa_matrix():
    names = pcsv.read_csv(UN_DESA, read_options=pcsv.ReadOptions(block_size=1 << 16)).column_names
    data = pcsv.read_csv(UN_DESA, convert_options=pcsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False))
    t = Table(data=data, lines=None, header_line=1, rows_read=data.num_rows, rejected=0,
              problems=[], file_format="csv")
    spec = detect_layout(t)
    assert spec.layout == "matrix"
    assert spec.columns["destination"] == ["MajorArea"]
    assert spec.columns["year"] == "Year"
    assert set(spec.columns["ignored"]) >= {"Total", "Other North", "Other South"}
    assert len(spec.columns["origins"]) == 232
    raw = build_routes(t, spec)
    check_invariants(raw)
    assert {"WORLD", "More developed regions", "AFRICA", "Sub-Saharan Africa",
            "Australia/New Zealand", "LATIN AMERICA AND THE CARIBBEAN",
            "Micronesia"} <= set(raw.set_aside)
    assert "USA" not in raw.set_aside
    messages = {p.message for p in raw.problems}
    assert "aggregate row 'WORLD' set aside" in messages
    # rows read = rows kept + rows rejected; each matrix row is a file row
    kept_rows = raw.rows_read - raw.rejected_rows
    assert raw.rows_read == 1917
    assert kept_rows == 1917 - raw.rejected_rows
    assert len(set(raw.records["line"])) <= kept_rows
    assert raw.records["year"].min() == 1990
    assert raw.records["year"].max() == 2017
    # Micronesia the country stays as a destination; the region row (larger total) does not
    routes = routes_of(raw)
    dest = {r[-1][1] for r in routes}
    assert "Micronesia" in dest
    assert "WORLD" not in dest
    assert "Melanesia" not in dest
    world_line = next(p.row for p in raw.problems if p.message.endswith("'WORLD' set aside"))
    assert world_line == 2
    # a real cell: Pakistan -> Afghanistan in 1990 (row of Afghanistan's destination)
    afg = raw.records[(raw.records["year"] == 1990)].index
    pairs = {(routes[i][0][1], routes[i][1][1]): raw.records["count"][i] for i in afg}
    assert pairs[("Pakistan", "Afghanistan")] > 0


# ---- CTDC --------------------------------------------------------------------------------


def test_ctdc_iso2_namibia_missing_and_blank_exploitation_country():
    t = table({
        "notice": ["", "", "", "", ""],
        "yearOfRegistration": ["2016", "2017", "-99", "2019", "2018"],
        "Datasource": ["Case Management"] * 5,
        "gender": ["Female", "Male", "NA", "-99", "Female"],
        "ageBroad": ["9--17", "18--20", "-99", "NA", "30--38"],
        "majorityStatus": ["Minor", "Adult", "-99", "Adult", "Adult"],
        "citizenship": ["NA", "UA", "-99", "-99", "PH"],
        "CountryOfExploitation": ["ZA", "", "-99", "NA", "MY"],
        "isForcedLabour": ["1", "0", "1", "-99", "1"],
        "isSexualExploit": ["0", "0", "0", "-99", "1"],
        "isOtherExploit": ["0", "1", "0", "-99", "0"],
        "meansOfDebtBondage": ["1", "0", "0", "-99", "0"],
        "meansOfThreats": ["1", "0", "0", "0", "0"],
        "typeOfLabourDomesticWork": ["0", "0", "0", "0", "1"],
    })
    spec = detect_layout(t)
    assert spec.layout == "ctdc"
    raw = build_routes(t, spec)
    check_invariants(raw)
    routes = routes_of(raw)
    assert routes[0] == [("origin", "NA"), ("destination", "ZA")]  # NA is Namibia
    assert routes[1] == [("origin", "UA")]  # k-anonymised exploitation country: kept
    assert [p.row for p in raw.problems if not p.kept] == [4]  # -99 / -99: no place
    assert routes[2] == [("destination", "NA")]
    r = raw.records
    assert r["count"].tolist() == [1, 1, 1, 1]
    assert r["year"].tolist() == [2016, 2017, 2019, 2018]
    assert r["exploitation"].tolist()[:2] == ["forced labour", "other"]
    assert r["exploitation"].isna()[2]
    assert r["exploitation"][3] == "several"
    assert r["means_of_control"][0] == "debt bondage; threats"
    assert r["type_of_labour"][3] == "domestic work"
    assert r["citizenship"][0] == "NA"  # a country code column: Namibia
    assert r["gender"].isna().tolist() == [False, False, True, False]  # "-99" missing
    assert r["age_group"].isna().tolist() == [False, False, True, False]  # "NA" missing
    assert r["source"][0] == "Case Management"
    assert "notice" not in r.columns


# ---- coordinates -------------------------------------------------------------------------


def test_coordinate_columns_per_role():
    t = table({
        "origin_name": ["Karachi", "", "Lahore"],
        "origin_lat": ["24.86", "24.86", "95"],
        "origin_lon": ["67.01", "67.01", "74.3"],
        "destination_latitude": ["3.14", "", "25.27"],
        "destination_longitude": ["101.69", "", "55.30"],
    })
    spec = detect_layout(t)
    assert spec.layout == "coordinates"
    raw = build_routes(t, spec)
    check_invariants(raw)
    q = raw.queries
    karachi = q[q["text"] == "Karachi"].iloc[0]
    assert (karachi["lat"], karachi["lon"]) == (pytest.approx(24.86), pytest.approx(67.01))
    assert "24.8600, 67.0100" in set(q["text"])  # unnamed coordinates name themselves
    lahore = q[q["text"] == "Lahore"].iloc[0]
    assert np.isnan(lahore["lat"])  # latitude 95 set aside, the name kept for the gazetteer
    assert [(p.row, p.column) for p in raw.problems] == [(4, "origin_lat")]
    assert routes_of(raw)[1] == [("origin", "24.8600, 67.0100")]


def point(x: float, y: float) -> dict:
    return {"type": "Point", "coordinates": [x, y]}


def test_geojson_lines_and_points():
    line = {"type": "LineString", "coordinates": [[67.01, 24.86], [55.3, 25.27], [101.69, 3.14]]}
    multi = {"type": "MultiLineString", "coordinates": [[[1, 2], [3, 4]], [[3, 4], [5, 6]]]}
    t = table({
        "__geometry__": [json.dumps(line), json.dumps(point(74.3, 31.5)), json.dumps(multi),
                         json.dumps(point(1, 1)), "null"],
        "name": ["", "Lahore", "", "", ""],
        "origin": ["Karachi", "", "", "", ""],
        "role": ["", "origin", "", "", ""],
        "cases": ["2", "3", "1", "4", "1"],
        "exploitation": ["labour", "sexual", "labour", "labour", "labour"],
    })
    spec = detect_layout(t)
    assert spec.layout == "coordinates"
    raw = build_routes(t, spec)
    check_invariants(raw)
    routes = routes_of(raw)
    assert routes[0] == [("origin", "Karachi"), ("transit", "25.2700, 55.3000"),
                         ("destination", "3.1400, 101.6900")]
    assert routes[1] == [("origin", "Lahore")]
    assert [x for _, x in routes[2]] == ["2.0000, 1.0000", "4.0000, 3.0000", "6.0000, 5.0000"]
    assert routes[3] == [("destination", "1.0000, 1.0000")]
    assert raw.records["count"].tolist() == [2, 3, 1, 4]
    assert raw.records["exploitation"].tolist() == ["labour", "sexual", "labour", "labour"]
    assert [(p.row, p.kept) for p in raw.problems] == [(6, False)]
    lahore = raw.queries[raw.queries["text"] == "Lahore"].iloc[0]
    assert (lahore["lat"], lahore["lon"]) == (pytest.approx(31.5), pytest.approx(74.3))


def test_plain_lat_lng_points_with_names():
    t = table({"lat": ["24.86", "31.5"], "lng": ["67.01", "74.3"], "city": ["Karachi", ""]})
    raw = build(t)
    assert routes_of(raw) == [[("destination", "Karachi")], [("destination", "31.5000, 74.3000")]]


@pytest.mark.parametrize("columns", [
    {"origin": [], "transit": [], "destination": [], "count": []},
    {"from": [], "to": [], "route_id": [], "leg": []},
    {"citizenship": [], "CountryOfExploitation": []},
    {"lat": [], "lon": []},
    {"__geometry__": []},
])
def test_empty_tables_build_empty_routes(columns):
    raw = build(table(columns))
    assert len(raw.records) == len(raw.stops) == len(raw.queries) == 0
    assert raw.rows_read == raw.rejected_rows == 0


@pytest.mark.parametrize("cells", [
    ["Dubai; Muscat", " Lahore ;Karachi;  ", "", "Kabul", "; ;", "NA; -99;Tehran"],
    ["Dubai > Muscat", "Almaty -> Moscow", "A | B ; C", "Kabul", "Doha → Riyadh"],
])
def test_place_lists_split_the_same_with_or_without_the_literal_shortcut(cells):
    from loaders._layout_routes import _SPLIT, split_entries, split_places

    entries = pa.array(cells, pa.string())
    fast, fast_parent = split_places(entries, commas=False)
    slow, slow_parent = split_entries(entries, _SPLIT.pattern)
    assert fast.to_pylist() == slow.to_pylist()
    assert fast_parent.tolist() == slow_parent.tolist()
    if cells[0] == "Dubai; Muscat":
        assert fast.to_pylist() == ["Dubai", "Muscat", "Lahore", "Karachi", "Kabul", "NA",
                                    "Tehran"]
