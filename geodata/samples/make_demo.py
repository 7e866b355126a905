"""Write the synthetic demo dataset: ``demo.csv`` and ``demo.meta.json`` beside this file.

The demo lets a policymaker open the dashboard with something on the map before any real
data is loaded, and gives tests a dataset of realistic shape. It is SYNTHETIC: the
corridors follow patterns that public reporting describes (South Asia to the Gulf and
Malaysia, Central Asia to Russia, Myanmar through Thailand to Malaysia, Afghanistan
through Iran to Türkiye, Nepal to India), but every record is drawn from a seeded random
generator and none describes a real case.

Shape: routes, wide (origin, transit with stops joined by "; " in route order,
destination), one row per case with count 1 and a minority of aggregated rows with
counts 2-40, years 2000-2024 with a rising trend and a dip in 2020-21, and a long tail
of small corridors so that small-count suppression visibly withholds some of them.
Place names are spelled the way an analyst meets them: mostly canonical, some "UAE",
"Kyrgyzstan", "Turkey", "Russian Federation", and cities where a source gave a city.

Run ``python geodata/samples/make_demo.py [--out DIR] [--seed N]``; the same seed gives
the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SEED = 20020611
N_RECORDS = 4000
YEARS = np.arange(2000, 2025)
HERE = Path(__file__).resolve().parent
COLUMNS = (
    "record_id", "origin", "transit", "destination", "count", "year",
    "exploitation", "gender", "age_group", "source",
)

# How a country is written: (spelling, weight). Countries absent here are written canonically.
SPELLINGS: dict[str, tuple[tuple[str, float], ...]] = {
    "United Arab Emirates": (("United Arab Emirates", 0.6), ("UAE", 0.4)),
    "Kyrgyz Republic": (("Kyrgyz Republic", 0.5), ("Kyrgyzstan", 0.5)),
    "Türkiye": (("Türkiye", 0.55), ("Turkey", 0.45)),
    "Russia": (("Russia", 0.8), ("Russian Federation", 0.2)),
}

# Cities a source may name instead of the country, with the chance it does.
CITIES: dict[str, tuple[float, tuple[str, ...]]] = {
    "Bangladesh": (0.35, ("Dhaka",)),
    "Pakistan": (0.4, ("Karachi", "Lahore")),
    "Nepal": (0.25, ("Kathmandu",)),
    "India": (0.3, ("Mumbai", "Delhi", "Kolkata")),
    "Saudi Arabia": (0.35, ("Riyadh", "Jeddah")),
    "United Arab Emirates": (0.5, ("Dubai", "Abu Dhabi")),
    "Qatar": (0.3, ("Doha",)),
    "Kuwait": (0.2, ("Kuwait City",)),
    "Oman": (0.25, ("Muscat",)),
    "Malaysia": (0.4, ("Kuala Lumpur",)),
    "Thailand": (0.4, ("Bangkok",)),
    "Myanmar": (0.2, ("Yangon",)),
    "Uzbekistan": (0.2, ("Tashkent",)),
    "Tajikistan": (0.2, ("Dushanbe",)),
    "Kyrgyz Republic": (0.25, ("Bishkek", "Osh")),
    "Kazakhstan": (0.3, ("Almaty",)),
    "Russia": (0.45, ("Moscow",)),
    "Afghanistan": (0.25, ("Kabul", "Herat")),
    "Iran": (0.3, ("Tehran",)),
    "Türkiye": (0.45, ("Istanbul",)),
}

CITY_COUNTRY = {city: country for country, (_, cities) in CITIES.items() for city in cities}

EXPLOITATIONS = (
    "forced labour", "sexual", "domestic servitude", "forced marriage", "begging", "camel jockey",
)
# Share of women/girls and of children by form of exploitation (synthetic, plausible).
FEMALE_SHARE = {
    "forced labour": 0.3, "sexual": 0.92, "domestic servitude": 0.85,
    "forced marriage": 0.97, "begging": 0.5, "camel jockey": 0.0,
}
CHILD_SHARE = {
    "forced labour": 0.12, "sexual": 0.25, "domestic servitude": 0.2,
    "forced marriage": 0.35, "begging": 0.6, "camel jockey": 1.0,
}


@dataclass(frozen=True)
class Corridor:
    """A family of routes: origins, weighted transit chains, destinations, exploitation mix."""

    origins: tuple[str, ...]
    transits: tuple[tuple[tuple[str, ...], float], ...]  # (stops in order, weight); () = direct
    destinations: tuple[str, ...]
    exploitation: dict[str, float]
    weight: float = 0.0  # share of the main body of records; 0 for long-tail corridors
    trend: tuple[tuple[int, int, float], ...] = ()  # (from year, to year, factor)


GULF = ("Saudi Arabia", "United Arab Emirates", "Qatar", "Kuwait", "Oman")
MAIN: tuple[Corridor, ...] = (
    Corridor(
        origins=("Bangladesh", "Pakistan", "Nepal", "India"),
        transits=(((), 0.55), (("Dubai",), 0.2), (("India",), 0.1), (("Pakistan",), 0.07),
                  (("India", "Dubai"), 0.05), (("India", "Pakistan", "Dubai"), 0.03)),
        destinations=GULF,
        exploitation={"forced labour": 0.45, "domestic servitude": 0.3, "sexual": 0.14,
                      "begging": 0.05, "camel jockey": 0.06},
        weight=0.36,
    ),
    Corridor(
        origins=("Bangladesh", "Pakistan", "Nepal"),
        transits=(((), 0.6), (("Thailand",), 0.2), (("India",), 0.1), (("Dubai",), 0.1)),
        destinations=("Malaysia",),
        exploitation={"forced labour": 0.6, "sexual": 0.2, "domestic servitude": 0.2},
        weight=0.14,
    ),
    Corridor(
        origins=("Uzbekistan", "Tajikistan", "Kyrgyz Republic"),
        transits=(((), 0.5), (("Kazakhstan",), 0.45), (("Kazakhstan", "Russia"), 0.05)),
        destinations=("Russia", "Russia", "Russia", "United Arab Emirates", "Türkiye"),
        exploitation={"forced labour": 0.7, "sexual": 0.2, "domestic servitude": 0.1},
        weight=0.17,
        trend=((2014, 2016, 0.8), (2022, 2024, 0.6)),
    ),
    Corridor(
        origins=("Myanmar",),
        transits=(((), 0.15), (("Thailand",), 0.75), (("Bangkok",), 0.1)),
        destinations=("Malaysia",),
        exploitation={"forced labour": 0.6, "sexual": 0.25, "forced marriage": 0.05,
                      "domestic servitude": 0.1},
        weight=0.1,
        trend=((2015, 2015, 1.8), (2017, 2018, 1.4)),
    ),
    Corridor(
        origins=("Afghanistan",),
        transits=(((), 0.1), (("Iran",), 0.75), (("Pakistan", "Iran"), 0.15)),
        destinations=("Türkiye",),
        exploitation={"forced labour": 0.5, "sexual": 0.2, "begging": 0.15,
                      "forced marriage": 0.15},
        weight=0.11,
        trend=((2000, 2014, 0.6), (2021, 2024, 1.6)),
    ),
    Corridor(
        origins=("Nepal",),
        transits=(((), 1.0),),
        destinations=("India",),
        exploitation={"sexual": 0.55, "forced labour": 0.2, "domestic servitude": 0.1,
                      "forced marriage": 0.1, "begging": 0.05},
        weight=0.12,
        trend=((2015, 2016, 1.5),),
    ),
)

# Small corridors: a handful of records each, most of them under a suppression threshold.
TAIL: tuple[Corridor, ...] = tuple(
    Corridor(origins=(o,), transits=((tuple(t), 1.0),), destinations=(d,), exploitation=e)
    for o, t, d, e in (
        ("Sri Lanka", (), "Kuwait", {"domestic servitude": 1.0}),
        ("Philippines", (), "Saudi Arabia", {"domestic servitude": 0.8, "forced labour": 0.2}),
        ("Indonesia", (), "Malaysia", {"domestic servitude": 0.6, "forced labour": 0.4}),
        ("Vietnam", (), "China", {"forced marriage": 0.7, "forced labour": 0.3}),
        ("Cambodia", (), "Thailand", {"forced labour": 0.7, "begging": 0.3}),
        ("Laos", (), "Thailand", {"sexual": 0.6, "forced labour": 0.4}),
        ("Pakistan", (), "China", {"forced marriage": 1.0}),
        ("Bangladesh", (), "India", {"sexual": 0.6, "forced labour": 0.4}),
        ("Myanmar", (), "Bangladesh", {"forced labour": 0.5, "sexual": 0.5}),
        ("India", (), "United Arab Emirates", {"forced labour": 0.8, "sexual": 0.2}),
        ("Nepal", ("India", "Dubai"), "Kuwait", {"domestic servitude": 1.0}),
        ("Uzbekistan", (), "Kazakhstan", {"forced labour": 1.0}),
        ("Tajikistan", (), "Türkiye", {"forced labour": 0.6, "sexual": 0.4}),
        ("Ethiopia", ("Djibouti", "Yemen"), "Saudi Arabia", {"domestic servitude": 1.0}),
        ("Kenya", (), "Oman", {"domestic servitude": 1.0}),
        ("Uganda", (), "Saudi Arabia", {"domestic servitude": 1.0}),
        ("Nigeria", ("Niger", "Libya"), "Italy", {"sexual": 1.0}),
        ("Afghanistan", ("Iran", "Türkiye"), "Greece", {"forced labour": 1.0}),
        ("Moldova", (), "Russia", {"forced labour": 0.5, "sexual": 0.5}),
        ("Ukraine", (), "Poland", {"forced labour": 0.7, "sexual": 0.3}),
        ("Bangladesh", ("Thailand",), "Malaysia", {"forced labour": 1.0}),
        ("Pakistan", ("Iran", "Türkiye"), "Greece", {"forced labour": 1.0}),
        ("Sri Lanka", (), "Maldives", {"forced labour": 1.0}),
        ("China", (), "Pakistan", {"forced labour": 1.0}),
        ("Kyrgyz Republic", (), "Kazakhstan", {"forced labour": 0.7, "sexual": 0.3}),
        ("Nepal", (), "Malaysia", {"forced labour": 1.0}),
    )
)


def year_weights(trend: Sequence[tuple[int, int, float]] = ()) -> np.ndarray:
    """Probability of each year in ``YEARS``: a rise, the 2020-21 dip, corridor factors."""
    years = YEARS
    w = 0.35 + 1.65 * (years - years[0]) / (years[-1] - years[0])
    w = np.where(years == 2020, w * 0.55, w)
    w = np.where(years == 2021, w * 0.75, w)
    for first, last, factor in trend:
        w = np.where((years >= first) & (years <= last), w * factor, w)
    return w / w.sum()


def _pick(rng: np.random.Generator, options: Sequence, weights: Sequence[float] | None = None):
    """One element of ``options`` (weights normalised; uniform when omitted)."""
    if weights is None:
        return options[int(rng.integers(len(options)))]
    p = np.asarray(weights, dtype=float)
    return options[int(rng.choice(len(options), p=p / p.sum()))]


def write_place(rng: np.random.Generator, country: str) -> str:
    """The country as a source would write it: sometimes a city, sometimes another spelling."""
    chance, cities = CITIES.get(country, (0.0, ()))
    if cities and rng.random() < chance:
        return _pick(rng, cities)
    spellings = SPELLINGS.get(country)
    if spellings:
        return _pick(rng, [s for s, _ in spellings], [w for _, w in spellings])
    return country


def _country_of(place: str) -> str:
    """The country of a corridor stop, which may be given as a city ("Dubai")."""
    return CITY_COUNTRY.get(place, place)


def _aggregate_count(rng: np.random.Generator) -> int:
    return int(np.clip(np.round(rng.lognormal(1.6, 0.8)), 2, 40))


def _record(rng: np.random.Generator, corridor: Corridor, years_p: np.ndarray) -> dict:
    exploit = _pick(rng, list(corridor.exploitation), list(corridor.exploitation.values()))
    origin = _pick(rng, corridor.origins)
    destination = _pick(rng, corridor.destinations)
    if exploit == "camel jockey":
        # Boys from Pakistan and Bangladesh, before the Gulf states' bans of 2002-2005.
        origin = _pick(rng, ("Pakistan", "Bangladesh"))
        destination = _pick(rng, ("United Arab Emirates", "Qatar", "Oman"))
        year = int(rng.integers(2000, 2006))
    else:
        year = int(_pick(rng, YEARS, years_p))
    transits = [s for s, _ in corridor.transits]
    stops = _pick(rng, transits, [w for _, w in corridor.transits])
    # A transit in the origin's or destination's own country is no transit ("UAE via Dubai").
    ends = {origin, destination}
    stops = tuple(s for s in stops if _country_of(s) not in ends)
    female = rng.random() < FEMALE_SHARE[exploit]
    child = rng.random() < CHILD_SHARE[exploit]
    count = _aggregate_count(rng) if rng.random() < 0.06 else 1
    return {
        "origin": write_place(rng, origin),
        "transit": "; ".join(write_place(rng, s) for s in stops),
        "destination": write_place(rng, destination),
        "count": count,
        "year": year,
        "exploitation": exploit,
        "gender": "female" if female else "male",
        "age_group": "child" if child else "adult",
        "source": "synthetic",
    }


def generate(seed: int = SEED, n: int = N_RECORDS) -> list[dict]:
    """The demo records, in a stable order, from one seeded generator."""
    rng = np.random.default_rng(seed)
    records: list[dict] = []
    for corridor in TAIL:
        for _ in range(int(rng.integers(1, 7))):
            records.append(_record(rng, corridor, year_weights()))
    n_main = max(n - len(records), 0)
    weights = np.array([c.weight for c in MAIN])
    which = rng.choice(len(MAIN), size=n_main, p=weights / weights.sum())
    year_p = [year_weights(c.trend) for c in MAIN]
    records.extend(_record(rng, MAIN[i], year_p[i]) for i in which)
    order = rng.permutation(len(records))
    return [{"record_id": k + 1, **records[i]} for k, i in enumerate(order)]


def to_csv(records: Sequence[dict]) -> bytes:
    """CSV bytes: UTF-8 without BOM, "\\n" line ends, minimal quoting."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue().encode("utf-8")


def meta(seed: int, records: Sequence[dict]) -> dict:
    """The sidecar metadata the dataset library and the SYNTHETIC banner read."""
    years = [r["year"] for r in records]
    return {
        "name": "Demo (synthetic)",
        "source": f"generated by geodata/samples/make_demo.py, seed {seed}",
        "licence": "CC0 1.0 (public domain dedication)",
        "synthetic": True,
        "description": (
            f"{len(records)} SYNTHETIC case records, {min(years)}-{max(years)}, drawn at random "
            "along corridors that public reporting describes (South Asia to the Gulf and "
            "Malaysia, Central Asia to Russia via Kazakhstan, Myanmar via Thailand to "
            "Malaysia, Afghanistan via Iran to Türkiye, Nepal to India) plus a long tail of "
            "small corridors. No record describes a real case; the numbers show how the "
            "tool works and nothing about prevalence."
        ),
    }


def make_demo(out_dir: Path = HERE, seed: int = SEED, n: int = N_RECORDS) -> tuple[Path, Path]:
    """Write ``demo.csv`` and ``demo.meta.json`` into ``out_dir``; return both paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    records = generate(seed, n)
    csv_path, meta_path = out_dir / "demo.csv", out_dir / "demo.meta.json"
    csv_path.write_bytes(to_csv(records))
    text = json.dumps(meta(seed, records), indent=2, ensure_ascii=False) + "\n"
    meta_path.write_bytes(text.encode("utf-8"))
    return csv_path, meta_path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("-n", type=int, default=N_RECORDS, help="number of records")
    args = parser.parse_args(argv)
    for path in make_demo(args.out, args.seed, args.n):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
