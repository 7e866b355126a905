"""Benchmark: `routemap check`, `geocode` and `map` on 1,000,000 route rows, measured
side by side with `pandas.read_csv` of the same file, in one run.

    python tests/bench/bench_check.py [--rows N]

Targets (DESIGN §10): check within 2x of reading the same CSV with pandas; the map
adds at most half again to check, and its HTML stays under 2 MB. Each command
runs in a fresh interpreter, as a user runs it, so start-up and imports count for both
sides. The commands take turns, five rounds by default, and the best and median of each
are printed (on the shared 2-core machine single runs vary by up to 50%; the minimum
is the stable figure).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).parent / "out"
SEPARATORS = np.array(["; ", ";", " > ", " | "])


def place_names(count: int, rng: np.random.Generator) -> np.ndarray:
    """Real names from the bundled gazetteer: cities and countries, a few misspelt."""
    from geodata import data_path

    cities = pd.read_parquet(data_path("cities.parquet"), columns=["name", "population"])
    cities = cities.sort_values("population", ascending=False)["name"].drop_duplicates()
    countries = pd.read_parquet(data_path("countries.parquet"), columns=["name"])["name"]
    names = pd.concat([countries, cities.head(count - len(countries))]).to_numpy(dtype=object)
    typo = rng.random(len(names)) < 0.03  # a few typos to exercise the fuzzy matcher
    names[typo] = [n[:-2] + n[-1] + n[-2] if len(n) > 4 else n for n in names[typo]]
    return names


def write_routes(path: Path, rows: int, corridors: int = 0, seed: int = 7,
                 two_transits: bool = False) -> None:
    """``rows`` route rows over ~3,000 names. With ``corridors`` = 0 every stop is drawn
    on its own (about a million distinct corridors: the hardest case for aggregation);
    otherwise rows repeat that many distinct routes, as case data does. Transits are
    none, one or two with mixed separators, or with ``two_transits`` always "A; B"."""
    rng = np.random.default_rng(seed)
    names = place_names(3000, rng)
    weights = 1.0 / np.arange(1, len(names) + 1)  # a few busy places, a long tail
    weights /= weights.sum()
    n = corridors or rows
    pick = lambda k: names[rng.choice(len(names), size=k, p=weights)]  # noqa: E731
    transits = np.full(n, 2) if two_transits else rng.integers(0, 3, size=n)
    first, second = pick(n), pick(n)
    sep = SEPARATORS[np.zeros(n, int) if two_transits else rng.integers(0, len(SEPARATORS), size=n)]
    routes = pd.DataFrame(
        {
            "origin": pick(n),
            "transit": np.where(transits == 0, "",
                                np.where(transits == 1, first, first + sep + second)),
            "destination": pick(n),
        }
    )
    if corridors:
        busy = 1.0 / np.arange(1, n + 1) ** 0.8
        routes = routes.iloc[rng.choice(n, size=rows, p=busy / busy.sum())]
    frame = routes.reset_index(drop=True).assign(
        count=rng.integers(1, 40, size=rows), year=rng.integers(2000, 2025, size=rows)
    )
    frame.to_csv(path, index=False)


def side_by_side(commands: dict[str, list[str]], runs: int) -> dict[str, list[float]]:
    """Seconds of each run of each command, the commands taking turns round by round, so
    a slow spell of the machine falls on all of them alike."""
    times: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            times[label].append(time.perf_counter() - start)
    return times


def not_compiled() -> list[str]:
    """The project's modules with no current bytecode. Where PYTHONDONTWRITEBYTECODE is
    set, Python compiles them again on every command (0.06-0.1 s of each map); the
    README's install commands write it once with compileall."""
    import importlib.util

    root = Path(__file__).resolve().parents[2]
    stale = []
    for source in [*root.glob("dashboard/**/*.py"), *root.glob("loaders/*.py")]:
        compiled = Path(importlib.util.cache_from_source(str(source)))
        if not compiled.exists() or compiled.stat().st_mtime < source.stat().st_mtime:
            stale.append(str(source.relative_to(root)))
    return stale


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--corridors", type=int, default=0,
                        help="distinct routes the rows repeat (0: every row its own)")
    parser.add_argument("--two-transits", action="store_true",
                        help='every row "A; B" in transit (default: 0-2, mixed separators)')
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    suffix = f"_{args.corridors}corridors" if args.corridors else ""
    suffix += "_two_transits" if args.two_transits else ""
    source = OUT / f"routes_{args.rows}{suffix}.csv"
    if not source.exists():
        write_routes(source, args.rows, args.corridors, two_transits=args.two_transits)
    routemap = str(Path(sys.executable).with_name("routemap"))
    size_mb = source.stat().st_size / 1e6
    print(f"{args.rows:,} route rows, {size_mb:.1f} MB: {source}")
    stale = not_compiled()
    if stale and sys.dont_write_bytecode:
        print(f"note: {len(stale)} of the project's modules have no current bytecode and "
              "PYTHONDONTWRITEBYTECODE is set, so each command compiles them: run "
              "`python -m compileall -q dashboard loaders` first")

    html = OUT / "map.html"
    times = side_by_side({
        "read": [sys.executable, "-c", f"import pandas; pandas.read_csv({str(source)!r})"],
        "check": [routemap, "check", str(source), "--json"],
        "map": [routemap, "map", str(source), "-o", str(html)],
    }, args.runs)
    # on its own, after: its 200 MB of output, still being written back to the disk,
    # slowed whichever command ran next
    times |= side_by_side(
        {"geocode": [routemap, "geocode", str(source), "-o", str(OUT / "geocoded.csv")]},
        args.runs)
    best = {label: min(t) for label, t in times.items()}
    median = {label: statistics.median(t) for label, t in times.items()}
    read, check, mapped = best["read"], best["check"], best["map"]
    print(f"{'':<28}{'best':>7}   {'x read':>6}   {'median':>7}")
    print(f"{'pandas.read_csv':<28}{read:7.2f} s   1.00x   {median['read']:7.2f} s")
    print(f"{'routemap check --json':<28}{check:7.2f} s   {check / read:.2f}x   "
          f"{median['check']:7.2f} s  (target <= 2x)")
    print(f"{'routemap geocode':<28}{best['geocode']:7.2f} s   {best['geocode'] / read:.2f}x   "
          f"{median['geocode']:7.2f} s")
    print(f"{'routemap map (flows)':<28}{mapped:7.2f} s   {mapped / read:.2f}x   "
          f"{median['map']:7.2f} s")
    print(f"map = check + {mapped / check - 1:.0%} on best runs, "
          f"+ {median['map'] / median['check'] - 1:.0%} on medians (target <= +50%); "
          f"HTML {html.stat().st_size / 1e6:.2f} MB (target < 2 MB)")

if __name__ == "__main__":
    main()
