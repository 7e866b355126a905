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

from dataclasses import dataclass

import numpy as np
import pandas as pd

DEFAULT_K = 5


@dataclass(frozen=True, slots=True)
class Withheld:
    """What suppression withheld, for the caveat box and the summary line."""

    threshold: int = 0
    corridors: int = 0
    cases: int = 0
    place_values: int = 0
    rolled_up_corridors: int = 0
    rolled_up_places: int = 0

    @property
    def active(self) -> bool:
        return self.threshold > 1

    def message(self) -> str:
        """One line for the map, e.g. "3 corridors and 7 cases withheld (counts below 5)"."""
        if not self.active:
            return "No small-count suppression applied."
        corr = "corridor" if self.corridors == 1 else "corridors"
        case = "case" if self.cases == 1 else "cases"
        text = (
            f"{self.corridors:,} {corr} and {self.cases:,} {case} withheld"
            f" (counts below {self.threshold})"
        )
        if self.place_values:
            text += f"; {self.place_values:,} place totals withheld"
        if self.rolled_up_corridors or self.rolled_up_places:
            text += "; small city counts rolled up to country level"
        return text + "."


def _first_of_max(df: pd.DataFrame, by: list[str], col: str) -> pd.Series:
    """For each group, ``col`` of the row with the largest count (ties: first)."""
    order = df.sort_values("count", ascending=False, kind="stable")
    return order.groupby(by, sort=False)[col].first()


def suppress_flows(
    flows: pd.DataFrame, parent: np.ndarray | None, k: int
) -> tuple[pd.DataFrame, int, int, int]:
    """Withhold flows whose count is below ``k``, rolling small ones up first.

    ``flows`` has from_id, to_id, count, records, uncounted, year_min, year_max, leg_role
    and optionally colour. Returns (kept flows with a ``rolled_up`` column, corridors
    withheld, cases withheld, corridors rolled up).
    """
    flows = flows.assign(rolled_up=False)
    if k <= 1 or flows.empty:
        return flows, 0, 0, 0
    no_number = (flows["count"] == 0) & (flows["uncounted"] > 0)
    small = (flows["count"] < k) & ~no_number
    keep, low = flows[~small], flows[small]
    if low.empty:
        return flows, 0, 0, 0
    rolled_n = 0
    if parent is not None:
        pf, pt = parent[low["from_id"].to_numpy()], parent[low["to_id"].to_numpy()]
        movable = (pf != pt) & ((pf != low["from_id"].to_numpy()) | (pt != low["to_id"].to_numpy()))
        moved = low[movable].assign(from_id=pf[movable], to_id=pt[movable])
        if not moved.empty:
            both = pd.concat([keep, moved], ignore_index=True)
            by = ["from_id", "to_id"]
            grouped = both.groupby(by, sort=False)
            agg = grouped.agg(
                count=("count", "sum"), records=("records", "sum"), uncounted=("uncounted", "sum"),
                year_min=("year_min", "min"), year_max=("year_max", "max"),
                rolled_up=("rolled_up", "any"),
            )
            agg["leg_role"] = _first_of_max(both, by, "leg_role")
            if "colour" in both.columns:
                agg["colour"] = _first_of_max(both, by, "colour")
            moved_keys = pd.MultiIndex.from_frame(moved[by])
            agg.loc[agg.index.isin(moved_keys), "rolled_up"] = True
            agg = agg.reset_index()
            # a rolled-up corridor that is still below k is withheld like any other
            ok = (agg["count"] >= k) | ((agg["count"] == 0) & (agg["uncounted"] > 0))
            # which moved rows ended in a shown corridor?
            shown_keys = pd.MultiIndex.from_frame(agg.loc[ok & agg["rolled_up"], by])
            landed = pd.MultiIndex.from_frame(moved[by]).isin(shown_keys)
            rolled_n = int(landed.sum())
            lost = pd.concat([low[~movable], moved[~landed]])
            return agg[ok].reset_index(drop=True), len(lost), int(lost["count"].sum()), rolled_n
    return keep.reset_index(drop=True), len(low), int(low["count"].sum()), rolled_n


TOTAL_COLUMNS = ("out", "through", "in")


def suppress_places(
    places: pd.DataFrame, parent: np.ndarray | None, k: int
) -> tuple[pd.DataFrame, int, int]:
    """Withhold place totals below ``k`` (each of out/through/in, and records).

    ``places`` is indexed by node id with out, through, in, records, uncounted, year_min,
    year_max. A node whose whole total is below ``k`` is first merged into its parent
    (city -> country). Returns (places with Int64 totals, <NA> where withheld; values
    withheld; places rolled up).
    """
    places = places.copy()
    places["rolled_up"] = False
    if k <= 1 or places.empty:
        for c in (*TOTAL_COLUMNS, "records"):
            places[c] = places[c].astype("Int64")
        return places, 0, 0
    rolled = 0
    if parent is not None:
        total = places[list(TOTAL_COLUMNS)].sum(axis=1)
        ids = places.index.to_numpy()
        par = parent[ids]
        move = ((total > 0) & (total < k) & (par != ids)).to_numpy()
        if move.any():
            moved = places[move].assign(node=par[move])
            rolled = int(move.sum())
            places = places[~move]
            add = moved.groupby("node").agg(
                out=("out", "sum"), through=("through", "sum"), **{"in": ("in", "sum")},
                records=("records", "sum"), uncounted=("uncounted", "sum"),
                year_min=("year_min", "min"), year_max=("year_max", "max"),
            )
            add["rolled_up"] = True
            merged = pd.concat([places, add])
            places = merged.groupby(level=0).agg(
                out=("out", "sum"), through=("through", "sum"), **{"in": ("in", "sum")},
                records=("records", "sum"), uncounted=("uncounted", "sum"),
                year_min=("year_min", "min"), year_max=("year_max", "max"),
                rolled_up=("rolled_up", "any"),
            )
    withheld = 0
    for c in (*TOTAL_COLUMNS, "records"):
        v = places[c].astype("Int64")
        small = (v > 0) & (v < k)
        if c != "records":
            withheld += int(small.sum())
        places[c] = v.mask(small)
    return places, withheld, rolled
