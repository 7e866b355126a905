"""Small-count suppression: counts below K never reach a map, a tooltip or an export.

DESIGN §9: counts below K (default 5; 10 is CTDC's map rule) are withheld from arcs,
totals, tooltips and exports, and the map says how much was withheld. Before
withholding, small city-level corridors and places are rolled up into their country
where the country-level sum reaches K, so more of the picture survives.

Flows reported without a number carry no case count, so they are not withheld; they
are drawn and counted apart (see flows.py).

Works on integer node ids; ``parent[i]`` is the node that node ``i`` rolls up into
(itself when it cannot roll up, e.g. a country or an unresolved place).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionDtype

from dashboard.maps.wording import counted

DEFAULT_K = 5
SHARED_MIN_K = 5  # the least K of anything shared: a presented map, an export, a map file
WITHHELD_ROLE = "withheld"  # a place's main role when every count of it is withheld


@dataclass(frozen=True, slots=True)
class Withheld:
    """What suppression withheld, for the caveat box and the summary line."""

    threshold: int = 0
    corridors: int = 0
    cases: int = 0
    place_values: int = 0
    rolled_up_corridors: int = 0
    rolled_up_places: int = 0
    with_them: int = 0  # corridors of K or more withheld so a place's totals hide the rest
    few_records: bool = False  # a records figure shown reads "fewer than K"

    @property
    def active(self) -> bool:
        return self.threshold > 1

    def message(self) -> str:
        """One line for the map, e.g. "3 corridors and 7 cases withheld (counts below 5)"."""
        if not self.active:
            return "No small-count suppression applied."
        places = counted(self.place_values, "place total")
        if self.corridors:
            cases = withheld_cases(self.cases, self.threshold)
            what = f"{counted(self.corridors, 'corridor')} and {cases}"
            more = (f"; {self.with_them:,} of them larger, so that a place's totals do not "
                    "give the small ones back" if self.with_them else "")
            return withheld_line(what, self, more + (f"; {places} withheld"
                                                     if self.place_values else ""))
        return withheld_line(places if self.place_values else "", self)


def cases_once(cases: np.ndarray, records: np.ndarray) -> int:
    """The cases of the records at positions ``records`` (repeats allowed), each record
    once: adding up withheld corridors or links counted a case on two of them twice."""
    on = np.zeros(len(cases), dtype=bool)  # a mask, not a sort of the positions
    on[records] = True
    return int(np.asarray(cases)[on].sum())


def withheld_cases(cases: int, k: int) -> str:
    """The cases withheld, in words: below K only that (one withheld corridor's cases
    are its count, which withholding it hides)."""
    return counted(cases, "case") if cases >= k or cases == 0 else f"fewer than {k} cases"


def below_k(n: Any, k: int) -> Any:
    """Whether a count is withheld: above 0 and below K, with suppression on (K > 1).
    ``n`` a number gives a bool, an array of them an array of bools."""
    return (k > 1) & (n > 0) & (n < k)


def reported_without_a_number(count: Any, uncounted: Any) -> Any:
    """Where a corridor's records were all reported without a number: no case count to
    show (an empty cell, a dashed arc), never a count of 0 nor one withheld."""
    return (count == 0) & (uncounted > 0)


def complementary(values: np.ndarray, withheld: np.ndarray, k: int) -> np.ndarray:
    """``withheld`` widened so the cells withheld add up to 0 or at least ``k``.

    Cells of one table whose total is shown: withhold one cell below K and the total
    less the cells shown gives it back (128 cases, 127 of them female: one male case).
    The smallest cells shown are withheld with it until the cells withheld add up to K;
    one is enough, as every cell shown has at least K.
    """
    withheld = np.asarray(withheld, dtype=bool).copy()
    values = np.asarray(values, dtype=np.int64)
    if k <= 1:
        return withheld
    while 0 < values[withheld].sum() < k:
        shown = np.flatnonzero(~withheld & (values > 0))
        if not len(shown):
            break
        withheld[shown[np.argmin(values[shown])]] = True
    return withheld


def records_text(n: int, k: int) -> str:
    """"12 records", or "fewer than K records": places withhold their records below K,
    so a corridor's or a chart's records are withheld alike."""
    return f"fewer than {k} records" if below_k(n, k) else counted(n, "record")


def records_withheld(records: Any, k: int) -> pd.Series:
    """Record counts as Int64, <NA> where below K (an empty cell in an export)."""
    out = pd.array(records, dtype="Int64").copy()
    if k > 1:
        out[below_k(out, k).to_numpy(dtype=bool, na_value=False)] = pd.NA
    return pd.Series(out)


def _parts(places: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """out/through/in as (values with 0 where withheld, withheld) arrays, places x 3.
    In numpy: pandas' frame-wide isna and all took 3.5 ms a call on 3,000 places."""
    cols = [places[c] for c in TOTAL_COLUMNS]
    withheld = np.column_stack([c.isna().to_numpy(dtype=bool) for c in cols])
    values = np.column_stack([c.to_numpy(dtype="float64", na_value=0.0) for c in cols])
    return values, withheld


def every_part_shown(places: pd.DataFrame) -> np.ndarray:
    """Per place: True where none of out/through/in is withheld."""
    return ~_parts(places)[1].any(axis=1)


def total_or_withheld(places: pd.DataFrame) -> pd.Series:
    """Each place's total (Int64), <NA> where any part is withheld: the total less the
    parts shown would give that part away, and a total of the parts shown is not the
    place's."""
    return pd.Series(pd.array(places["total"], dtype="Int64"),
                     index=places.index).where(every_part_shown(places))


def _no_count_shown(values: np.ndarray, withheld: np.ndarray) -> np.ndarray:
    """Per place (of :func:`_parts`): each of out/through/in withheld or 0."""
    return (withheld | (values == 0)).all(axis=1)


def every_count_withheld(places: pd.DataFrame) -> np.ndarray:
    """Per place: True where each of out/through/in is withheld or 0 and one is withheld,
    the places whose years and unnumbered records would narrow their few cases down."""
    values, withheld = _parts(places)
    return _no_count_shown(values, withheld) & withheld.any(axis=1)


def years_withheld(places: pd.DataFrame) -> np.ndarray:
    """Per place: True where its years would narrow its few cases down, so they are not
    said: no count of it is shown, and one of them or its records is withheld (a place
    known only from two records without a number has counts of 0: its years named them).
    A place with a count shown keeps its years."""
    values, withheld = _parts(places)
    return _no_count_shown(values, withheld) & (withheld.any(axis=1)
                                                | places["records"].isna().to_numpy())


def corridor_years_withheld(count: np.ndarray, records: np.ndarray, k: int) -> np.ndarray:
    """Per corridor: True where its years would date its few records, as
    :func:`years_withheld` for places: no count of it is shown (all reported without a
    number) and its records are below K (Lagos -> Rome: 'fewer than 5 records | 2024')."""
    return (np.asarray(count) == 0) & below_k(np.asarray(records), k)


def figure_or_withheld(n: int, k: int) -> str:
    """A total as people read it: "fewer than K" where 0 < n < K (a headline total of
    a narrow selection is as small a count as a corridor's), else the number."""
    return f"fewer than {k}" if below_k(n, k) else f"{n:,}"


def withheld_line(what: str, withheld: Withheld, more: str = "") -> str:
    """"<what> withheld (counts below K)<more>.", with the roll-up said after it; for
    nothing withheld ``what`` is "" and the line says so outright ("0 corridors and 0
    cases withheld" read as a fault). The flow and the hotspot notes both end here."""
    rolled_up = bool(withheld.rolled_up_corridors or withheld.rolled_up_places)
    if what:
        text = f"{what} withheld (counts below {withheld.threshold}){more}"
    elif rolled_up:
        text = f"Nothing withheld (counts below {withheld.threshold})"
    elif withheld.few_records:  # "no count below 5" beside "fewer than 5 records"
        k = withheld.threshold
        text = f"No case count below {k} withheld; records below {k} read 'fewer than {k}'"
    else:
        text = f"Nothing withheld: no count below {withheld.threshold}"
    if rolled_up:
        text += "; small city counts rolled up to country level"
    return text + "."


def _is_small(count: np.ndarray, uncounted: np.ndarray, k: int) -> np.ndarray:
    """Counts below ``k``; a flow reported only without a number is never small."""
    return (count < k) & ~reported_without_a_number(count, uncounted)


def suppress_flows(
    flows: pd.DataFrame, parent: np.ndarray | None, k: int
) -> tuple[pd.DataFrame, int, int, int]:
    """Withhold flows whose count is below ``k``, rolling small ones up first.

    ``flows`` has from_id, to_id, count, records, uncounted, year_min, year_max, leg_role
    and optionally colour, one row per (from_id, to_id). Returns (kept flows with a
    ``rolled_up`` column, corridors withheld, cases withheld, corridors rolled up).
    """
    flows = flows.assign(rolled_up=False)
    if k <= 1 or flows.empty:
        return flows, 0, 0, 0
    cols = {c: _column(flows[c]) for c in flows.columns}
    out, rows, lost, rolled, _ = suppress_flow_columns(cols, parent, k)
    if rows is None:
        return flows, 0, 0, 0
    cases = int(np.asarray(cols["count"])[lost].sum())
    return pd.DataFrame({c: v[rows] for c, v in out.items()}), len(lost), cases, rolled


def _column(s: pd.Series) -> Any:
    return s.array if isinstance(s.dtype, ExtensionDtype) else s.to_numpy()


# columns a rolled-up corridor takes from one member (the one with the most cases);
# "source" names that member, for values worked out later from its legs
PICKED = ("leg_role", "colour", "source")


def suppress_flow_columns(
    cols: Mapping[str, Any], parent: np.ndarray | None, k: int,
    merged: Callable[[np.ndarray], dict[str, np.ndarray]] | None = None,
) -> tuple[dict[str, Any], np.ndarray | None, np.ndarray, int, int]:
    """:func:`suppress_flows` on a mapping of equal-length columns (numpy arrays).

    The array form lets ``compute_flows`` skip building and copying tables of a million
    corridors. Returns (columns with ``rolled_up``: the input's rows, then any new
    rolled-up corridors; the rows to keep as a boolean mask, or None for all of them;
    the input rows withheld, as positions; corridors rolled up; corridors of K or more
    withheld with the small ones, see :func:`withhold_with_them`).

    ``merged(group)``: see :func:`_withhold_small`.
    """
    out, rows, lost, rolled = _withhold_small(cols, parent, k, merged)
    if rows is None:
        return out, rows, lost, rolled, 0
    n = len(cols["count"])
    shown, with_them = withhold_with_them(
        np.asarray(cols["from_id"]), np.asarray(cols["to_id"]), np.asarray(cols["count"]),
        rows[:n], out["rolled_up"][:n], k)
    rows = np.concatenate([shown, rows[n:]])
    return out, rows, np.concatenate([lost, with_them]), rolled, len(with_them)


def withhold_with_them(from_id: np.ndarray, to_id: np.ndarray, count: np.ndarray,
                       shown: np.ndarray, took_in: np.ndarray, k: int,
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Withhold more corridors so that the corridors out of (into) a place that are not
    shown add up to no case or to K or more. Returns (corridors shown, the ones newly
    withheld as positions).

    A place's totals are shown: Dubai in 73, its corridors in 50 and 20, and the one
    withheld, Lahore -> Dubai, was 3. So the smallest corridor shown out of (into) such
    a place is withheld too, the first on ties; one is enough, as it has K or more. One
    whose other end has another corridor goes first: Karachi -> Dubai withheld with it
    was still Karachi's out, its only corridor, and gave the 3 back all the same. A
    corridor rolled up into its country is not shown as itself, and counts as not shown
    at its own places; a corridor that took small ones in (``took_in``) is not withheld
    for them (it stands for others). One pass may leave a place short that the other
    direction's pass fixes, so the passes repeat until nothing changes.
    """
    frm, to = from_id.astype(np.int64, copy=False), to_id.astype(np.int64, copy=False)
    count = count.astype(np.int64, copy=False)
    shown = shown.copy()
    n_nodes = int(max(frm.max(), to.max())) + 1 if len(frm) else 0
    has_count = count > 0
    may_go = has_count & ~took_in
    # corridors out of and into each place: a complement alone at its other end is read
    # there (for a place's out, its complement's other end is where that one goes in)
    out_of = np.bincount(frm[has_count], minlength=n_nodes)
    into = np.bincount(to[has_count], minlength=n_nodes)
    worse = int(count.max()) + 1 if len(count) else 1
    # cases not shown out of (into) each place: summed once, then kept up to date with
    # the few corridors each pass withholds (a pass over every corridor each time was
    # most of this on a million corridors)
    hidden = ~shown
    not_shown_at = [np.bincount(end[hidden], weights=count[hidden], minlength=n_nodes)
                    for end in (frm, to)]
    picked = []
    while True:
        before = len(picked)
        for end, other, at_other, not_shown in ((frm, to, into, not_shown_at[0]),
                                                (to, frm, out_of, not_shown_at[1])):
            short = (not_shown > 0) & (not_shown < k)
            if not short.any():
                continue
            cand = np.flatnonzero(shown & may_go & short[end])
            if not len(cand):
                continue
            # at each short place the smallest whose other end has another corridor, else
            # the smallest; the first on ties
            rank = count[cand] + np.where(at_other[other[cand]] > 1, 0, worse)
            least = np.full(n_nodes, np.iinfo(np.int64).max)
            np.minimum.at(least, end[cand], rank)
            cand = cand[rank == least[end[cand]]]
            pick = cand[np.unique(end[cand], return_index=True)[1]]
            shown[pick] = False
            for at_end, sums in zip((frm, to), not_shown_at, strict=True):
                np.add.at(sums, at_end[pick], count[pick])
            picked.append(pick)
        if len(picked) == before:
            break
    return shown, (np.sort(np.concatenate(picked)) if picked else np.zeros(0, np.int64))


def _withhold_small(
    cols: Mapping[str, Any], parent: np.ndarray | None, k: int,
    merged: Callable[[np.ndarray], dict[str, np.ndarray]] | None = None,
) -> tuple[dict[str, Any], np.ndarray | None, np.ndarray, int]:
    """Withhold the corridors below ``k``, after rolling the small ones up where they can.

    ``merged(group)`` says what adding merged corridors counts twice: ``group`` gives each
    input row the output row it merges into (-1: none), and it returns output ``rows``
    with the count, records and uncounted to take off each (a record with two small legs
    that roll into one country corridor is one record of it). Without it the parts are
    only added.
    """
    n = len(cols["count"])
    out = {**cols, "rolled_up": np.zeros(n, dtype=bool)}
    none = np.zeros(0, dtype=np.int64)
    if k <= 1 or n == 0:
        return out, None, none, 0
    count = np.asarray(cols["count"])
    small = _is_small(count, np.asarray(cols["uncounted"]), k)
    if not small.any():
        return out, None, none, 0
    low = np.flatnonzero(small)
    if parent is not None:
        frm, to = np.asarray(cols["from_id"])[low], np.asarray(cols["to_id"])[low]
        pf, pt = parent[frm], parent[to]
        movable = (pf != pt) & ((pf != frm) | (pt != to))
        if movable.any():
            # a small corridor already between the countries that small city corridors
            # roll into joins them (Iran -> Türkiye 3 with Tehran -> Istanbul 3 and Tabriz
            # -> Ankara 3 is 9, not 6 and a 3 withheld)
            key = pf.astype(np.int64) * len(parent) + pt  # parents are node ids
            # hashed: numpy's isin sorted both sides (7 ms against 0.8 for 40K corridors)
            movable |= (pf != pt) & pd.Series(key).isin(key[movable]).to_numpy()
            return _roll_up(cols, small, low, movable, pf, pt, parent, k, merged)
    return out, ~small, low, 0


def _roll_up(cols: Mapping[str, Any], small: np.ndarray, low: np.ndarray, movable: np.ndarray,
             pf: np.ndarray, pt: np.ndarray, parent: np.ndarray, k: int,
             merged: Callable[[np.ndarray], dict[str, np.ndarray]] | None = None,
             ) -> tuple[dict[str, Any], np.ndarray, np.ndarray, int]:
    """Merge the movable small flows into their parents' corridors, then withhold.

    Groups are the kept flows in order, then the new parent corridors in order of first
    appearance; each takes the leg role (and colour) of its member with the largest
    count, the first one on ties, as a stable sort by count would. The columns keep
    every input row (small ones are masked out) so nothing large is copied twice.
    """
    n = len(small)
    mv = low[movable]
    mf, mt = pf[movable], pt[movable]
    frm, to = np.asarray(cols["from_id"]), np.asarray(cols["to_id"])
    n_ids = max(len(parent), int(max(frm.max(), to.max())) + 1)
    # only kept corridors between nodes that others roll into can take in moved flows
    target = np.zeros(n_ids, dtype=bool)
    target[parent] = True
    cand = np.flatnonzero(~small & target[frm] & target[to])
    key_c = frm[cand].astype(np.int64) * n_ids + to[cand]
    key_m = mf.astype(np.int64) * n_ids + mt
    codes, uniq = pd.factorize(np.concatenate([key_c, key_m]))
    code_m = codes[len(cand):]
    g = n + code_m - len(cand)
    old = code_m < len(cand)
    g[old] = cand[code_m[old]]
    n_new = len(uniq) - len(cand)
    new_keys = uniq[len(cand):]
    id_dtype = np.result_type(frm.dtype, parent.dtype)

    def grow(values: np.ndarray, fill: Any, dtype: Any = None) -> np.ndarray:
        dtype = values.dtype if dtype is None else dtype
        return np.concatenate([values, np.full(n_new, fill, dtype=dtype)], dtype=dtype)

    count = np.asarray(cols["count"])
    out: dict[str, Any] = {
        "from_id": np.concatenate([frm, new_keys // n_ids], dtype=id_dtype),
        "to_id": np.concatenate([to, new_keys % n_ids], dtype=id_dtype),
    }
    recounted = None
    if merged is not None:
        group = np.full(n, -1, dtype=np.int64)
        group[mv] = g
        received = g[g < n]
        group[received] = received  # a kept corridor that takes in moved ones
        recounted = merged(group)
    for c in ("count", "records", "uncounted"):
        v = np.asarray(cols[c])
        total = grow(v, 0)
        np.add.at(total, g, v[mv])
        if recounted is not None:
            np.subtract.at(total, recounted["rows"], recounted[c])
        out[c] = total
    for c, fold in (("year_min", np.fmin), ("year_max", np.fmax)):
        v = np.asarray(cols[c], dtype="float64")
        ext = grow(v, np.nan)
        fold.at(ext, g, v[mv])
        out[c] = ext
    rolled_up = np.zeros(n + n_new, dtype=bool)
    rolled_up[g] = True
    out["rolled_up"] = rolled_up
    # the moved member with the largest count per group (first on ties) ...
    order = np.lexsort((np.arange(len(mv)), -count[mv].astype(np.int64), g))
    lead = order[np.r_[True, g[order][1:] != g[order][:-1]]]
    lead_g = g[lead]
    # ... wins over the kept flow of its group only with a strictly larger count
    wins = np.ones(len(lead), dtype=bool)
    was_kept = lead_g < n
    wins[was_kept] = count[mv[lead[was_kept]]] > count[lead_g[was_kept]]
    for c in PICKED:
        if c in cols:
            v = np.asarray(cols[c])
            pick = grow(v, 0)
            pick[lead_g[wins]] = v[mv[lead[wins]]]
            out[c] = pick
    # a rolled-up corridor that is still below k is withheld like any other
    ok = ~_is_small(out["count"], out["uncounted"], k)
    landed = ok[g]
    lost = np.concatenate([low[~movable], mv[~landed]])
    rows = ok & np.concatenate([~small, np.ones(n_new, dtype=bool)])
    return out, rows, lost, int(landed.sum())


TOTAL_COLUMNS = ("out", "through", "in")


def suppress_places(
    places: pd.DataFrame, parent: np.ndarray | None, k: int,
    merged: Callable[[np.ndarray], pd.DataFrame],
) -> tuple[pd.DataFrame, int, int]:
    """Withhold place totals below ``k`` (each of out/through/in, and records).

    ``places`` is indexed by node id with out, through, in, records, uncounted, year_min,
    year_max. A node whose whole total is below ``k`` is first merged into its parent
    (city -> country). Merged totals are not sums: a record in two small cities of one
    country visits that country once. ``merged(into)`` counts them again from the stops,
    each stop at node ``into[node]`` (-1: not wanted). Returns (places with Int64 totals,
    <NA> where withheld; values withheld; places rolled up).
    """
    places = places.copy()
    places["rolled_up"] = False
    if k <= 1 or places.empty:
        for c in (*TOTAL_COLUMNS, "records"):
            places[c] = places[c].astype("Int64")
        return places, 0, 0
    rolled = 0
    if parent is not None:
        total = places["cases"]  # each record once, whatever roles it has there
        ids = places.index.to_numpy()
        par = parent[ids]
        move = ((total > 0) & (total < k) & (par != ids)).to_numpy()
        if move.any():
            rolled = int(move.sum())
            # moved nodes and the parents they join are counted again as one node each
            into = np.full(len(parent), -1, dtype=np.int32)
            receiving = np.unique(par[move])
            into[ids[move]] = par[move]
            into[receiving] = receiving
            stay = places[~move & ~np.isin(ids, receiving)]
            places = pd.concat([stay, merged(into).assign(rolled_up=True)]).sort_index()
    withheld = 0
    for c in (*TOTAL_COLUMNS, "records"):
        v = places[c].astype("Int64")
        small = (v > 0) & (v < k)
        if c != "records":
            withheld += int(small.sum())
        places[c] = v.mask(small)
    # a place whose every count is withheld keeps its zeros to itself too: "out: fewer
    # than 5, through: 0, in: 0" named the role of its few cases, and from the places
    # along one route, the route (Pakistan -> Iran -> Türkiye -> Greece)
    hidden = every_count_withheld(places)
    places.loc[hidden, list(TOTAL_COLUMNS)] = pd.NA
    return places, withheld, rolled
