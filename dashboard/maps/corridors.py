"""The ranked corridor table behind a flow map, built as far as it is asked for.

After suppression each corridor has its counts and years. Its leg role (and colour
value) is the one with the most cases among its legs; that is a grouped reduction over
every leg, and turning a million corridors into a table costs as much again. A map
draws the few hundred largest, so :func:`compute_flows` builds those rows only
(:meth:`Corridors.shown_table`, arcs as arrays; :meth:`Corridors.shown_frame` as a
GeoDataFrame); the whole ranked table (exports, the dashboard's table) is built on first
use from the same arrays (:meth:`Corridors.full_frame`), and both give the same rows for
the corridors they share.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dashboard.maps._grouping import dominant, kept_positions, rank_order, ranked_head
from dashboard.maps.arcs import arc_coords
from loaders.model import ROLES

if TYPE_CHECKING:
    import geopandas as gpd

LEG_ROLES = tuple(f"{a}→{b}" for a in ROLES for b in ROLES)


@dataclass(slots=True)
class LegValues:
    """Each leg's corridor (before suppression) and record; its role, case weight and
    colour code are worked out for the legs of the corridors asked about only (a map
    asks about a few hundred corridors of a million, with a few thousand legs)."""

    flow: np.ndarray
    roles_of: Callable[[np.ndarray | None], np.ndarray]  # leg positions (None: all) -> role
    record: np.ndarray  # each leg's record position
    cases: np.ndarray  # per record: the weight is cases + 1e-3, so a leg without a
    # number still counts a little
    colour: np.ndarray | None  # per record: colour code
    n_flows: int
    n_colours: int

    def dominant(self, flows: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The dominant leg role (and colour code) of each corridor in ``flows``.

        Reduces only the legs of those corridors: each corridor's answer depends on its
        own legs alone, so it is the same as reducing every corridor at once.
        """
        wanted, inverse = np.unique(flows, return_inverse=True)
        rank = np.full(self.n_flows, -1, dtype=np.int64)
        rank[wanted] = np.arange(len(wanted))
        if len(wanted) < self.n_flows:
            # a byte per corridor to find the few hundred corridors' legs among millions:
            # gathering their 8-byte ranks for every leg took twice as long
            asked = np.zeros(self.n_flows, dtype=bool)
            asked[wanted] = True
            legs = np.flatnonzero(asked[self.flow])
            group = rank[self.flow[legs]]
        else:
            legs, group = None, rank[self.flow]

        record = self.record if legs is None else self.record[legs]
        weight = self.cases[record] + 1e-3

        def of(values: np.ndarray, n_values: int) -> np.ndarray:
            return dominant(group, values, weight, len(wanted), n_values)[inverse]

        role = of(self.roles_of(legs), len(LEG_ROLES))
        colour = None if self.colour is None else of(self.colour[record], self.n_colours)
        return role, colour


class Corridors:
    """Suppressed corridors, ranked by cases then records (ties in order of appearance)."""

    def __init__(self, table: Mapping[str, np.ndarray], rows: np.ndarray | None,
                 min_count: int, top: int | None, nodes: pd.DataFrame, colour_labels: Any,
                 legs: LegValues) -> None:
        self._table = table  # from_id, to_id, count, records, uncounted, year_min,
        # year_max, rolled_up, source (the corridor whose legs name its role and colour)
        self._top = top
        self._nodes, self._colour_labels, self._legs = nodes, colour_labels, legs
        self._kept = kept_positions(table["count"], rows, min_count)
        self.n_kept = len(self._kept)
        self._head = ranked_head(table["count"], table["records"], self._kept, top)
        self._shown: CorridorTable | None = None
        self._shown_gdf: gpd.GeoDataFrame | None = None

    @property
    def nodes(self) -> pd.DataFrame:
        """The node table the corridors' ids index (key, name, kind, iso3, lat, lon)."""
        return self._nodes

    def shown_table(self) -> CorridorTable:
        """The top-N rows (every row with no top-N) with the arcs of those that have one.
        Built once: the summary and the map both ask for it."""
        if self._shown is None:
            self._shown = self._rows(self._head, np.ones(len(self._head), dtype=bool))
        return self._shown

    def shown_frame(self) -> gpd.GeoDataFrame:
        """:meth:`shown_table` as a GeoDataFrame, the arcs its geometry."""
        if self._shown_gdf is None:
            self._shown_gdf = self.shown_table().frame()
        return self._shown_gdf

    def full_frame(self) -> gpd.GeoDataFrame:
        """Every kept corridor, largest first; ``shown`` marks the top N."""
        take = rank_order(self._table["count"], self._table["records"], self._kept)
        shown = np.arange(len(take)) < (len(take) if self._top is None else self._top)
        return self._rows(take, shown).frame()

    def _rows(self, take: np.ndarray, shown: np.ndarray) -> CorridorTable:
        cols = {c: np.asarray(v)[take] for c, v in self._table.items()}
        cols["leg_role"], cols["colour"] = self._legs.dominant(cols.pop("source"))
        cols["shown"] = shown
        return corridor_table(cols, self._nodes, self._colour_labels)


@dataclass(frozen=True, slots=True)
class CorridorTable:
    """Corridors as a plain table, with the arcs of the shown rows whose two ends are
    located: ``drawable`` marks those rows and ``arcs`` (rows x points x lon/lat) holds
    their arcs in row order.

    A map reads the arcs as they are: a file map need not import geopandas, shapely and
    pyproj (about 0.09 s of a million-row map's run) to make LineStrings and read their
    coordinates back. :meth:`frame` makes the GeoDataFrame when one is wanted.
    """

    table: pd.DataFrame
    drawable: np.ndarray
    arcs: np.ndarray

    def drawn(self) -> tuple[pd.DataFrame, np.ndarray]:
        """The rows that have an arc, with their arcs."""
        return self.table[self.drawable], self.arcs

    def frame(self) -> gpd.GeoDataFrame:
        """The table as a GeoDataFrame: the arcs as LineStrings, None for other rows."""
        import geopandas as gpd
        import shapely

        geoms = np.full(len(self.table), None, dtype=object)
        if len(self.arcs):
            n_arcs, n_points = self.arcs.shape[:2]
            geoms[self.drawable] = shapely.linestrings(
                self.arcs.reshape(-1, 2), indices=np.repeat(np.arange(n_arcs), n_points))
        return gpd.GeoDataFrame(self.table, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"),
                                copy=False)


def corridor_table(flows: Mapping[str, Any], nodes: pd.DataFrame, colour_labels: Any
                   ) -> CorridorTable:
    """The corridors as a table, with arcs for the shown ones whose ends are located."""
    f, t = flows["from_id"], flows["to_id"]
    out = pd.DataFrame(
        {
            "from_key": _node_text(nodes["key"], f),
            "to_key": _node_text(nodes["key"], t),
            "from_name": _node_text(nodes["name"], f),
            "to_name": _node_text(nodes["name"], t),
            "leg_role": _take_text(pd.Series(list(LEG_ROLES)), flows["leg_role"].astype(np.int64)),
            "count": flows["count"].astype(np.int64, copy=False),
            "records": flows["records"].astype(np.int64, copy=False),
            "uncounted": flows["uncounted"].astype(np.int64, copy=False),
            "year_min": int_or_na(flows["year_min"]),
            "year_max": int_or_na(flows["year_max"]),
            "rolled_up": flows["rolled_up"].astype(bool, copy=False),
            "shown": flows["shown"].astype(bool, copy=False),
        },
        copy=False,  # fresh arrays, not shared with the caller
    )
    if colour_labels is not None:
        out["colour_value"] = _take_text(pd.Series(np.asarray(colour_labels, dtype=object)),
                                         flows["colour"].astype(np.int64))
    # only shown flows are drawn: look up the ends of those, not of every corridor
    idx = np.flatnonzero(flows["shown"])
    fi, ti = f[idx], t[idx]
    lon0, lat0 = nodes["lon"].to_numpy()[fi], nodes["lat"].to_numpy()[fi]
    lon1, lat1 = nodes["lon"].to_numpy()[ti], nodes["lat"].to_numpy()[ti]
    located = ~np.isnan(lon0 + lat0 + lon1 + lat1)
    idx, lon0, lat0, lon1, lat1 = (a[located] for a in (idx, lon0, lat0, lon1, lat1))
    drawable = np.zeros(len(out), dtype=bool)
    drawable[idx] = True
    arcs = arc_coords(lon0, lat0, lon1, lat1) if len(idx) else np.zeros((0, 2, 2))
    return CorridorTable(out, drawable, arcs)


def int_or_na(values: Any) -> pd.arrays.IntegerArray:
    """Whole numbers as nullable Int64, <NA> where NaN."""
    v = np.asarray(values, dtype="float64")
    missing = np.isnan(v)
    return pd.arrays.IntegerArray(np.where(missing, 0, np.round(v)).astype(np.int64), missing)


def _take_text(values: pd.Series, idx: np.ndarray) -> Any:
    """``values[idx]`` typed as pandas would type it, taken in Arrow when it is text.

    Building a text column from a million Python strings is most of the cost of the
    flows table; taking from the few thousand node names in Arrow is not.
    """
    small = pd.Series(values.to_numpy(dtype=object))
    if len(idx) and isinstance(small.dtype, pd.StringDtype):
        return small.array.take(idx)
    return small.to_numpy(dtype=object)[idx]


def _node_text(values: pd.Series, node: np.ndarray) -> pd.Categorical:
    """A node's key or name for each flow, as a categorical over the nodes' values.

    A million corridors name a few thousand nodes: codes into those names cost a copy
    of the node ids, where text columns cost a string per row (80 ms on 2M corridors).
    """
    codes, names = pd.factorize(values)  # a missing value keeps code -1: missing
    return pd.Categorical.from_codes(codes[node], categories=pd.Index(names, dtype="str"))
