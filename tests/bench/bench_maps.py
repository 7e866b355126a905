"""Benchmark of the map builders (DESIGN §10), not a test: prints figures side by side.

    .venv/bin/python tests/bench/bench_maps.py [--quick]

For 1,000 / 10,000 / 100,000 flows: time to build and render the flow map and its HTML
size, beside a baseline of one folium PolyLine (with tooltip) per flow, measured in the
same run. Then 1,000,000 records: compute_flows alone (target < 1 s) and the whole map
HTML with the default top-N (target < 2 s and < 2 MB).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import folium

from dashboard.maps.flow_map import FlowMapOptions, flow_map
from dashboard.maps.flows import FlowQuery, compute_flows
from dashboard.maps.offline import base_map, default_countries
from loaders.model import ROLE_DTYPE, Dataset, DatasetMeta
from loaders.report import LoadReport


def places_table(n: int, rng: np.random.Generator) -> pd.DataFrame:
    iso = np.array(["PAK", "IND", "BGD", "MYS", "ARE", "SAU", "NPL", "AFG", "IRN", "THA"])
    return pd.DataFrame({
        "place_id": np.arange(n, dtype="int32"),
        "query": [f"Place {i}" for i in range(n)], "country_hint": "",
        "name": [f"Place {i}" for i in range(n)], "kind": "city",
        "iso3": iso[np.arange(n) % len(iso)],
        "lat": rng.uniform(-40, 60, n), "lon": rng.uniform(-120, 150, n),
        "match": "exact", "score": 100.0, "key": [f"city:{i}" for i in range(n)],
        "suggestion": "", "members": "",
    })


def dataset(n_records: int, n_places: int, stops_per: tuple[int, int], seed: int = 0,
            distinct: bool = False) -> Dataset:
    """Synthetic records; ``distinct`` makes every record its own corridor."""
    rng = np.random.default_rng(seed)
    places = places_table(n_places, rng)
    if distinct:
        a = np.arange(n_records) % n_places
        b = (a + 1 + np.arange(n_records) // n_places) % n_places
        rid = np.repeat(np.arange(n_records), 2)
        pid = np.stack([a, b], axis=1).ravel()
        seq = np.tile([0, 1], n_records)
        role = np.tile([0, 2], n_records)
    else:
        k = rng.integers(stops_per[0], stops_per[1] + 1, n_records)
        rid = np.repeat(np.arange(n_records), k)
        starts = np.cumsum(k) - k
        seq = np.arange(len(rid)) - np.repeat(starts, k)
        last = np.repeat(k - 1, k)
        role = np.where(seq == 0, 0, np.where(seq == last, 2, 1))
        pid = rng.zipf(1.4, len(rid)) % n_places
    stops = pd.DataFrame({
        "record_id": rid, "seq": seq.astype("int16"),
        "role": pd.Categorical.from_codes(role, dtype=ROLE_DTYPE), "place_id": pid.astype("int32"),
    })
    count = pd.array(np.where(rng.random(n_records) < 0.02, None,
                              rng.integers(5, 9, n_records)), dtype="Int64")
    records = pd.DataFrame({
        "record_id": np.arange(n_records), "count": count,
        "year": pd.array(rng.integers(2005, 2024, n_records), dtype="Int64"),
        "line": np.arange(n_records) + 2,
    })
    return Dataset(records, stops, places, LoadReport(layout="routes"),
                   DatasetMeta(name="bench", source="synthetic benchmark", synthetic=True))


def best(fn, repeat: int = 3) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def polyline_baseline(result, countries) -> str:
    """The naive way: one folium PolyLine with a Tooltip per flow."""
    m = base_map(countries=countries)
    flows = result.shown_flows
    for g, a, b, c in zip(flows.geometry, flows["from_name"], flows["to_name"], flows["count"],
                          strict=True):
        xy = np.round(np.asarray(g.coords), 4)
        folium.PolyLine(xy[:, ::-1].tolist(), weight=2, tooltip=f"{a} → {b}: {c}").add_to(m)
    return m.get_root().render()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the 100,000-flow baseline")
    args = ap.parse_args()
    countries = default_countries()
    print(f"countries for the basemap: {0 if countries is None else len(countries)}")
    print(f"{'flows':>8} | {'ours s':>7} {'ours MB':>8} | {'PolyLine s':>10} {'MB':>7} |"
          f" {'speed x':>7} {'size x':>6}")
    for n in (1_000, 10_000, 100_000):
        ds = dataset(n, max(200, int(np.sqrt(n)) * 4), (2, 2), distinct=True)
        res = compute_flows(ds, FlowQuery(suppress=0, top=None), countries=countries)
        assert res.summary.flows_shown == n, res.summary
        opts = FlowMapOptions(countries=countries, show_nodes=True)
        t_ours, html = best(lambda: flow_map(res, opts).get_root().render(),  # noqa: B023
                            repeat=1 if n >= 100_000 else 3)
        if args.quick and n >= 100_000:
            t_base, base_html = float("nan"), ""
        else:
            t_base, base_html = best(lambda: polyline_baseline(res, countries), repeat=1)  # noqa: B023
        mb, bmb = len(html.encode()) / 1e6, len(base_html.encode()) / 1e6
        print(f"{n:>8,} | {t_ours:>7.2f} {mb:>8.1f} | {t_base:>10.2f} {bmb:>7.1f} |"
              f" {t_base / t_ours:>7.1f} {bmb / mb if bmb else float('nan'):>6.2f}")

    print("\n1,000,000 records, 3,000 places, 2-5 stops each")
    ds = dataset(1_000_000, 3_000, (2, 5))
    print(f"  stops: {len(ds.stops):,}")
    for label, q in (("flows, place level, K=5, top 500", FlowQuery()),
                     ("flows, country level", FlowQuery(level="country")),
                     ("flows, years 2010-2015", FlowQuery(years=(2010, 2015)))):
        t, res = best(lambda: compute_flows(ds, q, countries=countries))  # noqa: B023
        print(f"  {label:<36} {t:6.3f} s  ({res.summary.flows_total:,} corridors;"
              f" target < 1 s)")

    def whole_map() -> str:
        r = compute_flows(ds, FlowQuery(), countries=countries)
        return flow_map(r, FlowMapOptions(countries=countries)).get_root().render()

    t, html = best(whole_map)
    print(f"  {'map HTML (flows + map + render)':<36} {t:6.3f} s  {len(html.encode()) / 1e6:.2f} MB"
          "  (targets < 2 s, < 2 MB)")


if __name__ == "__main__":
    main()
