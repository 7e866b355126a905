"""``routemap map --focus``: a place as a person writes it, never a silent empty map."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from _maps_data import PLACES, make_countries, make_dataset, make_places

from dashboard.maps.flows import FlowQuery, QueryError, compute_flows
from dashboard.maps.focus_place import resolve_focus

ROUTEMAP = Path(sys.executable).with_name("routemap")

NAMESAKES = [*PLACES,
             ("city:6", "Hyderabad", "city", "PAK", 25.39, 68.37),
             ("city:7", "Hyderabad", "city", "IND", 17.38, 78.49),
             ("city:8", "Johor Bahru", "city", "MYS", 1.46, 103.76)]


@pytest.fixture
def dataset():
    places = make_places(NAMESAKES)
    places.loc[places["key"] == "city:8", "query"] = "JB"  # as the file wrote it
    return make_dataset([([0, 3], 10, 2019), ([1, 6, 4], 7, 2020), ([2, 7, 4], 6, 2021),
                         ([2, 0], 5, 2018), ([1, 8], 9, 2019)], places=places)


@pytest.mark.parametrize(("typed", "key"), [
    ("city:2", "city:2"),  # a key as it is
    ("COUNTRY:bgd", "country:BGD"),  # keys ignore case
    ("lahore", "city:2"),  # a place by name, any case
    ("  Kuala  Lumpur ", "city:3"),
    ("jb", "city:8"),  # as the file wrote it
    ("Pakistan", "country:PAK"),  # a country the places are in, by name
    ("PAK", "country:PAK"),  # or code
    ("pk", "country:PAK"),  # or any code or spelling the gazetteer knows
    ("United Arab Emirates", "country:ARE"),
    ("Southern Asia", "region:Southern Asia"),  # the region of those countries
])
def test_a_focus_is_found_by_key_name_country_or_region(dataset, typed, key):
    assert resolve_focus(dataset, typed, make_countries()) == key


def test_a_name_of_two_places_is_refused_with_both_keys(dataset):
    with pytest.raises(QueryError) as error:
        resolve_focus(dataset, "Hyderabad", make_countries())
    message = str(error.value)
    assert "names 2 places" in message
    assert "Hyderabad (city, PAK) = city:6" in message
    assert "Hyderabad (city, IND) = city:7" in message
    assert "\n" not in message


def test_a_typo_is_refused_with_the_nearest_names(dataset):
    with pytest.raises(QueryError, match=r"no place 'Lahor'.*did you mean Lahore "
                                         r"\(city, PAK\) = city:2\?"):
        resolve_focus(dataset, "Lahor", make_countries())
    with pytest.raises(QueryError, match=r"did you mean Southern Asia \(region\)"):
        resolve_focus(dataset, "Sothern Asiaa", make_countries())


def test_regions_as_people_who_work_on_routes_name_them(dataset):
    """"Gulf", "GCC", "Middle East" and "South Asia" were refused: only the UN's
    subregion names worked. A gazetteer region focuses on its member countries."""
    countries = make_countries()
    assert resolve_focus(dataset, "Gulf", countries) == "region:GCC"
    assert resolve_focus(dataset, "gcc", countries) == "region:GCC"
    assert resolve_focus(dataset, "South Asia", countries) == "region:SOUTH_ASIA"
    assert resolve_focus(dataset, "Southern Asia", countries) == "region:Southern Asia"
    gulf = compute_flows(dataset, FlowQuery(suppress=0, focus="region:GCC"), countries=countries)
    uae = compute_flows(dataset, FlowQuery(suppress=0, focus="country:ARE"), countries=countries)
    assert len(gulf.flows) > 0  # the UAE is the one Gulf country of this dataset
    assert gulf.summary.records_selected == uae.summary.records_selected
    assert gulf.flows["count"].tolist() == uae.flows["count"].tolist()


def test_a_name_far_from_any_gives_examples_from_the_dataset(dataset):
    with pytest.raises(QueryError) as error:
        resolve_focus(dataset, "Zzyzx", make_countries())
    assert "e.g. Karachi (city, PAK), Bangladesh (country), Western Asia (region)" in str(
        error.value)


def test_a_focus_by_name_selects_what_its_key_selects(dataset):
    countries = make_countries()
    key = resolve_focus(dataset, "Bangladesh", countries)
    by_name = compute_flows(dataset, FlowQuery(focus=key, suppress=0), countries=countries)
    by_key = compute_flows(dataset, FlowQuery(focus="country:BGD", suppress=0),
                           countries=countries)
    assert by_name.summary == by_key.summary
    assert by_name.summary.records_selected == 2


def _map(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([ROUTEMAP, "map", "demo", "-o", str(tmp_path / "m.html"), *args],
                          capture_output=True, text=True, check=False)


def test_the_map_command_focuses_on_a_country_by_name(tmp_path):
    by_name = _map("--focus", "Pakistan", tmp_path=tmp_path)
    by_key = _map("--focus", "country:PAK", tmp_path=tmp_path)
    assert by_name.returncode == by_key.returncode == 0
    assert by_name.stderr == by_key.stderr
    assert "698 records" in by_name.stderr


def test_the_map_command_refuses_an_unknown_focus_in_one_line(tmp_path):
    done = _map("--focus", "Lahor", tmp_path=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("routemap: no place 'Lahor'")
    assert "city:1172451" in done.stderr
    assert not (tmp_path / "m.html").exists()


@pytest.mark.parametrize(("years", "said"), [
    ("2030-2040", "no record in 2030-2040, so the map is empty: the dated records are of "
                  "2000-2024"),
    ("2030-", "no record in 2030 or later"),
    ("-1990", "no record in 1990 or earlier"),
])
def test_the_map_command_says_why_a_map_is_empty(tmp_path, years, said):
    done = _map("--years", years, tmp_path=tmp_path)
    assert done.returncode == 0
    assert "0 records, 0 corridors drawn" in done.stderr
    assert f"routemap: {said}" in done.stderr


def test_the_map_command_says_when_no_corridor_reaches_the_minimum(tmp_path):
    """--min-count 100000 drew an empty map and said only '0 corridors drawn'."""
    done = _map("--min-count", "100000", tmp_path=tmp_path)
    assert done.returncode == 0
    assert "routemap: no corridor has 100,000 or more cases (--min-count), so the map " \
        "draws none" in done.stderr
    assert "--min-count" not in _map("--min-count", "5", tmp_path=tmp_path).stderr


def test_a_map_with_records_says_nothing_about_emptiness(tmp_path):
    done = _map("--years", "2019", tmp_path=tmp_path)
    assert done.returncode == 0
    assert "empty" not in done.stderr


def test_a_name_of_a_country_and_its_city_means_the_country():
    """Focusing on a country includes its places, so "Singapore" needs no key."""
    places = make_places([("city:1", "Singapore", "city", "SGP", 1.29, 103.85),
                          ("country:SGP", "Singapore", "country", "SGP", 1.35, 103.8),
                          ("city:2", "Karachi", "city", "PAK", 24.86, 67.01)])
    dataset = make_dataset([([2, 0], 5, 2019), ([2, 1], 6, 2020)], places=places)
    assert resolve_focus(dataset, "singapore") == "country:SGP"


def test_the_map_command_never_withholds_less_than_five(tmp_path):
    """A map file and its exports are made to be shared, as the dashboard's exports
    and its Present page: --suppress below 5 is raised to 5, and it says so."""
    done = _map("--suppress", "0", "--places-csv", str(tmp_path / "p.csv"), tmp_path=tmp_path)
    assert done.returncode == 0
    assert done.stderr.splitlines()[0] == ("routemap: counts below 5 are always withheld in a "
                                           "map and its exports (--suppress 0 asked for less)")
    assert "withheld (counts below 5)" in done.stderr
    import csv

    with (tmp_path / "p.csv").open(encoding="utf-8") as fh:
        values = [row[c] for row in csv.DictReader(fh) for c in ("out", "through", "in")]
    assert not [v for v in values if v and 0 < int(v) < 5]
    assert "always withheld" not in _map("--suppress", "10", tmp_path=tmp_path).stderr


@pytest.mark.parametrize("option", ["-o", "--places-csv", "--png"])
def test_the_map_command_refuses_a_folder_for_a_file_in_one_line(tmp_path, option):
    """It failed after the work, naming its temporary file ('Is a directory: .tmp-x')."""
    folder = tmp_path / "maps"
    folder.mkdir()
    args = (["map", "demo", "-o", str(folder)] if option == "-o" else
            ["map", "demo", "-o", str(tmp_path / "m.html"), option, str(folder)])
    done = subprocess.run([ROUTEMAP, *args], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr == f"routemap: {option} must name a file to write, not a folder: " \
        f"{str(folder)!r}\n"
