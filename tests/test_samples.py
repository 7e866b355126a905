"""The bundled samples: the demo is reproducible and shaped as described, the seed says
only what the article says (one count, 11 infants from Karachi to Malaysia in 2002)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from geodata.samples import make_demo
from loaders.samples import SAMPLES, is_sample, sample_meta, sample_path

SAMPLES_DIR = Path(make_demo.__file__).resolve().parent


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def demo() -> list[dict[str, str]]:
    return read_rows(SAMPLES_DIR / "demo.csv")


@pytest.fixture(scope="module")
def seed() -> list[dict[str, str]]:
    return read_rows(SAMPLES_DIR / "seed.csv")


def stops(row: dict[str, str]) -> list[str]:
    transit = [t.strip() for t in row["transit"].split(";") if t.strip()]
    return [p for p in (row["origin"], *transit, row["destination"]) if p]


# --- lookup by name ---------------------------------------------------------------------


def test_sample_names_resolve_to_bundled_files():
    assert set(SAMPLES) == {"demo", "seed"}
    for name in SAMPLES:
        assert is_sample(name)
        assert sample_path(name) == SAMPLES_DIR / f"{name}.csv"
    assert not is_sample("demo.csv")
    assert not is_sample(None)
    assert sample_path("nope") is None


def test_sample_meta_flags_only_the_demo_as_synthetic():
    demo_meta, seed_meta = sample_meta("demo"), sample_meta("seed")
    assert demo_meta["synthetic"] is True
    assert demo_meta["name"] == "Demo (synthetic)"
    assert "make_demo.py" in demo_meta["source"]
    assert demo_meta["licence"].startswith("CC0")
    assert seed_meta["synthetic"] is False
    assert seed_meta["name"] == "Seed article routes"
    assert "IRIN" in seed_meta["source"]
    assert seed_meta["licence"]
    with pytest.raises(KeyError):
        sample_meta("nope")


# --- demo -------------------------------------------------------------------------------


def test_demo_generator_reproduces_the_committed_bytes(tmp_path):
    csv_path, meta_path = make_demo.make_demo(tmp_path)
    assert csv_path.read_bytes() == (SAMPLES_DIR / "demo.csv").read_bytes()
    assert meta_path.read_bytes() == (SAMPLES_DIR / "demo.meta.json").read_bytes()


def test_demo_seed_changes_the_data(tmp_path):
    other, _ = make_demo.make_demo(tmp_path, seed=make_demo.SEED + 1)
    assert other.read_bytes() != (SAMPLES_DIR / "demo.csv").read_bytes()


def test_demo_meta_names_its_seed():
    meta = json.loads((SAMPLES_DIR / "demo.meta.json").read_text(encoding="utf-8"))
    assert meta["source"].endswith(f"seed {make_demo.SEED}")


def test_demo_shape_columns_and_size(demo):
    assert len(demo) == 4000
    assert list(demo[0]) == list(make_demo.COLUMNS)
    assert [int(r["record_id"]) for r in demo] == list(range(1, 4001))
    assert {r["source"] for r in demo} == {"synthetic"}
    assert {r["gender"] for r in demo} == {"female", "male"}
    assert {r["age_group"] for r in demo} == {"child", "adult"}
    assert set(make_demo.EXPLOITATIONS) == {r["exploitation"] for r in demo}
    assert (SAMPLES_DIR / "demo.csv").stat().st_size < 400_000


def test_demo_counts_are_cases_with_a_minority_of_aggregates(demo):
    counts = [int(r["count"]) for r in demo]
    assert min(counts) == 1
    assert max(counts) <= 40
    aggregated = sum(c > 1 for c in counts)
    assert 0.02 * len(demo) < aggregated < 0.12 * len(demo)


def test_demo_years_span_2000_2024_and_rise(demo):
    years = [int(r["year"]) for r in demo]
    assert min(years) == 2000
    assert max(years) == 2024
    early = sum(2000 <= y <= 2004 for y in years)
    late = sum(2015 <= y <= 2019 for y in years)
    assert late > 1.8 * early
    # the pandemic dip
    assert years.count(2020) < years.count(2019) * 0.75


def test_demo_has_the_described_corridors(demo):
    countries = {**{c: c for c in make_demo.CITIES}, **make_demo.CITY_COUNTRY}
    for country, spellings in make_demo.SPELLINGS.items():
        countries.update({s: country for s, _ in spellings})

    def corridor(o: str, d: str) -> int:
        return sum(
            countries.get(r["origin"], r["origin"]) in o
            and countries.get(r["destination"], r["destination"]) in d
            for r in demo
        )

    south_asia = {"Bangladesh", "Nepal", "Pakistan", "India"}
    gulf = set(make_demo.GULF)
    central_asia = {"Uzbekistan", "Tajikistan", "Kyrgyz Republic"}
    assert corridor(south_asia, gulf) > 1000
    assert corridor(south_asia, {"Malaysia"}) > 300
    assert corridor(central_asia, {"Russia"}) > 300
    assert corridor({"Myanmar"}, {"Malaysia"}) > 200
    assert corridor({"Afghanistan"}, {"Türkiye"}) > 200
    assert corridor({"Nepal"}, {"India"}) > 200
    via_thailand = [r for r in demo if r["origin"] in {"Myanmar", "Yangon"}
                    and r["transit"] in {"Thailand", "Bangkok"}]
    assert len(via_thailand) > 150
    via_kazakhstan = [r for r in demo if "Kazakhstan" in r["transit"] or "Almaty" in r["transit"]]
    assert len(via_kazakhstan) > 150


def test_demo_spellings_vary_like_real_data(demo):
    written = {p for r in demo for p in stops(r)}
    for spelling in ("UAE", "United Arab Emirates", "Dubai", "Kyrgyzstan", "Kyrgyz Republic",
                     "Turkey", "Türkiye", "Istanbul", "Karachi", "Kuala Lumpur", "Bangkok"):
        assert spelling in written, spelling


def test_demo_has_multi_transit_routes_and_a_long_tail(demo):
    depth = [len([t for t in r["transit"].split(";") if t.strip()]) for r in demo]
    assert sum(d == 2 for d in depth) >= 50
    assert sum(d == 3 for d in depth) >= 5
    # transits are listed in route order: India comes before Dubai on the way to the Gulf
    assert any(r["transit"] == "India; Dubai" for r in demo)
    assert not any(r["transit"].startswith("Dubai; India") for r in demo)
    pairs: dict[tuple[str, str], int] = {}
    for r in demo:
        key = (r["origin"], r["destination"])
        pairs[key] = pairs.get(key, 0) + int(r["count"])
    small = sum(total < 5 for total in pairs.values())
    assert small >= 20  # corridors a suppression threshold of 5 withholds


def test_demo_camel_jockeys_are_boys_before_the_bans(demo):
    jockeys = [r for r in demo if r["exploitation"] == "camel jockey"]
    assert jockeys
    assert {r["age_group"] for r in jockeys} == {"child"}
    assert {r["gender"] for r in jockeys} == {"male"}
    assert max(int(r["year"]) for r in jockeys) <= 2005


# --- seed -------------------------------------------------------------------------------


def test_seed_has_exactly_one_count_the_articles_eleven_infants(seed):
    counted = [r for r in seed if r["count"] != ""]
    assert len(counted) == 1
    [karachi] = counted
    assert (karachi["origin"], karachi["destination"]) == ("Karachi", "Malaysia")
    assert (karachi["count"], karachi["year"]) == ("11", "2002")
    assert "11 infants" in karachi["note"]
    # every other route is reported without a number: empty, never "1"
    assert all(r["count"] == "" for r in seed if r is not karachi)


def test_seed_names_the_articles_places(seed):
    text = (SAMPLES_DIR / "seed.csv").read_text(encoding="utf-8")
    for place in ("Pakistan", "Bangladesh", "Malaysia", "Middle East", "Kyrgyz Republic"):
        assert place in text, place
    named = {p for r in seed for p in stops(r)}
    assert {"Pakistan", "Karachi", "Malaysia", "Middle East", "Kyrgyz Republic"} <= named
    camel = [r for r in seed if r["destination"] == "Middle East"]
    assert [r["exploitation"] for r in camel] == ["camel jockey"]
    assert any(r["transit"] == "Pakistan" for r in seed)
    assert any(r["destination"] == "Pakistan" for r in seed)


def test_seed_notes_quote_the_article(seed):
    article = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_37d10d9cd63bafc4.txt"
    assert all(r["note"] and r["source"] for r in seed)
    assert len({r["route_id"] for r in seed}) == len(seed)
    if article.exists():
        body = " ".join(article.read_text(encoding="utf-8").split())
        for r in seed:
            assert r["note"] in body, r["route_id"]
