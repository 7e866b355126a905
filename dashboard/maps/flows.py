"""Flows and place totals from a Dataset: filters, roll-up, suppression, top-N (DESIGN §2, §5).

``compute_flows(dataset, FlowQuery(...))`` is the one entry point the dashboard and the
command line call. It is vectorised end to end (integer codes, ``np.bincount``, no
per-row Python), so a million records aggregate in well under a second.

Counting rules:
- a flow is legs grouped by (from, to) after roll-up: ``count`` sums the records' counts,
  ``records`` counts the legs' records, ``uncounted`` counts records reported without a
  number; those never count as one case, they are drawn and reported apart;
- a place counts as origin (``out``), transit (``through``) and destination (``in``);
- legs whose two ends roll up into the same node (Karachi -> Lahore at country level)
  are internal: they count toward place totals but draw no arc;
- places without coordinates (unresolved) keep their flows in the table with an empty
  geometry; the map reports them as "not mapped", never drops them silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dashboard.maps._grouping import factorize_ints, first_visits, minmax_taken, pair_keys
from dashboard.maps._walk import (
    PlaceTotals,
    RecordValues,
    grid_walkable,
    ids_are_positions,
    walk_grid,
    walk_stops,
)
from dashboard.maps.corridors import LEG_ROLES, Corridors, LegValues, int_or_na
from dashboard.maps.suppression import (
    DEFAULT_K,
    WITHHELD_ROLE,
    Withheld,
    below_k,
    cases_once,
    corridor_years_withheld,
    every_count_withheld,
    every_part_shown,
    suppress_flow_columns,
    suppress_places,
)
from loaders.errors import RoutemapError
from loaders.gazetteer import from_gazetteer
from loaders.model import ROLES, Dataset

if TYPE_CHECKING:
    import geopandas as gpd

LEVELS = ("place", "country", "region")


class QueryError(RoutemapError):
    """A filter names something the dataset does not have (a column, a level, a role)."""


@dataclass(slots=True)
class FlowQuery:
    """Everything that selects and shapes the flows; the dashboard's sidebar state.

    ``years`` is an inclusive (first, last) range, either end None for open; records of
    unknown year are left out when a range is set. ``attributes`` maps a record column
    to the values kept. ``focus`` is a place key ("country:PAK", "city:1174872"): only
    records with a stop there in one of ``focus_roles`` are kept. ``suppress`` is K
    (0 or 1 turns suppression off).
    """

    years: tuple[int | None, int | None] | None = None
    attributes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    focus: str | None = None
    focus_roles: tuple[str, ...] = ROLES
    leg_roles: tuple[str, ...] | None = None
    level: str = "place"
    min_count: int = 0
    top: int | None = 500
    suppress: int = DEFAULT_K
    rollup_small: bool = True
    colour_by: str | None = None

    def validate(self, dataset: Dataset) -> None:
        """Raise QueryError with a one-line message if the query cannot apply."""
        if self.level not in LEVELS:
            raise QueryError(f"unknown level {self.level!r}; use one of {', '.join(LEVELS)}")
        bad = [r for r in self.focus_roles if r not in ROLES]
        if bad:
            raise QueryError(f"unknown role {bad[0]!r}; use origin, transit or destination")
        if self.leg_roles is not None:
            bad = [r for r in self.leg_roles if r not in LEG_ROLES]
            if bad:
                raise QueryError(f"unknown leg role {bad[0]!r}; e.g. origin→transit")
        cols = set(dataset.attributes)
        for col in [*self.attributes, *([self.colour_by] if self.colour_by else [])]:
            if col not in cols:
                raise QueryError(f"no attribute column {col!r} in this dataset")
        if self.min_count < 0 or (self.top is not None and self.top < 0) or self.suppress < 0:
            raise QueryError("minimum count, top-N and suppression threshold must be >= 0")


@dataclass(frozen=True, slots=True)
class FlowSummary:
    """Figures for the caveat box: what was selected, what is shown, what is not."""

    name: str
    source: str
    synthetic: bool
    level: str
    records_total: int
    records_selected: int
    cases_selected: int
    uncounted_selected: int
    years: tuple[int, int] | None
    flows_total: int
    flows_shown: int
    cases_shown: int
    flows_unmapped: int
    internal_legs: int
    layout: str = ""  # the file's layout: a matrix's years are snapshots, not periods
    records_no_year: int = 0  # of the records selected, those with no year


class FlowResult:
    """Flows (arcs) and place totals as GeoDataFrames, plus what was withheld.

    ``flows`` is every kept corridor, largest first, ``shown`` marking the top N. It is
    built on first use: a map needs only the corridors it draws, which are worked out
    without it (see :mod:`dashboard.maps.corridors`). ``places`` is built on first use
    from ``place_table``, the same rows without points. A map reads the plain tables
    (:attr:`drawn_corridors`, :meth:`drawn_place_table`), so a map written from the
    command line never imports geopandas. Results are not changed once built.
    """

    __slots__ = ("_corridors", "_drawn", "_flows", "_places", "nodes", "place_table",
                 "query", "summary", "withheld")

    def __init__(self, flows: gpd.GeoDataFrame | Corridors, places: pd.DataFrame,
                 withheld: Withheld, summary: FlowSummary, query: FlowQuery,
                 nodes: pd.DataFrame | None = None) -> None:
        self._corridors = flows if isinstance(flows, Corridors) else None
        self._flows = None if isinstance(flows, Corridors) else flows
        # ``places`` is a table with lat and lon, whose points are made when first asked
        # for, or a GeoDataFrame of the same rows
        has_points = "geometry" in places.columns
        self._places = places if has_points else None
        self.place_table = pd.DataFrame(places.drop(columns="geometry")) if has_points \
            else places
        self.withheld, self.summary, self.query = withheld, summary, query
        # every node a corridor may end at (key, name, lat, lon...): a corridor not drawn
        # has no arc in the table, and an export may still want its line
        self.nodes = nodes if nodes is not None or self._corridors is None \
            else self._corridors.nodes
        # what the map draws, worked out once: a map asks for it a dozen times, and on a
        # million corridors each selection from the whole table cost 5 ms
        self._drawn: dict[Any, Any] = {}

    @property
    def flows(self) -> gpd.GeoDataFrame:
        if self._flows is None:
            assert self._corridors is not None
            self._flows = self._corridors.full_frame()
        return self._flows

    @property
    def places(self) -> gpd.GeoDataFrame:
        """Place totals, largest first, with a point where the place is located."""
        if self._places is None:
            self._places = with_points(self.place_table)
        return self._places

    def with_flows(self, flows: gpd.GeoDataFrame) -> FlowResult:
        """The same result with another flows table (the slide export re-marks ``shown``)."""
        return FlowResult(flows, self.place_table, self.withheld, self.summary, self.query,
                          self.nodes)

    def __getstate__(self) -> dict[str, Any]:
        # the dashboard caches results by pickling: keep the tables, not the legs behind
        # them, nor points the map does not read (they are made again when asked for)
        return {"flows": self.flows, "places": self.place_table, "withheld": self.withheld,
                "summary": self.summary, "query": self.query, "nodes": self.nodes}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["flows"], state["places"], state["withheld"], state["summary"],
                      state["query"], state.get("nodes"))

    @property
    def drawn_corridors(self) -> tuple[pd.DataFrame, np.ndarray]:
        """The top-N corridors located at both ends, as a table, and their arcs
        (corridors x points x lon/lat): what the map draws."""
        if "corridors" not in self._drawn:
            if self._corridors is not None:
                drawn = self._corridors.shown_table().drawn()
            else:
                import shapely

                shown = self.shown_flows
                coords, idx = shapely.get_coordinates(shown.geometry.to_numpy(),
                                                      return_index=True)
                n_points = int(np.bincount(idx)[0]) if len(idx) else 2
                drawn = (pd.DataFrame(shown.drop(columns="geometry")),
                         coords.reshape(len(shown), n_points, 2))
            self._drawn["corridors"] = drawn
        return self._drawn["corridors"]

    @property
    def shown_flows(self) -> gpd.GeoDataFrame:
        """The top-N flows that have coordinates at both ends: what the map draws."""
        if "flows" not in self._drawn:
            if self._flows is None and self._corridors is not None:
                shown = self._corridors.shown_frame()
            else:
                shown = self.flows[self.flows["shown"]]
            self._drawn["flows"] = shown[shown.geometry.notna()]
        return self._drawn["flows"]

    def _drawn_place_rows(self, max_nodes: int | None) -> np.ndarray:
        """Positions of the places to draw: every located end of a drawn arc, plus the
        ``max_nodes`` largest other located places."""
        if ("rows", max_nodes) not in self._drawn:
            rows = np.flatnonzero(located(self.place_table))
            if max_nodes is not None and len(rows) > max_nodes:
                shown = self.drawn_corridors[0]
                ends = set(shown["from_key"]) | set(shown["to_key"])
                keep = self.place_table["key"].iloc[rows].isin(ends).to_numpy().copy()
                keep[:max_nodes] = True  # places are sorted by total, largest first
                rows = rows[keep]
            self._drawn["rows", max_nodes] = rows
        return self._drawn["rows", max_nodes]

    def drawn_place_table(self, max_nodes: int | None) -> pd.DataFrame:
        """:meth:`drawn_places` without points: what the map reads."""
        if ("table", max_nodes) not in self._drawn:
            self._drawn["table", max_nodes] = self.place_table.iloc[
                self._drawn_place_rows(max_nodes)]
        return self._drawn["table", max_nodes]

    def drawn_places(self, max_nodes: int | None) -> gpd.GeoDataFrame:
        """Places to draw: every end of a drawn arc, plus the ``max_nodes`` largest others."""
        if ("places", max_nodes) not in self._drawn:
            self._drawn["places", max_nodes] = self.places.iloc[
                self._drawn_place_rows(max_nodes)]
        return self._drawn["places", max_nodes]


def located(places: pd.DataFrame) -> np.ndarray:
    """Which places have a latitude and a longitude (and so a point on the map)."""
    return ~np.isnan(places["lon"].to_numpy(dtype="float64")
                     + places["lat"].to_numpy(dtype="float64"))


def with_points(places: pd.DataFrame) -> gpd.GeoDataFrame:
    """A place table (lat, lon) as a GeoDataFrame of points; no point where not located."""
    import geopandas as gpd
    import shapely

    lon, lat = places["lon"].to_numpy(dtype="float64"), places["lat"].to_numpy(dtype="float64")
    pts = np.where(located(places), shapely.points(lon, lat), None)
    return gpd.GeoDataFrame(places, geometry=gpd.GeoSeries(pts, crs="EPSG:4326"))


# --------------------------------------------------------------------------- nodes


def default_countries() -> gpd.GeoDataFrame | None:
    """The gazetteer's country shapes, or None while the gazetteer is not available.

    Flows use them to name and place country and region nodes; the maps draw them as the
    vector basemap (:mod:`dashboard.maps.offline` re-exports this).
    """
    return from_gazetteer(lambda g: g.countries(), None)


def _place_frame(places: pd.DataFrame) -> pd.DataFrame:
    p = places
    name = p["name"].astype(str) if "name" in p else pd.Series("", index=p.index)
    query = p["query"].astype(str) if "query" in p else name
    return pd.DataFrame(
        {
            "key": p["key"].astype(str).to_numpy(),
            "name": np.where(name.to_numpy() != "", name.to_numpy(), query.to_numpy()),
            "kind": p["kind"].astype(str).to_numpy() if "kind" in p else "",
            "iso3": p["iso3"].astype(str).to_numpy() if "iso3" in p else "",
            "lat": pd.to_numeric(p["lat"], errors="coerce").to_numpy(dtype="float64"),
            "lon": pd.to_numeric(p["lon"], errors="coerce").to_numpy(dtype="float64"),
        }
    )


def _nodes(
    places: pd.DataFrame, level: str, countries: pd.DataFrame | None
) -> tuple[np.ndarray, pd.DataFrame, np.ndarray | None]:
    """Map each place row to a node at ``level``.

    Returns (node id per place row, node table [key, name, kind, iso3, lat, lon],
    parent node id per node for roll-up, or None when there is nothing to roll into).
    """
    pf = _place_frame(places)
    pf.loc[pf["iso3"].isin(["", "nan", "None", "<NA>"]), "iso3"] = ""
    cinfo = None
    if countries is None:
        # names and label points need no shapes: a place-level map drawn without them
        # named the countries it rolls cities into by code ("KGZ")
        countries = from_gazetteer(lambda g: g.country_table(), None)
    if countries is not None and len(countries):
        cinfo = pd.DataFrame(countries.drop(columns="geometry", errors="ignore")).set_index("iso3")
    has_iso = pf["iso3"] != ""
    country_key = np.where(has_iso, "country:" + pf["iso3"], pf["key"])
    if level == "place":
        keys = pf["key"].to_numpy()
    elif level == "country":
        keys = country_key
    else:
        region = pf["iso3"].map(cinfo["subregion"]) if cinfo is not None else None
        if region is None:
            keys = country_key
        else:
            region = region.fillna("").astype(str)
            is_region = pf["kind"] == "region"
            keys = np.where(
                is_region, pf["key"], np.where(region != "", "region:" + region, country_key)
            )
    node_of_place, uniq = pd.factorize(pd.Series(keys, dtype=object))
    pf["node"] = node_of_place
    first = pf.groupby("node", sort=True).agg(
        name=("name", "first"), kind=("kind", "first"), iso3=("iso3", "first"),
        lat=("lat", "mean"), lon=("lon", "mean"),
    )
    nodes = first.assign(key=np.asarray(uniq, dtype=object)).reset_index(drop=True)
    if level != "place":
        # a rolled-up node is named and placed by the country (or region) it stands for
        isc = nodes["key"].str.startswith("country:")
        nodes["kind"] = np.where(isc, "country", nodes["kind"])
        nodes.loc[~isc & nodes["key"].str.startswith("region:"), "kind"] = "region"
        # a country the shapes lack (Gibraltar, Tuvalu) is named as the data names it
        named = pf[pf["kind"] == "country"].groupby("iso3")["name"].first().to_dict()
        iso = nodes.loc[isc, "iso3"]
        nodes.loc[isc, "name"] = [named.get(i, i) for i in iso]
        if cinfo is not None and isc.any():
            nodes.loc[isc, "name"] = iso.map(cinfo["name"]).fillna(nodes.loc[isc, "name"])
            nodes.loc[isc, "lat"] = iso.map(cinfo["label_lat"]).fillna(nodes.loc[isc, "lat"])
            nodes.loc[isc, "lon"] = iso.map(cinfo["label_lon"]).fillna(nodes.loc[isc, "lon"])
        isr = nodes["kind"].eq("region") & ~nodes["key"].isin(pf.loc[pf["kind"] == "region", "key"])
        nodes.loc[isr, "name"] = nodes.loc[isr, "key"].str.slice(len("region:"))
        nodes.loc[isr, "iso3"] = ""
        return node_of_place.astype(np.int64), nodes, None
    # place level: each node with a country rolls up into that country's node
    node_iso = nodes["iso3"].to_numpy()
    parent_key = np.where(node_iso != "", "country:" + node_iso.astype(object), nodes["key"])
    known = pd.Index(nodes["key"])
    missing = pd.Index(pd.unique(parent_key)).difference(known)
    if len(missing):
        extra = pd.DataFrame({"key": missing.to_numpy(dtype=object)})
        extra["iso3"] = extra["key"].str.slice(len("country:"))
        extra["kind"] = "country"
        extra["name"] = extra["iso3"]
        grp = nodes.assign(pk=parent_key).groupby("pk")[["lat", "lon"]].mean()
        extra["lat"] = extra["key"].map(grp["lat"])
        extra["lon"] = extra["key"].map(grp["lon"])
        if cinfo is not None:
            extra["name"] = extra["iso3"].map(cinfo["name"]).fillna(extra["iso3"])
            extra["lat"] = extra["iso3"].map(cinfo["label_lat"]).fillna(extra["lat"])
            extra["lon"] = extra["iso3"].map(cinfo["label_lon"]).fillna(extra["lon"])
        nodes = pd.concat([nodes, extra[nodes.columns]], ignore_index=True)
    parent = pd.Index(nodes["key"]).get_indexer(
        np.concatenate([parent_key, nodes["key"].to_numpy()[len(parent_key):]])
    )
    return node_of_place.astype(np.int64), nodes, parent.astype(np.int64)


# --------------------------------------------------------------------------- selection


def filtered_records(
    dataset: Dataset, query: FlowQuery, *, countries: gpd.GeoDataFrame | None = None
) -> np.ndarray:
    """Which records ``query`` selects (a boolean mask over ``dataset.records``).

    The one rule behind every count a user sees (the map's caveat, the page headers, the
    insights): years (records of unknown year drop out when a range is set), attribute
    values, and the focus place. Focusing on a country includes its cities and other
    places in it, at every level; a region (``region:<subregion>``) includes its countries.
    Only stops in one of ``focus_roles`` count for the focus.
    """
    rec = dataset.records
    mask = np.ones(len(rec), dtype=bool)
    if query.years is not None:
        year = pd.to_numeric(rec["year"], errors="coerce")
        year = year.to_numpy(dtype="float64", na_value=np.nan)
        lo, hi = query.years
        ok = ~np.isnan(year)
        if lo is not None:
            ok &= year >= lo
        if hi is not None:
            ok &= year <= hi
        mask &= ok
    for col, values in query.attributes.items():
        if col in rec:
            mask &= rec[col].astype(str).isin([str(v) for v in values]).to_numpy(
                dtype=bool, na_value=False)
    if query.focus:
        mask &= _focus_records(dataset, query, countries)
    return mask


def _focus_records(dataset: Dataset, q: FlowQuery, countries: gpd.GeoDataFrame | None
                   ) -> np.ndarray:
    places = dataset.places
    key = places["key"].astype(str).to_numpy()
    iso = places["iso3"].astype(str).to_numpy() if "iso3" in places else np.full(len(key), "")
    at = (key == q.focus) | (np.char.add("country:", iso.astype(str)) == q.focus)
    if q.focus.startswith("region:"):
        # a region of the gazetteer (the Gulf) by its member countries; a UN subregion
        # ("Southern Asia") by the subregion its places' countries are in
        at |= np.isin(iso, from_gazetteer(lambda g: g.region(q.focus), []))
        if countries is None:
            countries = default_countries()
        node_of_place, nodes, _ = _nodes(places, "region", countries)
        at |= (nodes["key"].to_numpy() == q.focus)[node_of_place]
    rid, pid, rc = ordered_stops(dataset)
    ok = (pid >= 0) & (pid < len(at))
    hit = ok & at[np.clip(pid, 0, max(len(at) - 1, 0))] if len(at) else ok & False
    if tuple(q.focus_roles) != ROLES:
        hit &= np.isin(rc, [ROLES.index(r) for r in q.focus_roles])
    rec = dataset.records
    return np.isin(rec["record_id"].to_numpy(), rid[hit])


def record_positions(records: pd.DataFrame, rid: np.ndarray) -> np.ndarray:
    """The row position in ``records`` of each record id in ``rid`` (-1 if absent)."""
    ids = records["record_id"].to_numpy()
    if len(ids) and ids_are_positions(ids):
        return rid.astype(np.int64, copy=False)
    return pd.Index(ids).get_indexer(rid)


def ordered_stops(dataset: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """record_id, place_id and role code (0/1/2) of every stop, sorted by (record, seq)."""
    if dataset.grid is not None:  # loaded as a grid: in route order, no table to build
        return dataset.grid.arrays()
    stops = dataset.stops
    rid = stops["record_id"].to_numpy(dtype=np.int64)
    seq = stops["seq"].to_numpy()
    if seq.dtype.kind not in "iu":
        seq = seq.astype(np.int64)
    role = stops["role"]
    if isinstance(role.dtype, pd.CategoricalDtype) and tuple(role.cat.categories) == ROLES:
        rc = role.cat.codes.to_numpy(dtype=np.int8)
    else:
        rc = pd.Categorical(role.astype(str), categories=list(ROLES)).codes.astype(np.int8)
    pid = stops["place_id"].to_numpy()
    if pid.dtype.kind not in "iu":
        pid = pid.astype(np.int64)
    if len(rid) > 1:
        d = np.diff(rid)
        if not np.all((d > 0) | ((d == 0) & (np.diff(seq) > 0))):
            order = np.lexsort((seq, rid))
            rid, pid, rc = rid[order], pid[order], rc[order]
    return rid, pid, rc


# --------------------------------------------------------------------------- compute


def compute_flows(
    dataset: Dataset,
    query: FlowQuery | None = None,
    *,
    countries: gpd.GeoDataFrame | None = None,
) -> FlowResult:
    """Filter, aggregate, roll up, suppress and rank; arcs and points ready to draw.

    ``countries`` (iso3, name, subregion, label_lat, label_lon, ...) names and places
    country and region nodes; by default it comes from the gazetteer when available.
    """
    q = query or FlowQuery()
    q.validate(dataset)
    if countries is None and (q.level != "place" or (q.focus or "").startswith("region:")):
        countries = default_countries()
    rec = dataset.records
    mask = filtered_records(dataset, q, countries=countries)

    nocount, cnt = _counts(rec["count"])
    year = _years(rec["year"])
    colour_codes, colour_labels = None, None
    if q.colour_by:
        # a missing value is a value of its own (code -1 would sum into another group)
        colour_codes, colour_labels = pd.factorize(rec[q.colour_by].astype(str),
                                                   use_na_sentinel=False)

    node_of_place, nodes, parent = _nodes(dataset.places, q.level, countries)
    n_nodes = len(nodes)

    values = RecordValues(count=cnt.astype(np.float64), uncounted=nocount, year=year)
    leg_roles = (None if q.leg_roles is None
                 else np.array([LEG_ROLES.index(r) for r in q.leg_roles], dtype=np.int8))
    if grid_walkable(dataset.grid, rec["record_id"].to_numpy()):
        walk = walk_grid(dataset.grid, mask, node_of_place, n_nodes, values, leg_roles)
    else:
        rid, pid, rc = ordered_stops(dataset)
        walk = walk_stops(rid, pid, rc, record_positions(rec, rid), mask, node_of_place,
                          n_nodes, values, leg_roles)

    # ---- legs -> flows
    lpos = walk.leg_record
    fcode, uniq = factorize_ints(pair_keys(walk.leg_from, walk.leg_to, n_nodes))
    nf = len(uniq)
    lcnt = values.count[lpos]
    width = max(n_nodes, 1)
    # a record passing one corridor twice (Pokhara -> Delhi, then Kathmandu -> Mumbai,
    # at country level) is one record on it, and its cases count once there
    # (the few repeats are taken off the sums of all legs: no copy of a million legs)
    counted = first_visits(lpos, fcode)  # the legs a corridor's sums keep
    again = np.flatnonzero(~counted)
    flows = {
        "from_id": (uniq // width).astype(np.int64),
        "to_id": (uniq % width).astype(np.int64),
        "count": np.bincount(fcode, weights=lcnt, minlength=nf).astype(np.int64),
        "records": np.bincount(fcode, minlength=nf),
        "uncounted": (
            np.bincount(fcode, weights=nocount[lpos], minlength=nf).astype(np.int64)
            if nocount.any() else np.zeros(nf, dtype=np.int64)
        ),
    }
    if len(again):
        rep = fcode[again]
        np.subtract.at(flows["count"], rep, lcnt[again].astype(np.int64))
        np.subtract.at(flows["records"], rep, 1)
        np.subtract.at(flows["uncounted"], rep, nocount[lpos[again]].astype(np.int64))
    flows["year_min"], flows["year_max"] = minmax_taken(fcode, lpos, year, nf)
    flows["source"] = np.arange(nf)  # leg role and colour: worked out for drawn rows only
    legs = LegValues(fcode, walk.leg_roles, lpos, values.count, colour_codes, nf,
                     0 if colour_labels is None else len(colour_labels))

    # ---- suppression, then minimum and top-N
    k = q.suppress
    roll_parent = parent if q.rollup_small else None
    def merged_twice(group: np.ndarray) -> dict[str, np.ndarray]:
        """What adding merged corridors counts twice: a record with legs in two of the
        corridors merged into one output row ("rows", once per extra leg), and the count
        and uncounted of each such leg's record, to take off the row's sums."""
        legs_in = np.flatnonzero((group >= 0)[fcode] & counted)
        gpos, grp = lpos[legs_in], group[fcode[legs_in]]
        extra = ~first_visits(gpos, grp)
        gpos = gpos[extra]
        return {"rows": grp[extra], "count": cnt[gpos].astype(np.int64), "records": 1,
                "uncounted": nocount[gpos].astype(np.int64)}

    table, rows, lost, corr_r, with_them = suppress_flow_columns(flows, roll_parent, k,
                                                                 merged_twice)
    corr_w, cases_w = len(lost), _cases_on(lost, fcode, lpos, cnt, nf)
    dated_few = corridor_years_withheld(table["count"], table["records"], k)
    if dated_few.any():
        table = {**table, **{c: np.where(dated_few, np.nan, np.asarray(table[c], float))
                             for c in ("year_min", "year_max")}}
    corridors = Corridors(table, rows, q.min_count, q.top, nodes, colour_labels, legs)
    shown = corridors.shown_table()
    drawn = shown.drawable

    # ---- place totals (last: on a big grid they were being summed meanwhile)
    totals = walk.totals.result()
    sel_idx = totals.selected

    def merged(into: np.ndarray) -> pd.DataFrame:  # places the roll-up merges, recounted
        return _totals_table(walk.stops.totals(into, values, n_nodes))

    places, vals_w, places_r = suppress_places(_totals_table(totals), roll_parent, k, merged)
    kept_records = np.asarray(table["records"])
    kept_records = kept_records if rows is None else kept_records[rows]
    few_records = k > 1 and bool(below_k(kept_records, k).any()
                                 or places["records"].isna().any())
    withheld = Withheld(
        threshold=k if k > 1 else 0, corridors=corr_w, cases=cases_w, place_values=vals_w,
        rolled_up_corridors=corr_r, rolled_up_places=places_r, with_them=with_them,
        few_records=few_records,
    )
    place_table = _place_table(places, nodes)
    years_sel = year[sel_idx]
    no_year = int(np.isnan(years_sel).sum())
    years_sel = years_sel[~np.isnan(years_sel)]
    summary = FlowSummary(
        name=dataset.meta.name, source=dataset.meta.source, synthetic=bool(dataset.meta.synthetic),
        level=q.level, records_total=len(rec), records_selected=len(sel_idx),
        cases_selected=int(cnt[sel_idx].sum()), uncounted_selected=int(nocount[sel_idx].sum()),
        years=(int(years_sel.min()), int(years_sel.max())) if len(years_sel) else None,
        flows_total=corridors.n_kept, flows_shown=int(drawn.sum()),
        cases_shown=int(shown.table["count"].to_numpy()[drawn].sum()),
        flows_unmapped=int((~drawn).sum()),
        internal_legs=walk.internal_legs, layout=dataset.report.layout,
        records_no_year=no_year,
    )
    return FlowResult(corridors, place_table, withheld, summary, q)


def _cases_on(flows: np.ndarray, fcode: np.ndarray, lpos: np.ndarray, cnt: np.ndarray,
              n_flows: int) -> int:
    """The cases of the records with a leg in ``flows``, each record once: adding the
    withheld corridors' counts counted a case with two withheld legs twice (28 cases
    withheld of 19 selected)."""
    if not len(flows):
        return 0
    hit = np.zeros(n_flows, dtype=bool)
    hit[flows] = True
    return cases_once(cnt, lpos[hit[fcode]])


def _totals_table(totals: PlaceTotals) -> pd.DataFrame:
    """Place totals indexed by node id, for the nodes with a record."""
    places = pd.DataFrame(
        {
            "out": totals.by_role[0].astype(np.int64),
            "through": totals.by_role[1].astype(np.int64),
            "in": totals.by_role[2].astype(np.int64),
            "cases": totals.cases.astype(np.int64),
            "records": totals.records.astype(np.int64),
            "uncounted": totals.uncounted.astype(np.int64),
            "year_min": totals.year_min,
            "year_max": totals.year_max,
        }
    )
    return places[places["records"] > 0]


def _counts(count: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(reported without a number, count with 0 there) as numpy arrays."""
    if not isinstance(count.dtype, pd.Int64Dtype):
        count = pd.Series(pd.array(count, dtype="Int64"))
    return count.isna().to_numpy(dtype=bool), count.to_numpy(dtype=np.int64, na_value=0)


def _years(year: pd.Series) -> np.ndarray:
    """Years as float64, NaN where unknown or not a number."""
    if not pd.api.types.is_integer_dtype(year.dtype):
        year = pd.to_numeric(year, errors="coerce")
    return year.to_numpy(dtype="float64", na_value=np.nan)


def _place_table(places: pd.DataFrame, nodes: pd.DataFrame) -> pd.DataFrame:
    """Place totals with each node's key, name, kind, country and lat/lon, largest first
    (:attr:`FlowResult.places` adds the points)."""
    ids = places.index.to_numpy()
    nd = nodes.iloc[ids].reset_index(drop=True)
    out = pd.DataFrame(
        {
            "key": nd["key"].to_numpy(), "name": nd["name"].to_numpy(),
            "kind": nd["kind"].to_numpy(), "iso3": nd["iso3"].to_numpy(),
            "lat": nd["lat"].to_numpy(dtype="float64"), "lon": nd["lon"].to_numpy(dtype="float64"),
        }
    )
    for c in ("out", "through", "in", "records"):
        out[c] = pd.array(places[c].to_numpy(), dtype="Int64")
    out["uncounted"] = places["uncounted"].to_numpy(dtype=np.int64)
    out["year_min"] = int_or_na(places["year_min"].to_numpy())
    out["year_max"] = int_or_na(places["year_max"].to_numpy())
    out["rolled_up"] = places["rolled_up"].to_numpy(dtype=bool)
    tot = np.stack([out[c].fillna(0).to_numpy(dtype=np.int64) for c in ("out", "through", "in")])
    role = np.asarray(ROLES, dtype=object)[tot.argmax(axis=0)] if len(out) else []
    # a place whose every count is withheld has no main role to show: with all its
    # counts read as 0 every such place came out "origin", destinations included
    out["role"] = np.where(every_count_withheld(out), WITHHELD_ROLE, role) if len(out) else []
    # a place's total is its cases, each once, not out + through + in (a case that
    # starts and passes through a place counted twice); where a part is withheld it is
    # only what is shown (exports leave it empty), so a circle never sizes a hidden count
    out["total"] = np.where(every_part_shown(out), places["cases"].to_numpy(dtype=np.int64),
                            tot.sum(axis=0))
    return out.sort_values("total", ascending=False, kind="stable").reset_index(drop=True)
