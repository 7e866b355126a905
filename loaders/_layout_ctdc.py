"""Layout 4: case files of IOM's Counter Trafficking Data Collaborative (CTDC).

One row per case: ``citizenship`` (origin) → ``CountryOfExploitation`` (destination),
ISO2 codes in older files, ISO3 in newer. ``-99``, blank and ``NA`` mean missing, except
that ``NA`` in a country-code column is Namibia. A blank country of exploitation is
k-anonymised, not absent: the record keeps its origin stop. Each row counts 1.

The 0/1 flag columns are collapsed: ``isForcedLabour``/``isSexualExploit``/``isOtherExploit``
into ``exploitation`` (forced labour / sexual / other / several), and each flag group
(``typeOfLabour*``, ``typeOfSex*``, ``meansOf*``, ``recruiterRelation*``, ...) into one
attribute listing the flags set ("debt bondage; threats"), so a filter has one column
per question instead of forty.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from loaders._layout_core import (
    DESTINATION,
    MISSING_VALUES,
    NO_PLACE,
    ORIGIN,
    Problems,
    QueryPool,
    TableLike,
    assemble,
    attribute,
    clean_text,
    encode,
    place_ids,
    read_years,
)
from loaders.model import RawRoutes

ATTRIBUTE_MISSING = (*MISSING_VALUES, "na")  # outside country-code columns "NA" is missing
EXPLOITATION_FLAGS = {
    "is_forced_labour": "forced labour",
    "is_sexual_exploit": "sexual",
    "is_other_exploit": "other",
}
FLAG_GROUPS = {  # normalised prefix -> attribute name
    "type_of_labour_": "type_of_labour",
    "sector_of_labour_": "sector_of_labour",
    "type_of_sex_": "type_of_sex",
    "means_of_control_": "means_of_control",
    "means_of_": "means_of_control",
    "recruiter_relationship_": "recruiter_relation",
    "recruiter_relation_": "recruiter_relation",
}
RENAMES = {
    "gender": "gender", "age_broad": "age_group", "majority_status": "majority_status",
    "majority_status_at_exploit": "majority_status_at_exploit", "majority_entry": "majority_entry",
    "datasource": "source", "data_source": "source", "citizenship": "citizenship",
}
_TRUE = ("1", "1.0", "true", "yes", "y")


def ctdc_columns(h: Any) -> dict[str, Any]:
    """The CTDC column mapping found among the headers ``h`` (a ``layouts._Headers``)."""
    from loaders.layouts import norm

    cols: dict[str, Any] = {
        "origin": [c for c in [h.find("citizenship", "nationality")] if c],
        "transit": [],
        "destination": [c for c in [h.find("country_of_exploitation")] if c],
        "count": None,
        "year": h.find("year_of_registration", "registration_year", "year"),
        "exploitation": {},
        "flag_groups": {},
        "attributes": [],
        "ignored": [],
    }
    used = {*cols["origin"], *cols["destination"], cols["year"]}
    for name in h.names:
        key = norm(name)
        if key in EXPLOITATION_FLAGS:
            cols["exploitation"][name] = EXPLOITATION_FLAGS[key]
            continue
        prefix = next((p for p in FLAG_GROUPS if key.startswith(p)), None)
        if prefix and not key.endswith("concatenated"):
            label = key[len(prefix):].replace("_", " ")
            cols["flag_groups"].setdefault(FLAG_GROUPS[prefix], {})[name] = label
            continue
        if name == "notice":  # the old files' terms-of-use column, empty
            cols["ignored"].append(name)
            continue
        if name in used:
            continue
        cols["attributes"].append(name)
    if cols["origin"]:
        cols["attributes"].insert(0, cols["origin"][0])  # citizenship is also an attribute
    # a *Concatenated column duplicates the group built from its flags
    cols["attributes"] = [
        c for c in cols["attributes"]
        if not (norm(c).endswith("concatenated")
                and any(norm(c).startswith(p) and FLAG_GROUPS[p] in cols["flag_groups"]
                        for p in FLAG_GROUPS))
    ]
    return cols


def _flags(table: TableLike, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Per row (set, known) of a 0/1 flag column."""
    col = encode(table, name)
    text = pd.Series(clean_text(col.dictionary).to_pylist(), dtype=object).str.lower()
    is_set = text.isin(_TRUE).to_numpy()
    known = is_set | text.isin(("0", "0.0", "false", "no", "n")).to_numpy()
    return is_set[col.codes], known[col.codes]


def _collapse(table: TableLike, flags: dict[str, str], several: str | None) -> pd.Categorical:
    """Flags set per row as one label: the flag's label, ``several``, or "a; b" lists."""
    n = table.data.num_rows
    names = list(flags)
    mask = np.zeros(n, np.int64)
    for k, name in enumerate(names[:62]):
        mask |= _flags(table, name)[0].astype(np.int64) << k
    codes, uniq = pd.factorize(mask)
    labels = []
    for m in uniq:
        set_ = [flags[names[k]] for k in range(min(len(names), 62)) if m >> k & 1]
        if not set_:
            labels.append(None)
        elif len(set_) > 1 and several:
            labels.append(several)
        else:
            labels.append("; ".join(set_))
    cats = pd.Index(sorted({x for x in labels if x}), dtype="str")
    lookup = {c: i for i, c in enumerate(cats)}
    remap = np.array([lookup.get(x, -1) if x else -1 for x in labels], np.int32)
    return pd.Categorical.from_codes(remap[codes], categories=cats)


def build_ctdc(table: TableLike, cols: dict[str, Any]) -> RawRoutes:
    """One record per case: origin = citizenship, destination = country of exploitation."""
    from loaders.layouts import attribute_name, norm

    n = table.data.num_rows
    problems, pool = Problems(table), QueryPool()
    year, has_year = read_years(table, cols.get("year"), problems)
    # place_ids treats -99 and blank as missing but keeps "NA": Namibia
    origin = [place_ids(pool, encode(table, c)) for c in cols.get("origin") or []]
    dest = [place_ids(pool, encode(table, c)) for c in cols.get("destination") or []]
    o = origin[0] if origin else np.full(n, -1, np.int64)
    d = dest[0] if dest else np.full(n, -1, np.int64)
    problems.reject(np.flatnonzero((o < 0) & (d < 0)), None, NO_PLACE)
    keep = problems.kept_rows()
    grid = np.stack([o[keep], d[keep]], axis=1)

    attrs: dict[str, pd.Categorical] = {}
    taken = {"record_id", "count", "year", "line"}
    if cols.get("exploitation"):
        attrs[attribute_name("exploitation", taken)] = _collapse(
            table, cols["exploitation"], "several")[keep]
    for group, flags in (cols.get("flag_groups") or {}).items():
        attrs[attribute_name(group, taken)] = _collapse(table, flags, None)[keep]
    country_columns = {*(cols.get("origin") or []), *(cols.get("destination") or [])}
    for name in cols.get("attributes") or []:
        tokens = MISSING_VALUES if name in country_columns else ATTRIBUTE_MISSING
        key = norm(name)
        out = RENAMES.get(key, re.sub(r"^_+|_+$", "", key) or name)
        attrs[attribute_name(out, taken)] = attribute(encode(table, name), tokens)[keep]
    return assemble(
        table, cols, pool, problems,
        rec_row=keep, count=np.ones(len(keep), np.int64), has_count=np.ones(len(keep), bool),
        year=year[keep], has_year=has_year[keep],
        grid=grid, slot_roles=np.array([ORIGIN, DESTINATION], np.int8), attributes=attrs,
    )
