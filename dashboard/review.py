"""Pure helpers behind the Data page: report tables, the place review, the column override.

The page (dashboard/views/data.py) only wires widgets to these, so what an analyst sees
is tested without a browser. No streamlit import.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd

from dashboard.maps.wording import distinct_labels
from loaders.aliases import AliasTarget, load_aliases, save_alias
from loaders.gazetteer import Gazetteer, get_gazetteer, place_label
from loaders.model import Dataset, stop_uses
from loaders.report import LoadReport, guess_text, row_word

REVIEW_MATCHES = ("unresolved", "fuzzy")
ROLE_LABELS = {"origin": "Origin", "transit": "Transit", "destination": "Destination"}
SINGLE_ROLES = {"count": "Count", "year": "Year"}
NONE = "(none)"


def problems_frame(report: LoadReport) -> pd.DataFrame:
    """One row per problem: its line (a sheet's row, a JSON record), column, message, and
    whether the row was kept."""
    rows = [asdict(p) for p in report.problems]
    df = pd.DataFrame(rows, columns=["row", "column", "message", "kept"])
    # a notice about the whole file (which sheet was read) has no line or column: an
    # empty cell, where the table showed "None"
    df["row"] = ["" if pd.isna(r) else f"{int(r)}" for r in df["row"]]
    df["column"] = df["column"].fillna("").astype(str)
    return df.rename(columns={"row": row_word(report.file_format), "kept": "row kept"})


METHOD_MEANINGS = {
    "exact": "name found as written",
    "alias": "another spelling or script",
    "code": "country code",
    "user": "your fix",
    "coordinates": "coordinates in the file",
    "fuzzy": "guessed: please check",
    "unresolved": "not found",
}


def methods_frame(report: LoadReport) -> pd.DataFrame:
    """Distinct places by how they were resolved (alias, code, exact, fuzzy, ...), each
    method with what it means, since "alias" or "fuzzy" says little to an analyst."""
    items = sorted(report.by_method.items(), key=lambda kv: -kv[1])
    df = pd.DataFrame(items, columns=["method", "places"])
    df.insert(1, "meaning", [METHOD_MEANINGS.get(m, "") for m in df["method"]])
    return df


def review_frame(dataset: Dataset) -> pd.DataFrame:
    """Places to review: unresolved first, then fuzzy matches by rising score.

    Columns: place_id, text (as written), country (written beside it), match, matched
    (the name it was matched to, for fuzzy), key (the gazetteer key of that match, for
    fuzzy), suggestion, score, rows (stops naming it).
    """
    places = dataset.places
    match = places["match"].astype(str)
    pick = match.isin(REVIEW_MATCHES).to_numpy()
    # counted on the grid when the dataset has one: the long stops table is not built
    stops = dataset.grid if dataset.grid is not None else dataset.stops
    rows = stop_uses(stops, len(places), np.flatnonzero(pick))
    df = pd.DataFrame({
        "place_id": places["place_id"].to_numpy()[pick],
        "text": places["query"].astype(str).to_numpy()[pick],
        "country": places["country_hint"].astype(str).to_numpy()[pick],
        "match": match.to_numpy()[pick],
        "matched": places["name"].astype(str).to_numpy()[pick],
        "key": places["key"].astype(str).to_numpy()[pick],
        "suggestion": places["suggestion"].astype(str).to_numpy()[pick],
        "score": pd.to_numeric(places["score"], errors="coerce").to_numpy()[pick],
        "rows": rows[pick],
        "iso3": places["iso3"].fillna("").astype(str).to_numpy()[pick],
    })
    df.loc[df["match"] == "unresolved", ["matched", "key"]] = ""
    # found, but in another country than the one written beside it (Karachi, "India")
    gazetteer = get_gazetteer()
    df["elsewhere"] = [gazetteer.found_elsewhere(c, i) if m == "fuzzy" and c else False
                       for m, c, i in zip(df["match"], df["country"], df["iso3"], strict=True)]
    order = np.lexsort((-df["rows"].to_numpy(), df["score"].fillna(-1).to_numpy(),
                        (df["match"] != "unresolved").to_numpy()))
    return df.iloc[order].reset_index(drop=True)


def problem_text(match: str, guess: str, elsewhere: bool = False, country: str = "",
                 also: str = "") -> str:
    """What is wrong with a place under review, in words an analyst reads at a glance.
    ``also`` is another country's city of the same name, for a name that fits both."""
    if match == "fuzzy":
        text = guess_text(guess, elsewhere_in=country if elsewhere else "", also=also)
        return text + (" as written beside it" if elsewhere else "") + ": please check"
    if guess:
        return f"not found; closest name {guess}"
    return "not found; no name is close"


def review_table(todo: pd.DataFrame) -> pd.DataFrame:
    """The review as shown: place as written, rows, what is wrong, the best guess.

    ``suggestion`` holds the best guess either way: the fuzzy match a place was drawn
    as, or the closest name of a place that was not found.
    """
    fuzzy = todo["match"] == "fuzzy"
    guess = todo["matched"].where(fuzzy, todo["suggestion"]).astype(str)
    also = todo["suggestion"].where(fuzzy, "").astype(str)  # a namesake city elsewhere
    elsewhere = todo["elsewhere"] if "elsewhere" in todo else [False] * len(todo)
    problem = [problem_text(m, g, e, c, a) for m, g, e, c, a in
               zip(todo["match"], guess, elsewhere, todo["country"], also, strict=True)]
    return pd.DataFrame({
        "text": todo["text"], "country": todo["country"], "rows": todo["rows"],
        "problem": problem, "suggestion": guess,
        "score": todo["score"].where(guess != "", np.nan),
    })


def search_hit_labels(hits: pd.DataFrame) -> dict[str, str]:
    """Gazetteer key -> label of each search hit, e.g. "Springfield (city, USA) at 39.80,
    -89.64, similarity 100", every label distinct.

    The results list sends back the label it shows, and a search for Springfield finds
    eight US cities of that name: with one label for all, picking any fixed the place
    to the last of them. The position tells them apart (and tells the analyst which)."""
    labels = {h.key: f"{place_label(h.name, h.kind, h.iso3)} at {h.lat:.2f}, {h.lon:.2f},"
                     f" similarity {h.score:.0f}" for h in hits.itertuples()}
    return distinct_labels(labels)


def suggested_place(row: pd.Series, gazetteer: Gazetteer) -> tuple[str, str] | None:
    """(gazetteer key, label) of the best guess for a review row, or None.

    A fuzzy match names its key; a suggestion is only a name, so it is looked up again
    (beside the row's country, if any) and the first place of exactly that name wins.
    """
    if row["match"] == "fuzzy":
        key = str(row["key"])
        if key not in gazetteer.places.index:
            return None
        p = gazetteer.places.loc[key]
        return key, place_label(p["name"], p["kind"], p["iso3"])
    name = str(row["suggestion"] or "")
    if not name:
        return None
    hits = gazetteer.search(name, 10, country=str(row["country"]) or None)
    if hits.empty:
        return None
    same = hits[hits["name"].astype(str).str.casefold() == name.casefold()]
    if same.empty:
        return None
    hit = same.iloc[0]
    return str(hit["key"]), place_label(hit["name"], hit["kind"], hit["iso3"])


def save_fix(text: str, country: str, *, key: str = "", name: str = "",
             lat: float | None = None, lon: float | None = None) -> str:
    """Keep a place fix as a user alias: a gazetteer ``key`` or a ``name`` at lat/lon.

    The fix holds only beside ``country`` when the file wrote one, so Hyderabad fixed
    next to Pakistan does not move Hyderabad next to India. Raises AliasError (a
    RoutemapError) on a bad target.
    """
    if key:
        target = AliasTarget(key=key)
    else:
        target = AliasTarget(name=name.strip() or text, lat=float("nan") if lat is None else lat,
                             lon=float("nan") if lon is None else lon, kind="coordinates")
    return save_alias(text, target, country_hint=country)


def fixes_frame() -> pd.DataFrame:
    """The saved place fixes, one row each: the text fixed (normalised), the country it
    holds beside (or empty), and what it now means, in words."""
    rows = []
    for key, t in load_aliases().items():
        text, _, country = key.partition("|")
        means = (f"{t.name or t.key} at {t.lat:.4f}, {t.lon:.4f}" if t.is_explicit
                 else t.key)
        rows.append((key, text, country, means))
    return pd.DataFrame(rows, columns=["key", "text", "country", "means"])


# ---- the column-mapping override -----------------------------------------------------------


def mapping_rows(columns: dict[str, Any]) -> pd.DataFrame:
    """The layout's column mapping as a two-column table a person can read."""
    out = []
    for key, value in columns.items():
        if isinstance(value, dict):
            shown = ", ".join(f"{k}: {v}" for k, v in value.items() if v)
        elif isinstance(value, list | tuple):
            shown = ", ".join(str(v) for v in value)
        else:
            shown = "" if value in (None, False) else str(value)
        if shown:
            out.append((key, shown))
    return pd.DataFrame(out, columns=["role", "columns"])


def mapping_defaults(columns: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """What the override widgets start from: the roles' columns that exist in the file."""
    have = set(names)
    out: dict[str, Any] = {}
    for role in ROLE_LABELS:
        value = columns.get(role) or []
        value = [value] if isinstance(value, str) else list(value)
        out[role] = [c for c in value if c in have]
    for key in SINGLE_ROLES:
        value = columns.get(key)
        out[key] = value if isinstance(value, str) and value in have else NONE
    return out


def override_columns(roles: dict[str, list[str]], single: dict[str, str]) -> dict[str, Any]:
    """The ``columns=`` for load_dataset from the override widgets. A role left empty
    is sent empty, so the layout does not guess it back; an unset count or year is left
    out, so the layout still guesses it."""
    out: dict[str, Any] = {r: list(v) for r, v in roles.items()}
    out.update({k: v for k, v in single.items() if v and v != NONE})
    return out
