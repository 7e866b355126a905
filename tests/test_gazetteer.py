"""The bundled gazetteer files and the Gazetteer API the maps and the review UI use."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely

from geodata import data_path
from loaders.gazetteer import get_gazetteer, haversine_km
from loaders.normalize import normalise, normalise_many

FILES = ("countries.parquet", "country_names.parquet", "cities.parquet",
         "city_names.parquet", "regions.json")


@pytest.fixture(scope="module")
def gz():
    return get_gazetteer()


@pytest.mark.parametrize(("text", "key"), [
    ("U.A.E.", "uae"),
    ("The  Gambia ", "gambia"),
    ("Côte d’Ivoire", "cote divoire"),
    ("Cote d'Ivoire", "cote divoire"),
    ("St. Kitts & Nevis", "st kitts and nevis"),
    ("Guinea-Bissau", "guinea bissau"),
    ("Australia/New Zealand", "australia new zealand"),
    ("ＫＳＡ", "ksa"),  # full-width letters (NFKC)
    ("İstanbul", "istanbul"),
    ("ঢাকা", "ঢাকা"),  # Bengali vowel signs are not accents
    ("मुंबई", "मुंबई"),
    ("كراچي", "کراچی"),  # Arabic kaf/yeh typed for Urdu ones
    ("Пакистан", "пакистан"),
    ("", ""),
])
def test_normalise(text, key):
    assert normalise(text) == key


def test_normalise_many_keeps_alignment_and_missing():
    s = pd.Series(["U.A.E.", None, "U.A.E.", "Iraq"], dtype="str")
    assert normalise_many(s).tolist() == ["uae", "", "uae", "iraq"]


def test_files_exist_and_stay_small():
    sizes = [data_path(f).stat().st_size for f in FILES]
    assert sum(sizes) < 15e6
    assert "ODbL" in data_path("SOURCES.md").read_text("utf-8")


def test_countries_for_maps(gz):
    c = gz.countries()
    assert list(c.columns) == ["iso3", "name", "region", "subregion", "label_lat",
                               "label_lon", "geometry"]
    assert c.crs.to_epsg() == 4326
    assert len(c) >= 240
    assert c["iso3"].is_unique
    assert c.geometry.is_valid.all()
    pak = c.set_index("iso3").loc["PAK"]
    assert pak.geometry.contains(shapely.Point(67.01, 24.86))  # Karachi
    # overseas departments have their own polygon, not France's
    assert c.set_index("iso3").loc["GUF"].geometry.contains(shapely.Point(-52.33, 4.93))
    assert not c.set_index("iso3").loc["FRA"].geometry.contains(shapely.Point(-52.33, 4.93))


def test_label_points_fall_inside_their_country(gz):
    c = gz.countries()
    inside = gz.iso3_at(c["label_lat"].to_numpy(), c["label_lon"].to_numpy()) == c["iso3"]
    assert inside.mean() > 0.98


@pytest.fixture(scope="module")
def shapes() -> dict[str, shapely.Geometry]:
    c = pd.read_parquet(data_path("countries.parquet"))
    return {i: shapely.from_wkb(g) for i, g in zip(c["iso3"], c["geometry"], strict=True)
            if g is not None}


def test_no_country_wraps_round_the_antimeridian(shapes):
    # A part more than half the world wide is a ring that jumped across ±180: Leaflet
    # draws it as a band across the whole map. Only Antarctica goes all the way round.
    for iso3, geom in shapes.items():
        assert geom.geom_type in ("Polygon", "MultiPolygon"), iso3
        for part in shapely.get_parts(geom):
            x0, _, x1, _ = part.bounds
            assert x0 >= -180, iso3
            assert x1 <= 180, iso3
            assert iso3 == "ATA" or x1 - x0 < 180, iso3
    ata = shapely.get_parts(shapes["ATA"])
    assert any(p.bounds[0] == -180 and p.bounds[2] == 180 and p.bounds[1] == -90 for p in ata)
    assert all(p.bounds[3] < -60 for p in ata)


@pytest.mark.parametrize("iso3", ["RUS", "FJI", "USA", "KIR", "NZL", "ATA"])
def test_shapes_near_the_antimeridian_are_valid(shapes, iso3):
    assert shapes[iso3].is_valid


def test_shapes_cut_at_the_antimeridian_keep_both_sides(shapes):
    rus, fji = shapes["RUS"], shapes["FJI"]
    assert rus.contains(shapely.Point(-175.0, 67.0))  # Chukotka east of the line
    assert rus.contains(shapely.Point(170.0, 67.0))
    assert not rus.contains(shapely.Point(0.0, 67.0))  # Norwegian Sea, not a band of Russia
    assert fji.contains(shapely.Point(178.0, -17.8))  # Viti Levu
    assert any(p.bounds[2] < -178 for p in shapely.get_parts(fji))  # Lau Islands
    assert not fji.contains(shapely.Point(0.0, -16.5))
    assert 1.2 < fji.area < 1.8  # about 18,000 km2 at 17°S


def test_every_label_point_lies_in_its_country(shapes):
    c = pd.read_parquet(data_path("countries.parquet")).set_index("iso3")
    for iso3, geom in shapes.items():
        assert geom.contains(shapely.Point(c.at[iso3, "label_lon"], c.at[iso3, "label_lat"])), iso3
    assert c.at["FJI", "label_lon"] > 177  # on Viti Levu, not on the far side of the line


@pytest.mark.parametrize(("iso3", "city"), [
    ("MYS", (101.69, 3.14)),  # Kuala Lumpur: the peninsula, not Borneo
    ("NZL", (174.76, -36.85)),  # Auckland: the North Island
    ("IDN", (106.85, -6.21)),  # Jakarta: Java
    ("TUR", (32.85, 39.93)),  # Ankara: Anatolia, not Thrace
    ("USA", (-95.37, 29.76)),  # Houston: the mainland, not an island
])
def test_a_country_point_sits_on_its_most_populous_landmass(shapes, iso3, city):
    """Arcs to a country meet at its point: on the landmass where most people live."""
    c = pd.read_parquet(data_path("countries.parquet")).set_index("iso3")
    point = shapely.Point(c.at[iso3, "label_lon"], c.at[iso3, "label_lat"])
    landmass = min(shapely.get_parts(shapes[iso3]), key=shapely.Point(city).distance)
    assert landmass.contains(point), iso3


def test_country_record(gz):
    nam = gz.country("NAM")
    assert nam["iso2"] == "NA"
    assert nam["name"] == "Namibia"
    assert nam["m49"] == "516"
    assert gz.country("pak")["subregion"] == "Southern Asia"
    assert gz.country("XXX") is None


def test_country_names_are_unambiguous():
    names = pd.read_parquet(data_path("country_names.parquet"))
    assert names["key"].is_unique
    assert set(names["kind"]) == {"code", "name", "alt", "translation"}
    by_key = dict(zip(names["key"], names["iso3"], strict=True))
    assert by_key["na"] == "NAM"
    assert by_key["ksa"] == "SAU"
    assert by_key["پاکستان"] == "PAK"
    assert by_key["indian"] == "IND"  # the UN member, not the British Indian Ocean Territory


def test_regions(gz):
    regions = json.loads(data_path("regions.json").read_text("utf-8"))
    for code in ("MIDDLE_EAST", "GCC", "SOUTH_ASIA", "SOUTHEAST_ASIA", "UN_CENTRAL_ASIA",
                 "UN_EASTERN_ASIA", "EUROPE", "UN_EASTERN_EUROPE", "UN_WESTERN_EUROPE",
                 "UN_SOUTHERN_EUROPE", "UN_NORTHERN_EUROPE", "UN_NORTHERN_AFRICA",
                 "UN_WESTERN_AFRICA", "UN_EASTERN_AFRICA", "UN_MIDDLE_AFRICA",
                 "UN_SOUTHERN_AFRICA", "SUB_SAHARAN_AFRICA", "LATIN_AMERICA", "UN_CARIBBEAN",
                 "UN_NORTHERN_AMERICA", "OCEANIA"):
        spec = regions[code]
        assert spec["members"]
        assert -90 <= spec["lat"] <= 90
        assert -180 <= spec["lon"] <= 180
    assert gz.region("GCC") == ["ARE", "BHR", "KWT", "OMN", "QAT", "SAU"]
    assert gz.region("region:GCC") == gz.region("gcc")
    assert "PAK" in gz.region("SOUTH_ASIA")
    assert "TUR" in gz.region("MIDDLE_EAST")
    assert "SDN" in gz.region("SUB_SAHARAN_AFRICA")
    assert "EGY" not in gz.region(
        "SUB_SAHARAN_AFRICA")
    assert gz.region("NOWHERE") == []
    # a region's centre lies among its members
    me = gz.resolve_key("region:MIDDLE_EAST")
    assert haversine_km(me["lat"], me["lon"], 29.0, 42.0) < 800


def test_resolve_key(gz):
    assert gz.resolve_key("country:PAK")["name"] == "Pakistan"
    karachi = gz.resolve_key("city:1174872")
    assert karachi["kind"] == "city"
    assert karachi["iso3"] == "PAK"
    assert haversine_km(karachi["lat"], karachi["lon"], 24.8608, 67.0104) < 20
    gcc = gz.resolve_key("region:GCC")
    assert gcc["kind"] == "region"
    assert gcc["members"].split() == gz.region("GCC")
    assert gz.resolve_key("city:0") is None


def test_iso3_at(gz):
    out = gz.iso3_at(np.array([24.86, 0.0, 51.5]), np.array([67.01, -30.0, -0.12]))
    assert out.tolist() == ["PAK", "", "GBR"]


def test_search_ranks_the_hinted_country_first(gz):
    hits = gz.search("Hyderbad", limit=5, country="Pakistan")
    assert list(hits.columns) == ["name", "kind", "iso3", "lat", "lon", "key", "score"]
    assert hits.iloc[0]["iso3"] == "PAK"
    assert hits.iloc[0]["name"] == "Hyderabad"
    assert len(hits) <= 5


@pytest.mark.parametrize(("typed", "countries"), [("Hyderbad", {"IND", "PAK"}),
                                                  ("Tripolli", {"LBY", "LBN"})])
def test_a_misspelt_search_finds_every_place_of_the_name(gz, typed, countries):
    """Only India's Hyderabad came back for "Hyderbad": an analyst fixing Pakistan's
    could not pick it."""
    hits = gz.search(typed, limit=10)
    assert countries <= set(hits.loc[hits["score"] == hits["score"].max(), "iso3"])


def test_search_exact_and_empty(gz):
    hits = gz.search("Karachi")
    assert hits.iloc[0]["key"] == "city:1174872"
    assert hits.iloc[0]["score"] == 100
    assert gz.search("").empty
    assert gz.search("Saudia Arabia").iloc[0]["key"] == "country:SAU"


def test_gazetteer_is_loaded_once():
    assert get_gazetteer() is get_gazetteer()


def test_rows_named_finds_every_name_row_of_each_key_in_order():
    gz = get_gazetteer()
    keys = ["hyderabad", "no such place", "pakistan", "hyderabad", "ksa"]
    which, rows = gz.rows_named(keys)
    all_keys = gz.names["key"].to_numpy(object)
    expected_which, expected_rows = [], []
    for i, key in enumerate(keys):
        hits = np.flatnonzero(all_keys == key)
        expected_which += [i] * len(hits)
        expected_rows += hits.tolist()
    assert which.tolist() == expected_which
    assert rows.tolist() == expected_rows
    assert len(np.flatnonzero(which == 0)) >= 2  # Hyderabad in Pakistan and in India
    assert 1 not in which.tolist()
