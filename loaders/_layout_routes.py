"""Layouts 1 and 2: routes in wide rows (origin, transit(s), destination) and legs in long rows.

The transit column is split once per distinct value: a dictionary of a few thousand
strings, however many rows; numpy spreads the pieces back over the rows as grid slots.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from loaders._layout_core import (
    DESTINATION,
    MISSING_PLACES,
    NO_PLACE,
    ORIGIN,
    TRANSIT,
    Column,
    Problems,
    QueryPool,
    TableLike,
    assemble,
    attribute,
    clean_text,
    encode,
    missing_mask,
    place_ids,
    read_counts,
    read_years,
    take_rows,
)
from loaders.model import RawRoutes, StopGrid

_SEPARATORS = r"\s*(?:;|\||->|=>|—>|–>|→|⇒|➝|➔|>|›|»)\s*"
_SPLIT = re.compile(_SEPARATORS)
_SPLIT_COMMAS = re.compile(r"\s*(?:;|\||->|=>|—>|–>|→|⇒|➝|➔|>|›|»|,)\s*")
# every separator but ";" holds one of these characters (the arrows end in ">")
_OTHER_SEPARATORS = "[|>→⇒➝➔›»]"
_OTHER_SEPARATORS_COMMAS = "[|>→⇒➝➔›»,]"
_ROLE_CODE = {"origin": ORIGIN, "transit": TRANSIT, "destination": DESTINATION}


def split_entries(entries: pa.Array, pattern: str, *, literal: bool = False
                  ) -> tuple[pa.Array, np.ndarray]:
    """Pieces of each entry split on ``pattern`` (a regex, or a plain string when
    ``literal``), cleaned, missing ones dropped.

    Returns the pieces in order and, for each piece, the index of its entry. Pieces are
    cleaned once per distinct piece: a few thousand, where the cells may be 200,000.
    """
    split = pc.split_pattern if literal else pc.split_pattern_regex
    lists = split(pc.cast(entries, pa.string()), pattern)
    pieces = pc.dictionary_encode(lists.flatten())
    distinct = clean_text(pc.cast(pieces.dictionary, pa.string()))
    codes = pieces.indices.to_numpy(zero_copy_only=False)
    keep = (~missing_mask(distinct))[codes]
    parent = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)[keep]
    return distinct.take(pa.array(codes[keep])), parent.astype(np.int64)


def split_places(entries: pa.Array, commas: bool) -> tuple[pa.Array, np.ndarray]:
    """:func:`split_entries` on the separators of place lists (``;``, ``|``, ``>``,
    arrows...), and on commas too when ``commas`` (see :func:`comma_lists`).

    Most files separate with ``;`` alone: then a literal split does the regex's work in a
    fifth of the time (pieces are trimmed afterwards either way).
    """
    entries = pc.cast(entries, pa.string())
    others = _OTHER_SEPARATORS_COMMAS if commas else _OTHER_SEPARATORS
    if not pc.any(pc.match_substring_regex(entries, others)).as_py():
        return split_entries(entries, ";", literal=True)
    return split_entries(entries, (_SPLIT_COMMAS if commas else _SPLIT).pattern)


def comma_lists(table: TableLike, column: str, cols: dict[str, Any]) -> bool:
    """Whether commas separate places in ``column`` rather than a city from its country.

    Yes when the header says it holds lists (transits, transit_countries), or when the
    origin and destination columns never contain commas and at least half the comma
    values split into pieces that appear elsewhere as whole places.
    """
    from loaders.layouts import norm

    key = norm(column)
    if key.endswith("s"):
        return True
    whole: set[str] = set()
    for role in ("origin", "destination"):
        for name in cols.get(role) or []:
            values = encode(table, name).values
            if any("," in v for v in values):
                return False
            whole.update(v.strip().lower() for v in values)
    entries = encode(table, column).values
    values = [v for v in entries if "," in v]
    if not values:
        return False
    for v in entries:
        whole.update(p.strip().lower() for p in _SPLIT.split(v) if "," not in p)
    whole.update(MISSING_PLACES)  # a missing piece ("A, unknown") does not count against
    known = sum(all(p.strip().lower() in whole for p in _SPLIT_COMMAS.split(v)) for v in values)
    return known >= len(values) / 2


def transit_slots(
    pool: QueryPool, text: Column, hint: Column | None, split_commas: bool
) -> np.ndarray:
    """Pooled ids of the transit pieces of each row: rows × (most pieces in a cell), in
    order, -1 past a cell's last piece."""
    if hint is None:
        codes, entries = text.codes, text.dictionary
        entry_hints = None
    else:
        nh = len(hint.dictionary)
        codes, uniq = pd.factorize(text.codes.astype(np.int64) * nh + hint.codes)
        uniq = np.asarray(uniq, np.int64)
        entries = text.dictionary.take(pa.array(uniq // nh))
        h = clean_text(hint.dictionary)
        h = pc.if_else(pa.array(missing_mask(h)), "", h)
        entry_hints = h.take(pa.array(uniq % nh))
    # split every distinct entry at once in Arrow: hundreds of thousands of distinct
    # "A; B" cells cost a Python loop seconds
    flat, parent = split_places(entries, split_commas)
    if entry_hints is None:  # pool each distinct piece once, not every piece of every cell
        pieces = pc.dictionary_encode(flat)
        ids = pool.add(pieces.dictionary)[pieces.indices.to_numpy(zero_copy_only=False)]
    else:
        ids = pool.add(flat, entry_hints.take(pa.array(parent)))
    # one row of piece ids per distinct entry, then a single gather spreads them over
    # the rows: no per-row masks, however many rows
    n_pieces = np.bincount(parent, minlength=len(entries))
    codes = np.asarray(codes)
    used = np.bincount(codes, minlength=len(entries)) > 0 if len(codes) else n_pieces < 0
    width = int(n_pieces[used].max()) if used.any() else 0
    per_entry = np.full((len(entries), width), -1, np.int32)
    if width:
        start = np.cumsum(n_pieces) - n_pieces
        position = np.arange(len(parent)) - start[parent]
        fits = position < width  # pieces of entries no row uses may run wider
        per_entry[parent[fits], position[fits]] = ids[fits]
    return per_entry[codes]


def coalesce(arrays: list[np.ndarray], n: int) -> np.ndarray:
    """First non-missing (≥ 0) id across ``arrays``, row by row."""
    out = np.full(n, -1, np.int32)
    for a in arrays:
        out = np.where(out >= 0, out, a)
    return out


def role_ids(
    table: TableLike, cols: dict[str, Any], role: str, pool: QueryPool, problems: Problems
) -> np.ndarray:
    """Pooled place id per row for origin or destination (city, then name, then country)."""
    n = table.data.num_rows
    hint_name = (cols.get("country_hint") or {}).get(role)
    hint = encode(table, hint_name) if hint_name else None
    lat, lon = (cols.get("lat") or {}).get(role), (cols.get("lon") or {}).get(role)
    if lat and lon:
        from loaders._layout_geo import coordinate_ids

        name = (cols.get(role) or [None])[0]
        return coordinate_ids(table, pool, problems, lat, lon, name, hint_name)
    arrays = [place_ids(pool, encode(table, c), hint) for c in cols.get(role) or []]
    if hint is not None and not arrays:
        arrays = [place_ids(pool, hint)]
    return coalesce(arrays, n)


def place_grid(
    table: TableLike, cols: dict[str, Any], pool: QueryPool, problems: Problems
) -> tuple[np.ndarray, np.ndarray]:
    """Rows × slots grid of pooled ids (origin, transits..., destination) and slot roles."""
    n = table.data.num_rows
    blocks = [role_ids(table, cols, "origin", pool, problems)[:, None]]
    roles = [ORIGIN]
    hint_name = (cols.get("country_hint") or {}).get("transit")
    hint = encode(table, hint_name) if hint_name else None
    split_cfg = cols.get("split_commas")
    decided = {}
    for name in cols.get("transit") or []:
        commas = split_cfg if isinstance(split_cfg, bool) else comma_lists(table, name, cols)
        decided[name] = commas
        block = transit_slots(pool, encode(table, name), hint, commas)
        blocks.append(block)
        roles.extend([TRANSIT] * block.shape[1])
    if decided:
        cols["split_commas"] = decided if not isinstance(split_cfg, bool) else split_cfg
    blocks.append(role_ids(table, cols, "destination", pool, problems)[:, None])
    roles.append(DESTINATION)
    grid = np.concatenate([b.astype(np.int32, copy=False) for b in blocks], axis=1)
    return grid if n else np.zeros((0, len(roles)), np.int32), np.array(roles, np.int8)


def attributes_of(
    table: TableLike, cols: dict[str, Any], rec_row: np.ndarray
) -> dict[str, pd.Categorical]:
    """Attribute columns per record, under the names records use."""
    from loaders.layouts import attribute_name

    taken = {"record_id", "count", "year", "line"}
    out = {}
    for name in cols.get("attributes") or []:
        out[attribute_name(name, taken)] = take_rows(attribute(encode(table, name)), rec_row)
    return out


def build_wide(table: TableLike, cols: dict[str, Any]) -> RawRoutes:
    """One record per row; stops origin, transits in order, destination."""
    problems, pool = Problems(table), QueryPool()
    count, has_count = read_counts(table, cols.get("count"), problems)
    year, has_year = read_years(table, cols.get("year"), problems)
    grid, roles = place_grid(table, cols, pool, problems)
    empty = np.ones(len(grid), bool)
    for j in range(grid.shape[1]):  # column by column: 7x faster than any(axis=1)
        empty &= grid[:, j] < 0
    none = np.flatnonzero(empty)
    problems.reject(none, None, NO_PLACE)
    keep = problems.kept_rows()
    return assemble(
        table, cols, pool, problems,
        rec_row=keep, count=take_rows(count, keep), has_count=take_rows(has_count, keep),
        year=take_rows(year, keep), has_year=take_rows(has_year, keep),
        grid=take_rows(grid, keep), slot_roles=roles,
        attributes=attributes_of(table, cols, keep),
    )


def build_legs(table: TableLike, cols: dict[str, Any]) -> RawRoutes:
    """Legs chained by route id and leg order; without a route id each leg is a record."""
    if not cols.get("route_id"):
        return build_wide(table, {**cols, "transit": []})
    n = table.data.num_rows
    problems, pool = Problems(table), QueryPool()
    count, has_count = read_counts(table, cols.get("count"), problems)
    year, has_year = read_years(table, cols.get("year"), problems)
    a = role_ids(table, cols, "origin", pool, problems)
    b = role_ids(table, cols, "destination", pool, problems)
    problems.reject(np.flatnonzero((a < 0) & (b < 0)), None, NO_PLACE)
    keep = problems.kept_rows()
    canon = pool.canonical()
    a = np.where(a >= 0, canon[np.maximum(a, 0)], -1)
    b = np.where(b >= 0, canon[np.maximum(b, 0)], -1)

    route = encode(table, cols["route_id"])
    blank = missing_mask(clean_text(route.dictionary), ("",))
    route_key = np.where(blank[route.codes], -1 - np.arange(n), route.codes)  # blank: own route
    order = np.arange(n, dtype=float)
    if cols.get("order"):
        oc = encode(table, cols["order"])
        num = pd.to_numeric(pd.Series(oc.values, dtype=object), errors="coerce").to_numpy(float)
        order = np.where(np.isnan(num[oc.codes]), np.inf, num[oc.codes])
    legs = keep[np.lexsort((keep, order[keep], route_key[keep]))]
    rk = route_key[legs]
    la, lb = a[legs], b[legs]
    prev_b = np.concatenate([[-1], lb[:-1]])
    first = np.ones(len(legs), bool)
    first[1:] = rk[1:] != rk[:-1]
    # a route is one record only while its legs join up and carry one count: a gap
    # (Dhaka -> Kolkata, then Mumbai -> Dubai) drew a leg the file does not have, and a
    # leg of 8 cases after one of 3 showed 3 on its corridor
    gap = ~first & (la >= 0) & (prev_b >= 0) & (la != prev_b)
    lc, lh = count[legs], has_count[legs]
    changed = np.zeros(len(legs), bool)
    changed[1:] = ~first[1:] & ~gap[1:] & ((lc[1:] != lc[:-1]) | (lh[1:] != lh[:-1]))
    if gap.any():
        problems.kept(legs[gap], None, ["this leg does not start where the previous leg of "
                                        "its route ended: the route is split here, with no "
                                        "leg drawn between them"] * int(gap.sum()))
    if changed.any():
        at = np.flatnonzero(changed)
        problems.kept(legs[at], cols.get("count"), [
            f"this leg has {_cases(lc[i], lh[i])} where the leg before it in its route "
            f"had {_cases(lc[i - 1], lh[i - 1])}: it starts a route of its own"
            for i in at])
    first |= gap | changed
    rec_of_leg = np.cumsum(first) - 1
    emit_a = (la >= 0) & (first | (la != prev_b))
    grid = np.stack([np.where(emit_a, la, -1), lb], axis=1)
    leg_i, stop_ids, stop_role = StopGrid(grid, np.array([ORIGIN, DESTINATION])).arrays()
    stop_rec = rec_of_leg[leg_i]
    stop_role = _positional_roles(stop_rec, stop_role)
    rec_row = legs[first]
    return assemble(
        table, cols, pool, problems,
        rec_row=rec_row, count=count[rec_row], has_count=has_count[rec_row],
        year=year[rec_row], has_year=has_year[rec_row],
        stop_rec=stop_rec, stop_pool_id=stop_ids, stop_role=stop_role,
        attributes=attributes_of(table, cols, rec_row),
    )


def _cases(count: int, known: bool) -> str:
    return f"{count:,} case{'' if count == 1 else 's'}" if known else "no number"


def _positional_roles(stop_rec: np.ndarray, column_role: np.ndarray) -> np.ndarray:
    """First stop of a record origin, last destination, the rest transit.

    A record with one stop keeps the role of the column it came from.
    """
    m = len(stop_rec)
    role = np.full(m, TRANSIT, np.int8)
    if not m:
        return role
    start = np.ones(m, bool)
    start[1:] = stop_rec[1:] != stop_rec[:-1]
    end = np.ones(m, bool)
    end[:-1] = stop_rec[1:] != stop_rec[:-1]
    role[start] = ORIGIN
    role[end] = DESTINATION
    single = start & end
    role[single] = column_role[single]
    return role

