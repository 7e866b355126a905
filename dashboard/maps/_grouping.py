"""Grouped reductions on integer keys, in numpy: the arithmetic behind flows.

Flows aggregate up to a million legs into corridors; pandas groupby on that many keys
cost seconds, these take tens of milliseconds. Pure functions of arrays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DENSE_LIMIT = 8_000_000  # group x value cells summed densely in dominant()


def dominant(group: np.ndarray, value: np.ndarray, weight: np.ndarray, n_groups: int,
              n_values: int) -> np.ndarray:
    """For each group, the value with the largest summed weight (vectorised)."""
    if n_groups == 0:
        return np.zeros(0, dtype=np.int64)
    if n_groups * n_values <= DENSE_LIMIT and len(weight) and weight.min() > 0:
        # every value that occurs sums above 0 and one that does not sums to 0, so it
        # never wins: the few leg roles of a million legs need no count of which occur
        return _dense_dominant(group, value, weight, n_groups, n_values)
    # count only the values that occur (order kept, so ties still go to the lowest)
    present = np.flatnonzero(np.bincount(value, minlength=n_values))
    if len(present) < n_values:
        rank = np.zeros(n_values, dtype=np.int64)
        rank[present] = np.arange(len(present))
        return present[dominant(group, rank[value], weight, n_groups, len(present))]
    if n_groups * n_values <= DENSE_LIMIT:
        return _dense_dominant(group, value, weight, n_groups, n_values)
    pair = group.astype(np.int64) * n_values + value
    # many values (a free-text attribute): sum per pair present, not per possible pair;
    # the same sums in the same order, and ties go to the lowest value as argmax does
    code, pairs = pd.factorize(pair)
    tot = np.bincount(code, weights=weight, minlength=len(pairs))
    g, v = pairs // n_values, pairs % n_values
    order = np.lexsort((v, -tot, g))
    lead = order[np.r_[True, g[order][1:] != g[order][:-1]]]
    out = np.zeros(n_groups, dtype=np.int64)
    out[g[lead]] = v[lead]
    return out


def _dense_dominant(group: np.ndarray, value: np.ndarray, weight: np.ndarray,
                    n_groups: int, n_values: int) -> np.ndarray:
    """:func:`dominant` summed in a groups x values table (ties to the lowest value)."""
    pair = group.astype(np.int64) * n_values + value
    tot = np.bincount(pair, weights=weight, minlength=n_groups * n_values)
    return tot.reshape(n_groups, n_values).argmax(axis=1)


def first_visits(rid: np.ndarray, node: np.ndarray, max_gap: int = 32) -> np.ndarray:
    """Mask of stops that are a record's first visit to their node (rid sorted).

    Routes are short, so comparing each stop with the few before it in the same record
    is much faster than hashing (record, node) pairs; very long routes fall back to that.
    """
    first = np.ones(len(rid), dtype=bool)
    for d in range(1, max_gap + 1):
        same = rid[d:] == rid[:-d]
        if not same.any():
            return first
        first[d:] &= ~(same & (node[d:] == node[:-d]))
    n = int(node.max()) + 1 if len(node) else 1
    _, idx = np.unique(rid * n + node, return_index=True)
    first[:] = False
    first[idx] = True
    return first


def minmax(group: np.ndarray, values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The smallest and largest of ``values`` (float, NaN ignored) in each of ``n``
    groups; NaN for a group with none."""
    ok = ~np.isnan(values)
    if not ok.all():
        group, values = group[ok], values[ok]
    small = _as_int16(values)
    if small is not None:
        return _minmax16(group, small, n)
    lo = np.full(n, np.inf)
    hi = np.full(n, -np.inf)
    np.minimum.at(lo, group, values)
    np.maximum.at(hi, group, values)
    lo[np.isinf(lo)] = np.nan
    hi[np.isinf(hi)] = np.nan
    return lo, hi


def minmax_taken(group: np.ndarray, at: np.ndarray, values: np.ndarray, n: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``minmax(group, values[at], n)``. Where every value is a small whole number (a
    year of every record), they are made 16-bit before ``at`` takes them: a million
    records' years checked and cast once, not three million legs' (25 -> 18 ms)."""
    small = _as_int16(values)  # None where one is NaN: no 16-bit integer equals it
    if small is None:
        return minmax(group, values.take(at), n)
    return _minmax16(group, small.take(at), n)


def _minmax16(group: np.ndarray, small: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`minmax` of 16-bit integers: numpy's min and max over them ran 3.5x faster
    than over floats (7 ms against 25 ms for 3M legs, each)."""
    top, bottom = np.iinfo(np.int16).max, np.iinfo(np.int16).min
    lo16, hi16 = np.full(n, top, dtype=np.int16), np.full(n, bottom, dtype=np.int16)
    np.minimum.at(lo16, group, small)
    np.maximum.at(hi16, group, small)
    empty = lo16 > hi16
    lo, hi = lo16.astype(np.float64), hi16.astype(np.float64)
    lo[empty] = hi[empty] = np.nan
    return lo, hi


def _as_int16(values: np.ndarray) -> np.ndarray | None:
    """``values`` as 16-bit integers where each is a whole number that fits, else None."""
    if not len(values):
        return None
    with np.errstate(invalid="ignore"):
        small = values.astype(np.int16)
    return small if np.array_equal(small, values) else None


def factorize_ints(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(keys)`` for a 1-D integer array: codes in order of first appearance
    and the distinct keys.

    The hash table is sized for every key up front: grown as it fills, it was rehashed
    about ten times on a million legs (22 ms against 38 ms here). pandas exposes the size
    hint only on ``factorize_array``, not public API: anything amiss there falls back.
    """
    try:
        from pandas.core.algorithms import factorize_array

        codes, uniques = factorize_array(keys, size_hint=len(keys))
    except (ImportError, TypeError, ValueError):
        return pd.factorize(keys)
    return codes, uniques


def pair_keys(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """One integer per (a, b) pair of node ids below ``n``; 32 bits when they fit (faster)."""
    if n * n < 2**32:
        return a.astype(np.uint32) * np.uint32(n) + b.astype(np.uint32)
    return a.astype(np.int64) * n + b


def kept_positions(count: np.ndarray, rows: np.ndarray | None, min_count: int) -> np.ndarray:
    """Positions of the rows kept (``rows`` True, or all) with at least ``min_count``."""
    idx = np.arange(len(count)) if rows is None else np.flatnonzero(rows)
    return idx[count[idx] >= min_count] if min_count > 0 else idx


def _rank_key(count: np.ndarray, records: np.ndarray, kept: np.ndarray) -> np.ndarray | None:
    """One unsigned key per kept position, smallest for the most cases then records;
    None when the values are too spread for one 64-bit key."""
    c, r = count[kept], records[kept]
    if len(kept) == 0:
        return np.zeros(0, dtype=np.uint64)
    span = int(r.max()) - int(r.min()) + 1
    if int(c.max()) - int(c.min()) >= (2**62) // span:
        return None
    return ((int(c.max()) - c) * span + (int(r.max()) - r)).astype(np.uint64)


def rank_order(count: np.ndarray, records: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """``kept`` by count then records, largest first; ties keep their order (a stable
    descending sort)."""
    key = _rank_key(count, records, kept)
    if key is None:
        return kept[np.lexsort((-records[kept], -count[kept]))]
    return kept[stable_argsort(key)]


def ranked(count: np.ndarray, records: np.ndarray, rows: np.ndarray | None,
           min_count: int) -> np.ndarray:
    """Positions of the rows kept, at least ``min_count``, by count then records, largest
    first; ties keep their order (a stable descending sort)."""
    return rank_order(count, records, kept_positions(count, rows, min_count))


def stable_argsort(key: np.ndarray) -> np.ndarray:
    """``np.argsort(key, kind="stable")`` for non-negative integers, as 16-bit radix passes.

    numpy radix-sorts 16-bit keys in linear time; two or three passes over the digits
    beat one comparison sort of a million 64-bit keys several times over.
    """
    order = np.arange(len(key))
    top = int(key.max()) if len(key) else 0
    shift = 0
    while shift == 0 or top >> shift:
        digit = ((key[order] >> np.uint64(shift)) & np.uint64(0xFFFF)).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
        shift += 16
    return order


def ranked_head(count: np.ndarray, records: np.ndarray, kept: np.ndarray,
                n: int | None) -> np.ndarray:
    """``rank_order(count, records, kept)[:n]`` without sorting the rest.

    A map draws the top few hundred of up to a million corridors; selecting them is a
    partition, and only they are sorted. Ties at the cut go to the earlier rows, as the
    stable sort would have it.
    """
    key = None if n is None or len(kept) <= n else _rank_key(count, records, kept)
    if key is None:
        order = rank_order(count, records, kept)
        return order if n is None else order[:n]
    if n == 0:
        return kept[:0]
    cut = np.partition(key, n - 1)[n - 1]
    below = np.flatnonzero(key < cut)
    at_cut = np.flatnonzero(key == cut)[: n - len(below)]
    chosen = np.union1d(below, at_cut)  # positions in row order
    return kept[chosen[np.argsort(key[chosen], kind="stable")]]
