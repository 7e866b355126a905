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
    Layouts whose routes fill fixed slots hand the stops over as a :class:`StopGrid`
    (records × slots); ``Dataset.stops`` builds this table from it on first use.

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


class StopGrid:
    """The stops of records whose routes fill fixed slots (origin, transits, destination).

    A records × slots array of place ids, -1 where a slot is empty: four bytes a slot,
    where the long ``stops`` table takes nineteen a stop plus its index. Loading a million
    routes builds this; the long table is made only when something asks for it, so
    ``routemap check`` never pays for it.
    """

    __slots__ = ("ids", "roles")

    def __init__(self, ids: np.ndarray, roles: np.ndarray) -> None:
        self.ids = np.asarray(ids, np.int32)  # (records, slots)
        self.roles = np.asarray(roles, np.int8)  # (slots,) role code of each slot

    def __len__(self) -> int:
        return int(np.count_nonzero(self.ids >= 0))

    def uses(self, n_places: int, among: np.ndarray | None = None) -> np.ndarray:
        """How many stops name each place id 0..n_places-1; only the ids ``among`` are
        counted when given (the rest read 0), which skips most of the work when they
        are few, as unresolved places are."""
        flat = self.ids.ravel()
        if among is None:
            # -1 (an empty slot) shifts to bin 0 and is dropped, without a masked copy
            return np.bincount(flat + 1, minlength=n_places + 1)[1:]
        wanted = np.zeros(n_places + 1, bool)  # the last entry stands for -1: never wanted
        wanted[among] = True
        return np.bincount(flat[wanted[flat]], minlength=n_places)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(record_id, place_id, role code) of every stop, in route order."""
        valid = self.ids >= 0
        rid = np.repeat(np.arange(len(self.ids), dtype=np.int64),
                        np.count_nonzero(valid, axis=1))
        return rid, self.ids[valid], np.broadcast_to(self.roles, self.ids.shape)[valid]

    def frame(self, id_column: str = "place_id") -> pd.DataFrame:
        rid, pid, role = self.arrays()
        valid = self.ids >= 0
        seq = (np.cumsum(valid, axis=1, dtype=np.int16) - 1)[valid]
        return stops_frame(rid, seq, role, pid, id_column)


def stops_frame(
    record_id: np.ndarray, seq: np.ndarray, role: np.ndarray, place_id: np.ndarray,
    id_column: str = "place_id",
) -> pd.DataFrame:
    """The long stops table from its columns (role as codes 0/1/2)."""
    return pd.DataFrame(
        {
            "record_id": record_id.astype(np.int64, copy=False),
            "seq": seq.astype(np.int16, copy=False),
            "role": pd.Categorical.from_codes(role.astype(np.int8, copy=False),
                                              dtype=ROLE_DTYPE),
            id_column: place_id.astype(np.int32, copy=False),
        },
        copy=False,
    )


Stops = pd.DataFrame | StopGrid


def stop_uses(stops: Stops, n_places: int, among: np.ndarray | None = None) -> np.ndarray:
    """How many stops name each place id 0..n_places-1 (a long table with ``place_id`` or
    a grid); with ``among``, only those ids are counted and the rest read 0."""
    if isinstance(stops, StopGrid):
        return stops.uses(n_places, among)
    ids = stops["place_id"].to_numpy()
    uses = np.bincount(ids[(ids >= 0) & (ids < n_places)], minlength=n_places)
    if among is not None:
        uses[np.setdiff1d(np.arange(n_places), among)] = 0
    return uses


@dataclass(slots=True)
class RawRoutes:
    """What a layout produces from a table, before any place is geocoded.

    ``queries`` holds each distinct (text, country_hint, lat, lon) once; the stops point
    into it by ``query_id``. Geocoding turns ``queries`` into ``places`` row for row.
    """

    records: pd.DataFrame
    stop_table: Stops  # record_id, seq, role, query_id; or the grid they come from
    queries: pd.DataFrame  # text, country_hint, lat, lon (NaN unless the file gave them)
    rows_read: int
    rejected_rows: int
    problems: list = field(default_factory=list)
    set_aside: list[str] = field(default_factory=list)
    columns: dict[str, Any] = field(default_factory=dict)

    @property
    def stops(self) -> pd.DataFrame:
        if isinstance(self.stop_table, StopGrid):
            return self.stop_table.frame("query_id")
        return self.stop_table


class Dataset:
    """A loaded dataset: records, their stops, the places they name, and the load report.

    ``stops`` may be given as a :class:`StopGrid`; the long table is then built on first
    use and kept.
    """

    __slots__ = ("_grid", "_stops", "meta", "places", "records", "report")

    def __init__(
        self,
        records: pd.DataFrame,
        stops: Stops,
        places: pd.DataFrame,
        report: LoadReport,
        meta: DatasetMeta | None = None,
    ) -> None:
        self.records = records
        self.places = places
        self.report = report
        self.meta = meta if meta is not None else DatasetMeta()
        self._stops: pd.DataFrame | None = None
        self._grid: StopGrid | None = None
        self.stops = stops

    @property
    def stops(self) -> pd.DataFrame:
        """record_id, seq, role, place_id: one row per stop, records in order."""
        if self._stops is None:
            assert self._grid is not None
            self._stops = self._grid.frame("place_id")
        return self._stops

    @stops.setter
    def stops(self, value: Stops) -> None:
        if isinstance(value, StopGrid):
            self._grid, self._stops = value, None
        else:
            self._grid, self._stops = None, value

    @property
    def grid(self) -> StopGrid | None:
        """The stops as a :class:`StopGrid` when they were loaded that way."""
        return self._grid

    def places_used(self, selected: np.ndarray | None = None) -> np.ndarray:
        """Ids of the places named by a stop of the ``selected`` records (a boolean mask
        over ``records``; every record by default), in order."""
        n = len(self.places)
        if self._stops is None and self._grid is not None:
            grid = self._grid
            if selected is not None:
                grid = StopGrid(grid.ids[selected], grid.roles)
            return np.flatnonzero(grid.uses(n))
        stops = self.stops
        pid = stops["place_id"].to_numpy()
        if selected is not None:
            chosen = self.records["record_id"].to_numpy()[selected]
            pid = pid[np.isin(stops["record_id"].to_numpy(), chosen)]
        return np.unique(pid[(pid >= 0) & (pid < n)])

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
