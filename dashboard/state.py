"""The dashboard's view state, and its round trip through the URL (DESIGN §6).

A link must reproduce a view, so everything the sidebar sets lives in query parameters:

====================  ==========================================================
``ds``                dataset: "demo", "seed" or a library id
``years``             "2015-2020" (or "2019"); absent: all years
``f.<column>``        attribute filter, one parameter per value (repeatable)
``focus``             place key, e.g. "country:PAK"
``min``               minimum flow (cases) on a corridor
``top``               number of corridors drawn
``colour``            "role" or an attribute column
``basemap``           vector / light / dark
``k``                 suppression threshold K (counts below K are withheld)
``role``              hotspots role: origin / transit / destination
``level``             place / country / region
====================  ==========================================================

Links come from anyone, so every value is parsed and checked against the dataset; a bad
value is dropped (the default stays) and produces a one-line notice, never an exception.
Only values that differ from the defaults are written, so links stay short.

Pure: no streamlit import, so it is unit-tested directly (tests/test_state.py).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dashboard.maps.wording import distinct_labels
from loaders.model import ROLES, Dataset

if TYPE_CHECKING:
    from dashboard.maps.flows import FlowQuery

BASEMAPS = ("vector", "light", "dark")
LEVELS = ("place", "country", "region")
COLOUR_ROLE = "role"  # colour arcs by leg role; any other value names an attribute
DEFAULT_DATASET = "demo"
DEFAULT_K = 5
MAX_K = 100
MAX_TOP = 5000
FILTER_PREFIX = "f."
MAX_FACET_VALUES = 500  # attribute columns with more values are not offered as filters
_LIBRARY_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")

ParamValue = str | Sequence[str]


@dataclass(frozen=True, slots=True)
class ViewState:
    """What the sidebar selects. ``years`` None means all years; ``filters`` maps an
    attribute column to the values kept (absent column: all values)."""

    dataset: str = DEFAULT_DATASET
    years: tuple[int, int] | None = None
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    focus: str | None = None
    min_flow: int = 0
    top: int = 100
    colour_by: str = COLOUR_ROLE
    basemap: str = "vector"
    k: int = DEFAULT_K
    role: str = "destination"
    level: str = "country"

    def with_(self, **changes: Any) -> ViewState:
        """A copy with ``changes`` (the state is frozen so a cached value cannot drift)."""
        return replace(self, **changes)

    def to_flow_query(self) -> FlowQuery:
        """The query :func:`dashboard.maps.flows.compute_flows` takes for this view."""
        from dashboard.maps.flows import FlowQuery

        return FlowQuery(
            years=self.years,
            attributes={c: list(v) for c, v in self.filters.items()},
            focus=self.focus,
            level=self.level,
            min_count=self.min_flow,
            top=self.top,
            suppress=self.k,
            colour_by=None if self.colour_by == COLOUR_ROLE else self.colour_by,
        )


@dataclass(frozen=True, slots=True)
class Facets:
    """What a dataset offers the sidebar: its years, attribute values and places.

    Computed once per dataset (the views cache it) and used to validate links.
    """

    years: tuple[int, int] | None
    attributes: dict[str, tuple[str, ...]]
    places: dict[str, str]  # place key -> label shown in the focus picker


def facets_of(dataset: Dataset) -> Facets:
    """The years, filterable attribute values and focusable places of ``dataset``."""
    rec = dataset.records
    attrs: dict[str, tuple[str, ...]] = {}
    for col in dataset.attributes:
        values = rec[col].dropna().astype(str)
        uniq = pd.unique(values.to_numpy(dtype=object))
        if 0 < len(uniq) <= MAX_FACET_VALUES and not _identifies_records(col, values, uniq):
            attrs[col] = tuple(sorted(str(v) for v in uniq))
    return Facets(years=dataset.years(), attributes=attrs, places=place_labels(dataset))


_ID_NAME = re.compile(r"(^|[\W_])(id|ids|identifier|ref|reference)$|^(id|record|case)([\W_]|$)",
                      re.IGNORECASE)


def _identifies_records(name: str, values: pd.Series, uniq: Any) -> bool:
    """An identifier, not a filter: named like one (record_id, Case ID), or a value of
    its own for each of ten or more records. A filter of record ids picked out single
    victims' records, one at a time."""
    return bool(_ID_NAME.search(name.strip())) or (len(uniq) == len(values) >= 10)


def place_labels(dataset: Dataset) -> dict[str, str]:
    """Place key -> label for the focus picker, e.g. "Hyderabad (city, PAK)", sorted.

    Every label is distinct: the picker sends back the label it shows, so two places
    with one label (Hyderabad in India and in Pakistan) could not both be picked. A
    name used twice gets its country, and the key if that is not enough.
    """
    places = dataset.places
    used = dataset.places_used()
    sub = places.iloc[used] if len(used) else places.iloc[:0]
    parts: dict[str, tuple[str, str, str]] = {}
    for key, name, query, kind, iso3 in zip(
            sub["key"].astype(str), sub["name"].astype(str), sub["query"].astype(str),
            sub["kind"].astype(str), sub["iso3"].fillna("").astype(str), strict=True):
        if key and key not in parts:
            parts[key] = (name or query, kind or "unresolved", iso3)
    names = Counter(label for label, _, _ in parts.values())
    labels = {key: (f"{label} ({kind}, {iso3})" if names[label] > 1 and iso3
                    else f"{label} ({kind})") for key, (label, kind, iso3) in parts.items()}
    # the countries and regions the places are in: "routes through Pakistan" of a file
    # that names only Karachi and Lahore, or through the Gulf (as the command line takes)
    labels.update(_areas_around(dataset, set(labels)))
    return dict(sorted(distinct_labels(labels).items(), key=lambda kv: kv[1].lower()))


def _areas_around(dataset: Dataset, have: set[str]) -> dict[str, str]:
    """Country and region keys -> labels for the places of ``dataset`` (none it has)."""
    from dashboard.maps.focus_place import focus_candidates

    cand = focus_candidates(dataset)  # without the gazetteer: the places' countries by code
    areas = cand[cand["key"].str.startswith(("country:", "region:"))
                 & ~cand["key"].isin(have)].drop_duplicates("key")
    return dict(zip(areas["key"], areas["label"], strict=True))


# ---- parsing ---------------------------------------------------------------------------


def _last(value: ParamValue) -> str:
    if isinstance(value, str):
        return value
    return str(value[-1]) if len(value) else ""


def _all(value: ParamValue) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _shown(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _int(text: str, lo: int, hi: int) -> int | None:
    text = text.strip()
    if not re.fullmatch(r"-?\d{1,9}", text):
        return None
    n = int(text)
    return n if lo <= n <= hi else None


def parse_years(text: str) -> tuple[int, int] | None:
    """ "2015-2020", "2015..2020" or "2019" -> (first, last); None if malformed."""
    m = re.fullmatch(r"\s*(\d{4})\s*(?:(?:-|\.\.|:|–)\s*(\d{4}))?\s*", text)
    if not m:
        return None
    lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
    return (lo, hi) if lo <= hi else None


def parse_dataset_id(value: str | None, available: Collection[str] | None = None
                     ) -> tuple[str, list[str]]:
    """The dataset a link names, or the default with a notice when it is not available."""
    if value is None or value == "":
        return DEFAULT_DATASET, []
    ok = _LIBRARY_ID.match(value) is not None
    if ok and (available is None or value in available):
        return value, []
    return DEFAULT_DATASET, [f"Ignored dataset {_shown(value)} from the link: no such dataset "
                             f"here; showing the {DEFAULT_DATASET} data."]


def from_query_params(
    params: Mapping[str, ParamValue],
    dataset: Dataset | Facets,
    *,
    available: Collection[str] | None = None,
) -> tuple[ViewState, list[str]]:
    """Parse and validate a link's parameters against ``dataset`` (the one ``ds`` names).

    Returns the state and one notice per ignored value. ``available`` lists dataset ids
    that exist; without it ``ds`` is only checked for shape.
    """
    facets = dataset if isinstance(dataset, Facets) else facets_of(dataset)
    notices: list[str] = []
    d = ViewState()
    out: dict[str, Any] = {}

    def bad(key: str, value: object, why: str) -> None:
        notices.append(f"Ignored {key}={_shown(value)} from the link: {why}.")

    if "ds" in params:
        out["dataset"], n = parse_dataset_id(_last(params["ds"]), available)
        notices += n

    if "years" in params:
        raw = _last(params["years"])
        yrs = parse_years(raw)
        if yrs is None:
            bad("years", raw, "expected a year or a range like 2015-2020")
        elif facets.years is None:
            bad("years", raw, "this dataset has no years")
        else:
            lo, hi = max(yrs[0], facets.years[0]), min(yrs[1], facets.years[1])
            if lo > hi:
                bad("years", raw, f"the data covers {facets.years[0]}-{facets.years[1]}")
            else:
                if (lo, hi) != yrs:
                    notices.append(f"Years {yrs[0]}-{yrs[1]} from the link narrowed to "
                                   f"{lo}-{hi}, the years the data covers.")
                out["years"] = (lo, hi)

    filters: dict[str, tuple[str, ...]] = {}
    for key, value in params.items():
        if not key.startswith(FILTER_PREFIX):
            continue
        col = key[len(FILTER_PREFIX):]
        if col not in facets.attributes:
            bad(key, ",".join(_all(value)), f"no filterable column {_shown(col)}")
            continue
        allowed = set(facets.attributes[col])
        wanted = list(dict.fromkeys(_all(value)))
        unknown = [v for v in wanted if v not in allowed]
        if unknown:
            bad(key, ",".join(unknown), f"not a value of {_shown(col)}")
        kept = tuple(v for v in wanted if v in allowed)
        if kept:
            filters[col] = kept
    if filters:
        out["filters"] = filters

    if "focus" in params:
        raw = _last(params["focus"])
        if raw in facets.places:
            out["focus"] = raw
        elif raw:
            bad("focus", raw, "no such place in this dataset")

    for key, attr, lo, hi in (("min", "min_flow", 0, 10**9), ("top", "top", 1, MAX_TOP),
                              ("k", "k", 0, MAX_K)):
        if key in params:
            raw = _last(params[key])
            n = _int(raw, lo, hi)
            if n is None:
                bad(key, raw, f"expected a whole number from {lo} to {hi}")
            else:
                out[attr] = n

    for key, attr, choices in (("basemap", "basemap", BASEMAPS), ("role", "role", ROLES),
                               ("level", "level", LEVELS),
                               ("colour", "colour_by", (COLOUR_ROLE, *facets.attributes))):
        if key in params:
            raw = _last(params[key])
            if raw in choices:
                out[attr] = raw
            else:
                bad(key, raw, "expected one of " + ", ".join(choices[:12]))

    known = {"ds", "years", "focus", "min", "top", "k", "basemap", "role", "level", "colour"}
    for key in params:
        if key not in known and not key.startswith(FILTER_PREFIX):
            bad(key, _last(params[key]), "unknown setting")
    return d.with_(**out), notices


def to_query_params(state: ViewState) -> dict[str, str | list[str]]:
    """The link parameters of ``state``: the dataset, then only what differs from defaults."""
    d = ViewState()
    out: dict[str, str | list[str]] = {"ds": state.dataset}
    if state.years is not None:
        lo, hi = state.years
        out["years"] = str(lo) if lo == hi else f"{lo}-{hi}"
    for col in sorted(state.filters):
        out[FILTER_PREFIX + col] = list(state.filters[col])
    if state.focus:
        out["focus"] = state.focus
    for key, attr in (("min", "min_flow"), ("top", "top"), ("k", "k")):
        if getattr(state, attr) != getattr(d, attr):
            out[key] = str(getattr(state, attr))
    for key, attr in (("basemap", "basemap"), ("role", "role"), ("level", "level"),
                      ("colour", "colour_by")):
        if getattr(state, attr) != getattr(d, attr):
            out[key] = getattr(state, attr)
    return out


# ---- what the state selects --------------------------------------------------------------


def record_mask(dataset: Dataset, state: ViewState, *, countries: Any = None) -> np.ndarray:
    """Records the state selects: years, attribute filters and the focus place.

    The same rule as the maps' (:func:`dashboard.maps.flows.filtered_records`): records
    of unknown year drop out when a year range is set, and focusing on a country
    includes its cities, so the page's figures and the map's caveat agree.
    """
    from dashboard.maps.flows import filtered_records

    return filtered_records(dataset, state.to_flow_query(), countries=countries)


@dataclass(frozen=True, slots=True)
class KeyFigures:
    """Headline numbers of the selected records, for the page headers."""

    records: int
    records_total: int
    cases: int
    uncounted: int  # records reported without a number: never counted as one case
    places: int
    years: tuple[int, int] | None


def key_figures(dataset: Dataset, state: ViewState, *, countries: Any = None) -> KeyFigures:
    """Records, cases, places and years of what ``state`` selects in ``dataset``."""
    mask = record_mask(dataset, state, countries=countries)
    rec = dataset.records[mask]
    count = pd.array(rec["count"], dtype="Int64")
    keys = dataset.places["key"].astype(str).to_numpy()[dataset.places_used(mask)]
    year = rec["year"].dropna()
    return KeyFigures(
        records=len(rec), records_total=len(dataset.records),
        cases=int(count.sum(skipna=True)) if len(rec) else 0,
        uncounted=int(count.isna().sum()),
        places=len(set(keys.tolist())),
        years=(int(year.min()), int(year.max())) if len(year) else None,
    )
