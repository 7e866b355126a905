"""The data model every dataset normalises into (DESIGN §2).

Four tables:

``records``  one row per input record (a case, or an aggregated report row)
    record_id  int64, 0..n-1
    count      Int64; 1 for a case row; <NA> where a source names a route without a number
    year       Int64 (<NA> unknown)
    line       int64, the 1-based line in the file the record came from
    ...        attribute columns as strings (exploitation, gender, age_group, citizenship, ...)

``stops``    one row per stop of a record's route, in order
    record_id  int64
    seq        int16, 0-based order along the route
    role       category: origin / transit / destination
    place_id   int32, row of ``places``

``places``   one row per distinct place text (with its country hint and any given coordinates)
    place_id   int32, 0..m-1 (equal to the row position)
    query      the text as written
    country_hint  the country written beside it ("" if none)
    name, kind (country/admin/city/region/coordinates/""), iso3, lat, lon,
    match      exact/alias/code/fuzzy/user/coordinates/unresolved
    score      0..100 (100 for exact, code and alias matches)
    key        canonical location: "country:PAK", "city:1174872", "region:GCC",
               "coord:24.8600,67.0100", or "unresolved:<normalised text>". Two spellings of
               one place share a key, so flows group on it.
    suggestion best guess for an unresolved place (or "")
    members    for regions: ISO3 codes separated by spaces ("" otherwise)

``legs``     derived: consecutive stop pairs (see :func:`legs_of`)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from loaders.report import LoadReport

ROLES = ("origin", "transit", "destination")
ROLE_DTYPE = pd.CategoricalDtype(list(ROLES), ordered=True)
MATCH_METHODS = ("alias", "user", "code", "exact", "fuzzy", "coordinates", "unresolved")

RECORD_BASE_COLUMNS = ("record_id", "count", "year", "line")
PLACE_COLUMNS = (
    "place_id", "query", "country_hint", "name", "kind", "iso3", "lat", "lon",
    "match", "score", "key", "suggestion", "members",
)


@dataclass(slots=True)
class DatasetMeta:
    name: str = ""
    source: str = ""
    licence: str = ""
    synthetic: bool = False
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class RawRoutes:
    """What a layout produces from a table, before any place is geocoded.

    ``queries`` holds each distinct (text, country_hint, lat, lon) once; ``stops.query_id``
    points into it. Geocoding turns ``queries`` into ``places`` row for row.
    """

    records: pd.DataFrame
    stops: pd.DataFrame  # record_id, seq, role, query_id
    queries: pd.DataFrame  # text, country_hint, lat, lon (NaN unless the file gave them)
    rows_read: int
    rejected_rows: int
    problems: list = field(default_factory=list)
    set_aside: list[str] = field(default_factory=list)
    columns: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Dataset:
    records: pd.DataFrame
    stops: pd.DataFrame
    places: pd.DataFrame
    report: LoadReport
    meta: DatasetMeta = field(default_factory=DatasetMeta)

    @property
    def attributes(self) -> list[str]:
        """Attribute columns a user can filter or colour by."""
        return [c for c in self.records.columns if c not in RECORD_BASE_COLUMNS and c != "date"]

    def legs(self) -> pd.DataFrame:
        return legs_of(self.stops)

    def years(self) -> tuple[int, int] | None:
        y = self.records["year"].dropna()
        return (int(y.min()), int(y.max())) if len(y) else None


def legs_of(stops: pd.DataFrame) -> pd.DataFrame:
    """Consecutive stop pairs of each record: record_id, from_place, to_place, leg_role.

    A record with one known stop draws no leg; a missing end simply is not a stop.
    """
    s = stops.sort_values(["record_id", "seq"], kind="stable")
    rid = s["record_id"].to_numpy()
    place = s["place_id"].to_numpy()
    role = s["role"].astype(str).to_numpy()
    same = rid[1:] == rid[:-1]
    from_role, to_role = role[:-1][same], role[1:][same]
    leg_role = np.char.add(np.char.add(from_role.astype("U11"), "→"), to_role.astype("U11"))
    return pd.DataFrame(
        {
            "record_id": rid[:-1][same],
            "from_place": place[:-1][same],
            "to_place": place[1:][same],
            "leg_role": pd.Categorical(leg_role),
        }
    )
