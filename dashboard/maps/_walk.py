"""Walk the selected records' routes: the legs between consecutive stops, and what each
place (node) sees. The first step of :func:`dashboard.maps.flows.compute_flows`.

Two walks give the same numbers in the same order. ``walk_grid`` reads a
:class:`~loaders.model.StopGrid` (records × slots) a slot at a time: a million routes
loaded from a table never become a long stops table, and place totals are a few
``bincount`` calls per slot. ``walk_stops`` reads long (record, place, role) arrays, for
routes of any length (legs, CTDC and matrix files). Pure numpy.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from threading import Thread
from typing import Any

import numpy as np

from dashboard.maps._grouping import first_visits, minmax
from loaders.model import StopGrid

N_ROLES = 3  # origin, transit, destination
YEAR_BINS_LIMIT = 4_000_000  # node x year cells counted densely for place year ranges
# grid cells (slots x records) from which place totals are summed on a second thread;
# below it a thread's start costs more than it saves
BACKGROUND_CELLS = 200_000


@dataclass(frozen=True, slots=True)
class PlaceTotals:
    """What each node sees, and which records were walked."""

    by_role: np.ndarray  # (3, nodes): summed counts as origin, transit, destination
    cases: np.ndarray  # summed counts of the records with a stop at each node, each once
    records: np.ndarray  # records with a stop at each node
    uncounted: np.ndarray  # of those, records reported without a number
    year_min: np.ndarray  # float, NaN where no record has a year
    year_max: np.ndarray
    selected: np.ndarray  # positions of the records with at least one stop kept


@dataclass(frozen=True, slots=True)
class Stops:
    """Every stop walked, in record order then route order."""

    record: np.ndarray  # the stop's record: a position among the rows walked
    node: np.ndarray  # node id
    role_codes: np.ndarray  # each stop's role code; of a grid walk, each slot's
    rows: np.ndarray | None = None  # positions in ``records`` of the rows walked (None: all)
    cell: np.ndarray | None = None  # of a grid walk, each stop's cell (record x slots + slot)

    def roles(self, at: np.ndarray | None = None) -> np.ndarray:
        """The role codes of the stops at positions ``at``, or of every stop. A grid walk
        works them out when asked: most maps want those of the drawn corridors' legs only
        (7 ms a million records saved)."""
        if self.cell is None:
            return self.role_codes if at is None else self.role_codes.take(at)
        cell = self.cell if at is None else self.cell.take(at)
        return self.role_codes.take(cell % cell.dtype.type(len(self.role_codes)))

    def totals(self, into: np.ndarray, values: RecordValues, n_nodes: int) -> PlaceTotals:
        """Place totals with each stop counted at node ``into[node]`` (left out where
        that is -1): how places merged by the roll-up are counted, every record still
        once per node and role (two small cities of one country are one visit to it)."""
        at = into[self.node]
        keep = np.flatnonzero(at >= 0)
        record = self.record[keep]
        pos = record if self.rows is None else self.rows[record]
        return _stop_totals(record, at[keep], self.roles(keep), pos, values, n_nodes,
                            np.unique(pos))


@dataclass(slots=True)
class Walk:
    """Legs (in record order, then route order) and per-node totals."""

    leg_from: np.ndarray  # node id where each leg starts
    leg_to: np.ndarray  # node id where it ends
    leg_record: np.ndarray  # position of its record in ``records``
    leg_at: np.ndarray  # position in ``stops`` of the stop it starts at
    internal_legs: int  # legs whose two ends are one node: counted, never drawn
    # a big grid's totals are summed on another thread meanwhile: result() waits for them
    totals: Future[PlaceTotals]
    stops: Stops

    def leg_roles(self, legs: np.ndarray | None = None) -> np.ndarray:
        """From-role * 3 + to-role (an index into LEG_ROLES) of the legs at positions
        ``legs``, or of every leg: wanted for the legs of the drawn corridors only."""
        at = self.leg_at if legs is None else self.leg_at[legs]
        return self.stops.roles(at) * np.int8(N_ROLES) + self.stops.roles(at + 1)


@dataclass(frozen=True, slots=True)
class RecordValues:
    """What each record carries into the sums, aligned with ``records``."""

    count: np.ndarray  # float64, 0 where not a number
    uncounted: np.ndarray  # bool: reported without a number
    year: np.ndarray  # float64, NaN where unknown


def _run(work: Callable[..., Any], *args: Any, background: bool) -> Future:
    """``work(*args)`` as a future: on its own thread when ``background``, else now."""
    done: Future = Future()

    def call() -> None:
        try:
            done.set_result(work(*args))
        except BaseException as exc:  # re-raised by result(), on the caller's thread
            done.set_exception(exc)

    if background:
        Thread(target=call, name="routemap-place-totals", daemon=True).start()
    else:
        call()
    return done


def _ready(value: Any) -> Future:
    """``value`` as a future that is already done: the long walk sums its totals at once."""
    done: Future = Future()
    done.set_result(value)
    return done


def _wanted_roles(stop_role: np.ndarray, leg_roles: np.ndarray | None) -> np.ndarray | bool:
    """Per two consecutive stops: whether the leg between them has a role in
    ``leg_roles`` (from-role * 3 + to-role); True for every leg when there is no filter."""
    if leg_roles is None:
        return True
    return np.isin(stop_role[:-1] * np.int8(N_ROLES) + stop_role[1:], leg_roles)


def walk_stops(rid: np.ndarray, pid: np.ndarray, rc: np.ndarray, pos: np.ndarray,
               mask: np.ndarray, node_of_place: np.ndarray, n_nodes: int,
               values: RecordValues, leg_roles: np.ndarray | None) -> Walk:
    """The walk over long arrays sorted by (record, route order); ``pos`` is each stop's
    record position (-1 for a record not in the table)."""
    keep = (pos >= 0) & (pid >= 0) & (pid < len(node_of_place))
    if not mask.all():
        keep &= mask[np.where(pos >= 0, pos, 0)]
    if not keep.all():
        rid, pid, rc, pos = rid[keep], pid[keep], rc[keep], pos[keep]
    # 32-bit node ids halve the memory the per-stop and per-leg arrays move
    node = (node_of_place.astype(np.int32) if n_nodes < 2**31 else node_of_place)[pid]
    selected = np.zeros(len(mask), dtype=bool)
    selected[pos] = True

    # masks over consecutive stops: no gathers of a million legs
    same = rid[1:] == rid[:-1]
    internal = same & (node[1:] == node[:-1])
    legs = same & ~internal
    wanted = _wanted_roles(rc, leg_roles)
    internal &= wanted
    legs &= wanted

    totals = _stop_totals(rid, node, rc, pos, values, n_nodes, np.flatnonzero(selected))
    return Walk(
        leg_from=node[:-1][legs], leg_to=node[1:][legs], leg_record=pos[:-1][legs],
        leg_at=np.flatnonzero(legs), internal_legs=int(internal.sum()),
        totals=_ready(totals),
        stops=Stops(pos, node, rc),
    )


def _stop_totals(rid: np.ndarray, node: np.ndarray, rc: np.ndarray, pos: np.ndarray,
                 values: RecordValues, n_nodes: int, selected: np.ndarray) -> PlaceTotals:
    """Place totals from stops grouped by record (``rid``; ``pos`` their record
    positions): a record counts once at a node, and its cases once in each role there
    (two transits in one country pass through it once)."""
    node_role = node * N_ROLES + rc
    in_role = first_visits(rid, node_role)
    by_role = np.bincount(node_role[in_role], weights=values.count[pos[in_role]],
                          minlength=n_nodes * N_ROLES)
    first = first_visits(rid, node)
    pnode, ppos = node[first], pos[first]
    year_min, year_max = minmax(pnode, values.year[ppos], n_nodes)
    return PlaceTotals(
        by_role=by_role.reshape(n_nodes, N_ROLES).T,
        cases=np.bincount(pnode, weights=values.count[ppos], minlength=n_nodes),
        records=np.bincount(pnode, minlength=n_nodes),
        uncounted=np.bincount(pnode, weights=values.uncounted[ppos], minlength=n_nodes),
        year_min=year_min, year_max=year_max, selected=selected,
    )


def walk_grid(grid: StopGrid, mask: np.ndarray, node_of_place: np.ndarray, n_nodes: int,
              values: RecordValues, leg_roles: np.ndarray | None) -> Walk:
    """The walk over a grid whose row i is record position i (see :func:`grid_walkable`)."""
    rows = None if mask.all() else np.flatnonzero(mask)
    ids = grid.ids if rows is None else grid.ids[rows]
    # one node id per slot, -1 for an empty slot (index -1 reads the appended -1)
    lut = np.append(node_of_place.astype(np.int32, copy=False), np.int32(-1))
    roles = grid.roles.astype(np.int8)
    cnt, nocount, year = values.count, values.uncounted, values.year
    if rows is not None:
        cnt, nocount, year = cnt[rows], nocount[rows], year[rows]

    # place totals need only the grid: on a big selection they are summed on a second
    # thread while this one finds the legs and the flows (numpy releases the GIL in both)
    totals = _run(_place_totals, lut, ids, roles, cnt, nocount, year, n_nodes, rows,
                  background=ids.size >= BACKGROUND_CELLS)

    # the filled slots in record order, then route order: a leg joins two neighbours of
    # one record (empty slots between them drop out); 32-bit indices, twice as fast
    n_slots = ids.shape[1]
    index = np.int32 if ids.size < 2**31 else np.int64
    node = lut.take(ids).ravel()
    valid = node >= 0
    if valid.all():  # every slot filled (every route as long as the longest): no gaps
        filled, stop_node = np.arange(len(node), dtype=index), node
    else:
        filled = np.flatnonzero(valid).astype(index, copy=False)
        stop_node = node.take(filled)
    record = filled // index(n_slots)
    stops = Stops(record, stop_node, roles, rows, cell=filled)
    same_record = record[1:] == record[:-1]
    same_node = stop_node[1:] == stop_node[:-1]
    if leg_roles is not None:
        same_record &= _wanted_roles(stops.roles(), leg_roles)
    at = np.flatnonzero(same_record & ~same_node)  # taken from as it comes: numpy would
    after = at + 1  # copy 32-bit indices to its own before each take (1.5 ms a take)
    leg_record = record.take(at)
    return Walk(
        leg_from=stop_node.take(at), leg_to=stop_node.take(after),
        leg_record=leg_record if rows is None else rows.take(leg_record),
        leg_at=at.astype(index, copy=False),
        internal_legs=int(np.count_nonzero(same_record & same_node)), totals=totals,
        stops=stops,
    )


def _place_totals(lut: np.ndarray, ids: np.ndarray, roles: np.ndarray, cnt: np.ndarray,
                  nocount: np.ndarray, year: np.ndarray, n_nodes: int,
                  rows: np.ndarray | None) -> PlaceTotals:
    """By-role sums, records, uncounted records and year range per node, slot by slot;
    and which records (of ``rows``, or of all) have a stop at all."""
    node = lut.take(ids.T)  # slots x records: each slot one run in memory
    n_slots = len(node)
    valid = node >= 0
    by_role = np.zeros((N_ROLES, n_nodes))
    records = np.zeros(n_nodes, dtype=np.int64)
    uncounted = np.zeros(n_nodes)
    cases = np.zeros(n_nodes)
    # a record counts once at a node it visits twice, and its cases once in each role
    # there (two transits in one country pass through it once)
    first, first_in_role = valid.copy(), valid.copy()
    for s in range(1, n_slots):
        for t in range(s):
            again = node[s] == node[t]
            first[s] &= ~again
            if roles[t] == roles[s]:
                first_in_role[s] &= ~again
    year_ok = ~np.isnan(year)
    years = year[year_ok].astype(np.int64) if year_ok.any() else np.zeros(0, np.int64)
    y0 = int(years.min()) if len(years) else 0
    span = int(years.max()) - y0 + 1 if len(years) else 1
    # whole years over a modest span count densely; anything else takes the general way
    dense_years = n_nodes * span <= YEAR_BINS_LIMIT and bool(np.all(years == year[year_ok]))
    seen = np.zeros(n_nodes * span, dtype=np.int64) if dense_years else None
    yoff = np.where(year_ok, np.nan_to_num(year) - y0, 0).astype(np.int32)
    sparse_nodes, sparse_years = [], []
    # where every record is dated, the node x year table already counts each node's
    # records, and a slot's cases in its role are its cases but for a few: each saves a
    # pass over the records per slot
    records_by_year = dense_years and bool(year_ok.all())
    for s in range(n_slots):
        shifted = node[s] + 1  # an empty slot (-1) lands in bin 0, dropped below
        first_here = np.where(first[s], shifted, 0)
        cases_here = np.bincount(first_here, weights=cnt, minlength=n_nodes + 1)[1:]
        cases += cases_here
        # first in this role but not first there: the few that stopped there before in
        # another role (origin Karachi, transit Karachi)
        also = np.flatnonzero(first_in_role[s] & ~first[s])
        by_role[roles[s]] += cases_here + np.bincount(
            node[s].take(also), weights=cnt.take(also), minlength=n_nodes)
        if not records_by_year:
            records += np.bincount(first_here, minlength=n_nodes + 1)[1:]
        if nocount.any():
            uncounted += np.bincount(first_here, weights=nocount, minlength=n_nodes + 1)[1:]
        dated = first[s] & year_ok
        if dense_years:
            cell = np.where(dated, node[s] * np.int32(span) + yoff + np.int32(1), 0)
            seen += np.bincount(cell, minlength=n_nodes * span + 1)[1:]
        else:
            sparse_nodes.append(node[s][dated])
            sparse_years.append(year[dated])
    if records_by_year:
        records = seen.reshape(n_nodes, span).sum(axis=1)
    if dense_years:
        year_min, year_max = _year_range(seen.reshape(n_nodes, span) > 0, y0)
    else:
        year_min, year_max = minmax(np.concatenate(sparse_nodes), np.concatenate(sparse_years),
                                    n_nodes)
    visited = valid.any(axis=0)
    return PlaceTotals(by_role, cases, records, uncounted, year_min, year_max,
                       np.flatnonzero(visited) if rows is None else rows[visited])


def _year_range(seen: np.ndarray, y0: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last year seen per node from a nodes x years presence table."""
    any_year = seen.any(axis=1)
    lo = np.where(any_year, seen.argmax(axis=1) + y0, np.nan)
    hi = np.where(any_year, seen.shape[1] - 1 - seen[:, ::-1].argmax(axis=1) + y0, np.nan)
    return lo.astype(np.float64), hi.astype(np.float64)


def ids_are_positions(record_ids: np.ndarray) -> bool:
    """True when record id i is at position i (0, 1, 2, ...; as every table load makes)."""
    n = len(record_ids)
    return n == 0 or (record_ids[0] == 0 and record_ids[-1] == n - 1
                      and bool(np.all(record_ids[1:] > record_ids[:-1])))


def grid_walkable(grid: StopGrid | None, record_ids: np.ndarray) -> bool:
    """True when the grid's row i is the record at position i."""
    return grid is not None and len(grid.ids) == len(record_ids) and ids_are_positions(
        record_ids)
