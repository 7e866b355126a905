"""Which input layout a table is in (DESIGN §3), and the column mapping that reads it.

Five layouts turn a :class:`~loaders.readers.Table` into :class:`~loaders.model.RawRoutes`:

``routes``       one row per route: origin, transit(s), destination columns
``legs``         one row per leg: from, to (chained into routes by route id + leg order)
``matrix``       UN DESA style: destinations as rows, one count column per origin
``ctdc``         IOM's Counter Trafficking Data Collaborative case files
``coordinates``  lat/lon columns per stop, or GeoJSON lines and points

:func:`detect_layout` guesses from the column names (and, for the matrix, the values);
:func:`spec_for` applies a user's override; :func:`build_routes` does the work, on
distinct values only, so a million rows take well under a second.

Attribute columns: every column the mapping does not use is kept as a categorical
attribute, except columns that are empty, numeric with more than 20 distinct values
(ages, ids), or, in tables of 1,000 rows or more, distinct in more than half the rows
(free-text notes, case ids): nobody filters a map on those. They are listed in
``columns["ignored"]``.

Counts: a blank count is <NA> (a route named without a number); a count of 0 is kept as
0; text, negative or fractional counts reject the row with a Problem naming the column
and value. Years: dates give their year; an unreadable or impossible year is blanked and
noted, the row kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from loaders._json import GEOMETRY
from loaders._layout_core import TableLike, encode, parse_counts
from loaders.errors import SchemaError
from loaders.model import RawRoutes

LAYOUTS = ("routes", "legs", "matrix", "ctdc", "coordinates")
ROLE_KEYS = ("origin", "transit", "destination")

_PREFIX = {  # <prefix>_city, <prefix>_country, <prefix>_lat ...
    "origin": ("origin", "source", "from", "orig", "start", "departure", "recruitment", "home"),
    "transit": ("transit", "via", "stopover", "through", "transit_point"),
    "destination": ("destination", "dest", "to", "end", "arrival", "exploitation", "target"),
}
_PLAIN_PREFIX = {  # the bare word names the place ("exploitation" alone is a kind, not a place)
    "origin": ("origin", "source", "from", "orig"),
    "transit": ("transit", "via", "stopover", "transit_point"),
    "destination": ("destination", "dest", "to"),
}
_PLAIN_SUFFIX = ("", "_place", "_name", "_location", "_point", "_places", "_points", "_countries")
_LIST_HEADERS = {"transits", "stopovers", "transit_points", "transit_countries", "transit_places",
                 "via_countries", "transit_routes", "transit_cities"}
_COUNT = ("count", "counts", "cases", "case_count", "n", "num", "number", "number_of_cases",
          "number_of_victims", "victims", "victim_count", "n_cases", "n_victims", "num_cases",
          "num_victims", "persons", "people", "individuals", "value", "freq", "frequency",
          "weight", "flow", "volume", "total_cases", "total_victims")
_COUNT_WORDS = {"victims", "cases", "count", "persons", "people", "individuals"}
_YEAR = ("year", "yr", "date", "year_of_registration", "registration_year", "reporting_year",
         "report_year", "year_reported", "date_reported", "reported", "period", "case_year",
         "date_of_report", "year_of_exploitation")
_ROUTE_ID = ("route_id", "route", "routeid", "trip_id", "journey_id", "chain_id", "route_no",
             "route_number", "path_id", "case_id")
_ORDER = ("leg", "seq", "sequence", "step", "order", "leg_no", "leg_number", "leg_order",
          "leg_seq", "stage", "hop", "leg_index")
_LAT = ("lat", "latitude", "y")
_LON = ("lon", "lng", "long", "longitude", "x")
_MATRIX_LABEL = ("majorarea", "major_area", "destination", "destination_country", "country",
                 "area", "country_or_area", "region", "dest", "host_country",
                 "receiving_country", "to")
_MATRIX_NOT_ORIGIN = re.compile(
    r"^(sort_?order|code|country_code|iso\d?|notes?|type_of_data|index|id|unnamed.*|"
    r"type|level|fid|objectid)$"
)
CTDC_SIGNATURE = ("citizenship", "country_of_exploitation", "year_of_registration",
                  "is_forced_labour", "is_sexual_exploit", "is_other_exploit", "age_broad",
                  "majority_status", "datasource")
# attribute columns the dashboard knows by name
ATTRIBUTE_NAMES = {
    "type_of_exploitation": "exploitation", "exploitation_type": "exploitation",
    "form_of_exploitation": "exploitation", "exploitation": "exploitation",
    "sex": "gender", "gender": "gender", "victim_gender": "gender",
    "age_group": "age_group", "age_broad": "age_group", "agegroup": "age_group",
    "age_band": "age_group", "age_category": "age_group",
    "citizenship": "citizenship", "nationality": "citizenship",
    "source": "source", "data_source": "source", "datasource": "source",
}


def norm(header: str) -> str:
    """Header key: camelCase and punctuation to snake_case ("CountryOfExploitation")."""
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(header).strip())
    return re.sub(r"[^0-9a-z]+", "_", s.lower()).strip("_")


@dataclass
class LayoutSpec:
    """A layout name and the columns it reads (role -> column names, count, year, ...)."""

    layout: str
    columns: dict[str, Any] = field(default_factory=dict)


class _Headers:
    """Lookup of a table's columns by normalised name."""

    def __init__(self, names: list[str]) -> None:
        self.names = list(names)
        self.by_key: dict[str, str] = {}
        for n in self.names:
            self.by_key.setdefault(norm(n), n)

    def find(self, *keys: str) -> str | None:
        for k in keys:
            if k in self.by_key:
                return self.by_key[k]
        return None


def _role_columns(h: _Headers, role: str) -> dict[str, Any]:
    """text columns (city first), country hint, lat and lon of one role."""
    prefixes = _PREFIX[role]
    city = h.find(*(f"{p}_city" for p in prefixes), *(f"city_of_{p}" for p in prefixes))
    plain = h.find(*(f"{p}{s}" for p in _PLAIN_PREFIX[role] for s in _PLAIN_SUFFIX))
    country = h.find(*(f"{p}_country" for p in prefixes), *(f"country_of_{p}" for p in prefixes),
                     *(f"{p}_country_name" for p in prefixes))
    if role == "transit" and plain is None:
        plain = h.find(*_LIST_HEADERS)
    text = [c for c in (city, plain) if c]
    hint = None
    if text and country and country not in text:
        hint = country
    elif country:
        text = [country]
    lat = h.find(*(f"{p}_{s}" for p in prefixes for s in _LAT), *(f"{s}_{p}" for p in prefixes
                                                                    for s in _LAT))
    lon = h.find(*(f"{p}_{s}" for p in prefixes for s in _LON), *(f"{s}_{p}" for p in prefixes
                                                                    for s in _LON))
    return {"text": text, "hint": hint, "lat": lat, "lon": lon}


def _numbered_transits(h: _Headers) -> list[str]:
    found = []
    for n in h.names:
        m = re.fullmatch(r"(transit|via|stopover|stop)_?(\d+)(_[a-z]+)?", norm(n))
        if m and (m.group(3) in (None, "_country", "_city", "_place", "_name")):
            found.append((int(m.group(2)), m.group(3) != "_city", n))
    found.sort()
    # transit_1_city beside transit_1_country: the city is the text
    seen, out = set(), []
    for num, _, n in found:
        if num not in seen:
            seen.add(num)
            out.append(n)
    return out


def _base_columns(h: _Headers) -> dict[str, Any]:
    cols: dict[str, Any] = {"origin": [], "transit": [], "destination": [],
                            "country_hint": {}, "lat": {}, "lon": {}}
    for role in ROLE_KEYS:
        rc = _role_columns(h, role)
        cols[role] = rc["text"]
        if rc["hint"]:
            cols["country_hint"][role] = rc["hint"]
        if rc["lat"] and rc["lon"]:
            cols["lat"][role], cols["lon"][role] = rc["lat"], rc["lon"]
    numbered = _numbered_transits(h)
    if numbered:
        cols["transit"] = [c for c in cols["transit"] if c not in numbered] + numbered
    cols["count"] = h.find(*_COUNT) or next(
        (n for n in h.names if set(norm(n).split("_")) & _COUNT_WORDS), None
    )
    cols["year"] = h.find(*_YEAR) or next((n for n in h.names if "year" in norm(n)), None)
    return cols


def _used(cols: dict[str, Any]) -> set[str]:
    used: set[str] = set()
    for v in cols.values():
        if isinstance(v, str):
            used.add(v)
        elif isinstance(v, list):
            used.update(x for x in v if isinstance(x, str))
        elif isinstance(v, dict):
            used.update(x for x in v.values() if isinstance(x, str))
    return used


def pick_attributes(table: TableLike, cols: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Columns kept as attributes and columns ignored (see the module docstring)."""
    used = _used(cols) | {GEOMETRY}
    keep, ignored = [], []
    n = table.data.num_rows
    for name in table.data.column_names:
        if name in used:
            continue
        col = encode(table, name)
        present = np.bincount(col.codes, minlength=len(col.dictionary)) > 0
        values = np.asarray(col.dictionary.to_numpy(zero_copy_only=False), dtype=object)[present]
        nonblank = [v for v in values if str(v).strip() not in ("", "-99", "NA")]
        if not nonblank:
            ignored.append(name)
            continue
        if n >= 1000 and len(values) > n / 2:
            ignored.append(name)
            continue
        if len(nonblank) > 20:
            bad = parse_counts(col.dictionary)[2]
            if not bad[present].any():
                ignored.append(name)
                continue
        keep.append(name)
    return keep, ignored


def attribute_name(column: str, taken: set[str]) -> str:
    """The records column an attribute is stored under (known names mapped to ours)."""
    name = ATTRIBUTE_NAMES.get(norm(column), column.strip() or "column")
    while name in taken or name in ("record_id", "count", "year", "line", "date"):
        name = f"{name}_attr"
    taken.add(name)
    return name


# ---- detection ---------------------------------------------------------------------------


def _numeric_columns(table: TableLike, skip: set[str]) -> list[str]:
    """Columns whose non-blank values are (nearly all) whole numbers."""
    out = []
    for name in table.data.column_names:
        if name in skip or name == GEOMETRY:
            continue
        col = encode(table, name)
        present = np.bincount(col.codes, minlength=len(col.dictionary)) > 0
        _, blank, bad = parse_counts(col.dictionary)
        good = present & ~blank & ~bad
        if good.any() and (present & bad).sum() <= max(1, 0.02 * present.sum()):
            out.append(name)
    return out


def _guess(table: TableLike, layout: str) -> dict[str, Any]:
    """The column mapping of ``layout`` guessed from the headers (may miss required parts)."""
    h = _Headers(table.data.column_names)
    if layout == "ctdc":
        from loaders._layout_ctdc import ctdc_columns

        return ctdc_columns(h)
    cols = _base_columns(h)
    if layout == "legs":
        cols["origin"] = cols["origin"] or [c for c in [h.find("from")] if c]
        cols["destination"] = cols["destination"] or [c for c in [h.find("to")] if c]
        cols["route_id"] = h.find(*_ROUTE_ID)
        cols["order"] = h.find(*_ORDER)
    if layout == "matrix":
        label = h.find(*_MATRIX_LABEL) or next(
            (n for n in h.names if "destination" in norm(n) or "area" in norm(n)), None
        )
        skip = {c for c in (label, cols["year"]) if c}
        numeric = _numeric_columns(table, skip)
        from loaders._layout_matrix import AGGREGATE_COLUMNS, caps_rule_applies, is_aggregate_name

        origins, ignored = [], []
        caps = caps_rule_applies(numeric)
        for c in numeric:
            key = norm(c)
            aggregate = key in AGGREGATE_COLUMNS or is_aggregate_name(c, caps_rule=caps)
            if aggregate or _MATRIX_NOT_ORIGIN.match(key) or key in _COUNT or key in _YEAR:
                ignored.append(c)
            else:
                origins.append(c)
        return {"destination": [label] if label else [], "origins": origins,
                "year": cols["year"], "ignored": ignored}
    if layout == "coordinates" and GEOMETRY not in h.names and not cols["lat"]:
        lat, lon = h.find(*_LAT), h.find(*_LON)
        if lat and lon:
            cols["lat"]["point"], cols["lon"]["point"] = lat, lon
            cols["name"] = h.find("name", "place", "place_name", "city", "location", "label")
            cols["role"] = h.find("role", "stop_role", "type")
    if layout == "coordinates" and GEOMETRY in h.names:
        cols["geometry"] = GEOMETRY
        cols["name"] = h.find("name", "place", "place_name", "city", "location", "label", "title")
        cols["role"] = h.find("role", "stop_role")
    return cols


def _has_places(cols: dict[str, Any]) -> bool:
    return any(cols.get(r) for r in ROLE_KEYS)


def detect_layout(table: TableLike) -> LayoutSpec:
    """The layout of ``table`` from its column names (and for the matrix, its values)."""
    h = _Headers(table.data.column_names)
    keys = set(h.by_key)
    ctdc_hits = [k for k in CTDC_SIGNATURE if k in keys]
    if len(ctdc_hits) >= 3 or {"citizenship", "country_of_exploitation"} <= keys:
        return _finish(table, "ctdc", _guess(table, "ctdc"))
    if GEOMETRY in h.names:
        return _finish(table, "coordinates", _guess(table, "coordinates"))
    base = _base_columns(h)
    if base["lat"] or (h.find(*_LAT) and h.find(*_LON)):
        return _finish(table, "coordinates", _guess(table, "coordinates"))
    from_to = h.find("from", "from_place", "from_country", "leg_from") and h.find(
        "to", "to_place", "to_country", "leg_to"
    )
    chained = h.find(*_ROUTE_ID) and h.find(*_ORDER)
    if not base["transit"] and (from_to or (chained and _has_places(base))):
        return _finish(table, "legs", _guess(table, "legs"))
    if base["origin"] or base["transit"]:
        return _finish(table, "routes", _guess(table, "routes"))
    matrix = _guess(table, "matrix")
    if matrix["destination"] and len(matrix["origins"]) >= 3:
        return _finish(table, "matrix", matrix)
    if base["destination"]:
        return _finish(table, "routes", _guess(table, "routes"))
    raise SchemaError(
        "no layout fits: looked for origin/source/from, transit/via, destination/to columns, "
        "from/to legs, a destination-by-origin count matrix, CTDC columns (citizenship, "
        "CountryOfExploitation) or lat/lon columns; found columns: "
        + ", ".join(h.names[:40]) + (" ..." if len(h.names) > 40 else "")
    )


def _finish(table: TableLike, layout: str, cols: dict[str, Any]) -> LayoutSpec:
    if layout != "ctdc":
        attrs, ignored = pick_attributes(table, cols)
        cols["attributes"] = cols.get("attributes") or attrs
        cols["ignored"] = sorted(set(cols.get("ignored", [])) | set(ignored),
                                 key=table.data.column_names.index)
    return LayoutSpec(layout, cols)


_REQUIRED = {
    "routes": "an origin, transit or destination column",
    "legs": "from and to columns",
    "matrix": "a destination column and origin count columns",
    "ctdc": "citizenship or CountryOfExploitation",
    "coordinates": "lat/lon columns or a GeoJSON geometry",
}


def _satisfied(layout: str, cols: dict[str, Any]) -> bool:
    if layout == "routes":
        return _has_places(cols)
    if layout == "legs":
        return bool(cols.get("origin") or cols.get("destination"))
    if layout == "matrix":
        return bool(cols.get("destination")) and bool(cols.get("origins"))
    if layout == "ctdc":
        return bool(cols.get("origin") or cols.get("destination"))
    return bool(cols.get("lat") or cols.get("geometry"))


def spec_for(table: TableLike, layout: str | None, columns: dict | None = None) -> LayoutSpec:
    """An explicit layout and/or column mapping; unknown names raise :class:`SchemaError`."""
    if layout is not None and layout not in LAYOUTS:
        raise SchemaError(f"unknown layout '{layout}'; choose one of {', '.join(LAYOUTS)}")
    columns = dict(columns or {})
    names = set(table.data.column_names)
    missing = sorted(c for c in _used(columns) if c not in names)
    if missing:
        raise SchemaError(
            "the column mapping names columns the file does not have: " + ", ".join(missing)
            + "; found columns: " + ", ".join(table.data.column_names[:40])
        )
    if layout is None:
        spec = detect_layout(table)
        layout, cols = spec.layout, spec.columns
    else:
        cols = _guess(table, layout)
    for key, value in columns.items():
        cols[key] = [value] if key in (*ROLE_KEYS, "origins") and isinstance(value, str) else value
    if not _satisfied(layout, cols):
        raise SchemaError(
            f"layout '{layout}' needs {_REQUIRED[layout]}; found columns: "
            + ", ".join(table.data.column_names[:40])
        )
    if "attributes" not in columns:
        cols.pop("attributes", None)
        if layout != "matrix":  # the matrix's ignored columns are its aggregates
            cols.pop("ignored", None)
    return _finish(table, layout, cols)


def build_routes(table: TableLike, spec: LayoutSpec) -> RawRoutes:
    """Records, ordered stops and distinct place queries of ``table`` read as ``spec``."""
    if spec.layout == "routes":
        from loaders._layout_routes import build_wide

        return build_wide(table, spec.columns)
    if spec.layout == "legs":
        from loaders._layout_routes import build_legs

        return build_legs(table, spec.columns)
    if spec.layout == "matrix":
        from loaders._layout_matrix import build_matrix

        return build_matrix(table, spec.columns)
    if spec.layout == "ctdc":
        from loaders._layout_ctdc import build_ctdc

        return build_ctdc(table, spec.columns)
    if spec.layout == "coordinates":
        from loaders._layout_geo import build_coordinates

        return build_coordinates(table, spec.columns)
    raise SchemaError(f"unknown layout '{spec.layout}'; choose one of {', '.join(LAYOUTS)}")
