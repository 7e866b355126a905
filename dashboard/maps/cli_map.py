"""``routemap map FILE -o OUT.html``: the map subcommand (DESIGN §8, a contract).

Writes one self-contained HTML file (Leaflet inlined, no network needed to open it),
and on request a PNG for slides and the flows / place totals as CSV or GeoJSON, all
with small counts withheld (``--suppress K``, default 5). Bad input raises a
RoutemapError: one line on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from dashboard.maps.wording import counted
from loaders.errors import RoutemapError

if TYPE_CHECKING:
    from loaders._table import Table
    from loaders.model import Dataset
    from loaders.report import LoadReport

EXIT_OK, EXIT_UNUSABLE = 0, 2
HEAP_PER_ROW = 256  # bytes of fresh memory the aggregation touches per row, about
PRELOAD_WAIT = 10.0  # seconds the touching waits for the gazetteer to load, at most


class MapArgumentError(RoutemapError):
    """A ``routemap map`` option has a value that cannot be used."""


def _years(text: str) -> tuple[int | None, int | None]:
    m = re.fullmatch(r"\s*(\d{4})?\s*(?:-|–|\.\.)?\s*(\d{4})?\s*", text)
    if not m or not (m.group(1) or m.group(2)):
        raise argparse.ArgumentTypeError(f"years must look like 2015-2020, 2015- or 2019: {text!r}")
    lo = int(m.group(1)) if m.group(1) else None
    hi = int(m.group(2)) if m.group(2) else None
    if "-" not in text and ".." not in text and "–" not in text:
        hi = lo
    if lo is not None and hi is not None and lo > hi:
        raise argparse.ArgumentTypeError(f"first year after last year: {text!r}")
    return lo, hi


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {text!r}")
    return value


def add_map_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``map`` on the ``routemap`` subparsers; returns the new parser."""
    p = subparsers.add_parser(
        "map", help="write a self-contained HTML map (flows or hotspots)",
        description="Write a map that opens with no network. Small counts are withheld "
        "(--suppress K, default 5) in the map and in every export.",
    )
    p.add_argument("file", metavar="FILE", help="data file, or a sample name: demo, seed")
    p.add_argument("-o", "--output", required=True, metavar="OUT.html", help="HTML file to write")
    p.add_argument("--kind", choices=("flows", "hotspots"), default="flows")
    p.add_argument("--years", type=_years, metavar="A-B", help="keep records of these years")
    p.add_argument("--min-count", type=_non_negative, default=0, metavar="N",
                   help="draw only corridors with at least N cases")
    p.add_argument("--top", type=_non_negative, default=500, metavar="N",
                   help="draw the N largest corridors (default 500; 0 for all)")
    p.add_argument("--suppress", type=_non_negative, default=5, metavar="K",
                   help="withhold counts below K (default 5, and never less: a map file "
                   "and its exports are made to be shared)")
    p.add_argument("--role", choices=("origin", "transit", "destination", "all"),
                   default="destination", help="hotspots: which role to count")
    p.add_argument("--level", choices=("place", "country", "region"), default="place",
                   help="flows: roll places up to countries or regions")
    p.add_argument("--colour-by", "--color-by", dest="colour_by", metavar="ATTRIBUTE",
                   help="colour arcs by this attribute instead of by leg role")
    p.add_argument("--focus", metavar="PLACE",
                   help="only routes through this place: a name as the file writes it, a "
                   "country name or code, a region (e.g. 'Southern Asia') or a place key")
    p.add_argument("--basemap", choices=("vector", "light", "dark", "none"), default="vector",
                   help="vector country shapes (default, offline) or online tiles")
    p.add_argument("--title", default="", help="title shown on the map")
    p.add_argument("--present", action="store_true", help="larger type for a shared screen")
    p.add_argument("--png", metavar="OUT.png", help="also write a 1920x1080 PNG for slides")
    p.add_argument("--flows-csv", metavar="OUT.csv", help="also write the flows as CSV")
    p.add_argument("--flows-geojson", metavar="OUT.geojson", help="also write flows as GeoJSON")
    p.add_argument("--places-csv", metavar="OUT.csv", help="also write place totals as CSV")
    p.add_argument("--layout", help="override the detected layout")
    p.set_defaults(run=run_map)
    return p


def run_map(args: argparse.Namespace) -> int:
    """Load FILE, build the map and exports; 0 on success, 2 with one line on stderr."""
    try:
        _run(args)
    except RoutemapError as error:
        print(f"routemap: {error}", file=sys.stderr)
        return EXIT_UNUSABLE
    except OSError as error:
        where = f": {error.filename}" if error.filename else ""
        print(f"routemap: cannot write or read a file ({error.strerror or error}){where}",
              file=sys.stderr)
        return EXIT_UNUSABLE
    return EXIT_OK


def _touch_heap_for(table: Future[Table]) -> None:
    """Once the file is parsed and the gazetteer loaded, touch the memory the aggregation
    will want (:mod:`dashboard.heap`), on the core the gazetteer leaves idle while this
    one geocodes and reports.

    On 1M rows the aggregation took 0.26 s with 50,000 page faults and 0.21 s with none
    (HEAP_PER_ROW bytes a row touched ahead: 1M routes of up to four stops). Touched as
    soon as the file was parsed, beside the gazetteer loading, it slowed the load by as
    much as it saved: 10 rounds, the whole map 1.037 s touched then, 1.030 s not touched,
    1.003 s touched after the gazetteer (best runs; 1.082, 1.071, 1.042 s medians).
    """
    if table.exception() is None:
        from dashboard.heap import touch_ahead
        from loaders.gazetteer import wait_for_preload

        touch_ahead(table.result().rows_read * HEAP_PER_ROW,
                    after=lambda: wait_for_preload(PRELOAD_WAIT))


def _check_outputs(args: argparse.Namespace) -> None:
    """Every file to write names a file of its own, not the input: checked before the work
    (a folder failed only after it; the input or a second output was replaced)."""
    from loaders.output_files import check_outputs
    from loaders.samples import source_path

    check_outputs([("-o", args.output), ("--png", args.png),
                   ("--flows-csv", args.flows_csv), ("--flows-geojson", args.flows_geojson),
                   ("--places-csv", args.places_csv)], source_path(args.file)[0])


def _run(args: argparse.Namespace) -> None:
    from dashboard.maps.builder_imports import import_map_builders
    from loaders.readers import read_in_background

    _check_outputs(args)

    table = read_in_background(args.file)
    table.add_done_callback(_touch_heap_for)
    # Arrow parses on its own thread without the interpreter's lock; the imports hold it
    # (pandas, folium and our builders: about 0.3 s), so they go first, on
    # this thread, while the file parses. On 1M rows an import thread started after them
    # ran on into the load and slowed it more than it gained (map 1.20 s against 1.15 s).
    import_map_builders(args.kind)
    from dashboard.maps.suppression import SHARED_MIN_K, records_text
    from loaders.load import load_dataset

    ds = load_dataset(args.file, layout=getattr(args, "layout", None), table=table)
    from dashboard.maps.flows import FlowQuery, compute_flows, default_countries

    # flows fetch the country shapes only for country or region nodes, and a flow map
    # drawn with none given inlines the basemap file as it is: a place-level flow map
    # never builds them (0.1 s, and geopandas to hold them)
    countries = default_countries() if args.kind == "hotspots" else None
    k = max(args.suppress, SHARED_MIN_K)
    if k != args.suppress:
        print(f"routemap: counts below {k} are always withheld in a map and its exports "
              f"(--suppress {args.suppress} asked for less)", file=sys.stderr)
    query = FlowQuery(
        years=args.years, min_count=args.min_count, top=args.top or None,
        suppress=k, level=args.level, colour_by=args.colour_by,
        focus=_focus_key(ds, args.focus, countries),
    )
    title = args.title or (ds.meta.name or "")
    unused = _unused_options(args)
    if unused:
        print(f"routemap: {unused}", file=sys.stderr)
    if args.kind == "hotspots":
        from dashboard.maps.hotspot_map import (
            HotspotOptions,
            compute_hotspots,
            hotspot_map,
            withheld_message,
        )

        hot = compute_hotspots(ds, query, role=args.role, countries=countries)
        m = hotspot_map(hot, HotspotOptions(basemap=args.basemap, title=title,
                                            present=args.present, countries=countries))
        result = hot.flows
        drawn = f"{counted(len(hot.table), 'place')} ranked ({args.role})"
        withheld = withheld_message(hot)
    else:
        result = compute_flows(ds, query, countries=countries)
        from dashboard.maps.flow_map import FlowMapOptions, flow_map

        opts = FlowMapOptions(
            colour_by="attribute" if args.colour_by else "role", basemap=args.basemap,
            title=title, present=args.present, countries=countries,
        )
        m = flow_map(result, opts)
        drawn = f"{counted(result.summary.flows_shown, 'corridor')} drawn"
        withheld = result.withheld.message()
    from dashboard.maps import exports

    if args.png and args.kind == "hotspots":
        exports.write_hotspot_png(hot, args.png, title=title, countries=countries)
    elif args.png:
        exports.write_flow_png(result, args.png, title=title, options=opts, countries=countries)
    exports.write_html(m, args.output)
    if args.flows_csv:
        exports.write_flows_csv(result, args.flows_csv)
    if args.flows_geojson:
        exports.write_flows_geojson(result, args.flows_geojson)
    if args.places_csv:
        exports.write_places_csv(result, args.places_csv)
    s = result.summary
    records = records_text(s.records_selected, result.withheld.threshold)
    print(f"routemap: wrote {args.output}: {records}, {drawn};"
          f" {withheld[:1].lower()}{withheld[1:]}", file=sys.stderr)
    if s.records_selected == 0 and s.records_total:
        print(f"routemap: {nothing_selected(ds, args.years)}", file=sys.stderr)
    elif args.kind == "flows" and args.min_count and s.flows_total == 0:
        print(f"routemap: no corridor has {args.min_count:,} or more cases (--min-count), so "
              "the map draws none", file=sys.stderr)
    left_out = left_out_of_map(ds.report)
    if left_out:
        print(f"routemap: {left_out}: `routemap check {shlex.quote(args.file)}` lists them",
              file=sys.stderr)


def _unused_options(args: argparse.Namespace) -> str:
    """Options given that this map does not use, in a line ("" if none): a flow map's
    options on a hotspot map were taken and silently left out."""
    if args.kind != "hotspots":
        return ""
    given = [option for option, used in (
        ("--colour-by", args.colour_by), ("--level", args.level != "place"),
        ("--min-count", args.min_count), ("--top", args.top != 500)) if used]
    if not given:
        return ""
    return (f"{' and '.join([', '.join(given[:-1]), given[-1]] if len(given) > 1 else given)}"
            f" {'shape' if len(given) > 1 else 'shapes'} flow maps only: the hotspot map "
            "does not use " + ("them" if len(given) > 1 else "it"))


def _focus_key(ds: Dataset, text: str | None, countries: Any) -> str | None:
    if not text:
        return None
    from dashboard.maps.focus_place import resolve_focus

    return resolve_focus(ds, text, countries)


def nothing_selected(ds: Dataset, years: tuple[int | None, int | None] | None) -> str:
    """Why a map of a file with records drew none: the years asked for, when the
    records' years lie elsewhere; otherwise the options together."""
    import pandas as pd

    known = pd.to_numeric(ds.records["year"], errors="coerce").dropna()
    if years is not None and len(known):
        lo, hi = int(known.min()), int(known.max())
        if (years[0] or lo) > hi or (years[1] or hi) < lo:
            return (f"no record in {_span(*years)}, so the map is empty: the dated records "
                    f"are of {_span(lo, hi)}")
    return "no record matches these options together, so the map is empty"


def _span(first: int | None, last: int | None) -> str:
    if first == last:
        return str(first)
    if last is None:
        return f"{first} or later"
    return f"{last} or earlier" if first is None else f"{first}-{last}"


def left_out_of_map(report: LoadReport) -> str:
    """The rows and places of the file that are not on the map, in a few words ("" if
    none): the map itself counts only what it shows, so the command says the rest."""
    parts = []
    if report.rows_rejected:
        parts.append(f"{report.rows_rejected:,} of {counted(report.rows_read, 'row')} "
                     "rejected")
    if report.unresolved:
        parts.append(f"{len(report.unresolved):,} of {counted(report.places_unique, 'place')}"
                     " not located, so not on the map")
    notes = sum(p.kept for p in report.problems)  # e.g. a year that is not one, left blank
    if notes:
        parts.append(f"{counted(notes, 'problem')} noted in rows kept")
    return ", ".join(parts)
