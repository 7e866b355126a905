"""Geocoding: turn each distinct place text into a place of the gazetteer, offline.

The cascade, on the normalised key (DESIGN §4), first answer wins:

1. coordinates given in the file (match "coordinates"; the name is kept as written);
2. a user alias, a fix saved in review (match "user");
3. a country code: ISO2, ISO3 or M49 (match "code");
4. an exact name: country names, then regions, then cities (match "exact");
5. another spelling or script of a name (match "alias");
6. "City, Country" or "City (Country)" written in one cell: the country becomes the hint;
7. fuzzy matching (rapidfuzz); below FUZZY_ACCEPT the best candidate is only a
   ``suggestion`` and the place stays "unresolved", for a person to review.

A place found in another country than its hint names is kept but marked "fuzzy", a
guess to review.

A country hint picks among same-named cities; without one the most populous wins, and
a country name always beats a city name ("Georgia", "Jordan"). When another country has
a big city of that name too (Hyderabad), the answer is marked a guess for review.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from loaders.aliases import AliasTarget, alias_key
from loaders.gazetteer import Gazetteer, get_gazetteer, order_candidates, place_label
from loaders.model import PLACE_COLUMNS
from loaders.normalize import normalise

FUZZY_ACCEPT = 85.0  # at or above: a fuzzy answer; below: a suggestion only
FUZZY_SUGGEST = 60.0  # below this, not even a suggestion
HINT_ACCEPT = 90.0  # a misspelt country hint is used only when this close
# a city name with no country beside it is a guess when another country's city of that
# name has at least this share of the first one's people, and at least this many
NAMESAKE_SHARE = 0.2
NAMESAKE_MIN_POPULATION = 200_000
_CHUNK = 512  # fuzzy rows per cdist call: bounds memory to CHUNK x choices bytes
_IN_PARENS = re.compile(r"^(.*?)\s*\(([^()]*)\)\s*$")
_MATCH_OF_NAME = {"code": "code", "name": "exact", "alt": "alias", "translation": "alias"}


class _Result:
    """Output columns as arrays, filled stage by stage; ``todo`` marks the rows left."""

    def __init__(self, n: int) -> None:
        self.name = np.full(n, "", dtype=object)
        self.kind = np.full(n, "", dtype=object)
        self.iso3 = np.full(n, "", dtype=object)
        self.lat = np.full(n, np.nan)
        self.lon = np.full(n, np.nan)
        self.match = np.full(n, "unresolved", dtype=object)
        self.score = np.zeros(n)
        self.key = np.full(n, "", dtype=object)
        self.suggestion = np.full(n, "", dtype=object)
        self.members = np.full(n, "", dtype=object)
        self.todo = np.ones(n, dtype=bool)

    def fill_targets(self, gz: Gazetteer, rows: np.ndarray, targets: np.ndarray,
                     match: np.ndarray | str, score: np.ndarray | float) -> None:
        """Answer ``rows`` with gazetteer places ``targets``."""
        p = gz.places.loc[targets]
        self.name[rows] = p["name"].to_numpy(object)
        self.kind[rows] = p["kind"].to_numpy(object)
        self.iso3[rows] = p["iso3"].to_numpy(object)
        self.lat[rows] = p["lat"].to_numpy(float)
        self.lon[rows] = p["lon"].to_numpy(float)
        self.members[rows] = p["members"].to_numpy(object)
        self.key[rows] = targets
        self.match[rows] = match
        self.score[rows] = score
        self.todo[rows] = False


def geocode(queries: pd.DataFrame, *, aliases: Mapping[str, AliasTarget] | None = None,
            gazetteer: Gazetteer | None = None,
            progress: Callable[[float], None] | None = None) -> pd.DataFrame:
    """Resolve each row of ``queries`` (text, country_hint, lat, lon) to a place.

    Returns the ``places`` table (``loaders.model.PLACE_COLUMNS``), row-aligned with
    ``queries``, ``place_id`` equal to the position. ``aliases`` are the user's fixes to
    apply (``loaders.aliases.load_aliases()``); None applies none, so a caller that
    turns fixes off passes None. ``progress(fraction)`` is called as work advances.
    Rows are assumed distinct: the caller factorizes before calling.
    """
    if "text" not in queries.columns:
        raise ValueError("geocode() needs a 'text' column")
    gz = gazetteer if gazetteer is not None else get_gazetteer()
    aliases = aliases or {}
    report = progress or (lambda _f: None)
    report(0.0)
    n = len(queries)
    text = _strings(queries["text"])
    hint_text = _strings(queries["country_hint"]) if "country_hint" in queries else [""] * n
    lat = _floats(queries, "lat", n)
    lon = _floats(queries, "lon", n)
    res = _Result(n)
    keys = np.array([normalise(t) for t in text], dtype=object)

    _given_coordinates(gz, res, text, lat, lon)
    _user_aliases(gz, res, keys, hint_text, aliases)
    hints = _hint_iso3(gz, hint_text)
    report(0.1)
    _names(gz, res, np.flatnonzero(res.todo), keys, hints)
    work_keys, work_hints = _split_country_in_text(gz, res, text, keys.copy(), hints)
    report(0.2)
    _fuzzy(gz, res, work_keys, work_hints, lambda f: report(0.2 + 0.8 * f))
    _doubt_where_the_country_disagrees(res, work_hints)

    left = res.todo
    res.key[left] = ["unresolved:" + k for k in keys[left]]
    report(1.0)
    return pd.DataFrame({
        "place_id": np.arange(n, dtype=np.int32),
        "query": pd.array(text, dtype="str"),
        "country_hint": pd.array(hint_text, dtype="str"),
        "name": pd.array(res.name, dtype="str"),
        "kind": pd.array(res.kind, dtype="str"),
        "iso3": pd.array(res.iso3, dtype="str"),
        "lat": res.lat,
        "lon": res.lon,
        "match": pd.array(res.match, dtype="str"),
        "score": res.score.round(1),
        "key": pd.array(res.key, dtype="str"),
        "suggestion": pd.array(res.suggestion, dtype="str"),
        "members": pd.array(res.members, dtype="str"),
    })[list(PLACE_COLUMNS)]


def _doubt_where_the_country_disagrees(res: _Result, hints: np.ndarray) -> None:
    """A name found in another country than the one written beside it ("Karachi" next
    to "India"; "Springfield" next to "Australia", which has none in the gazetteer) is
    drawn as found but marked a guess for review: it is not a sure answer (DESIGN §4).
    Coordinates and the user's own fixes are sure; a region has no one country."""
    clash = (~res.todo & (hints != "") & (res.iso3 != "") & (res.iso3 != hints)
             & np.isin(res.match, ["exact", "alias", "code"]))
    res.match[clash] = "fuzzy"


def _strings(col: pd.Series) -> list[str]:
    return ["" if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
            else str(v).strip() for v in col.astype(object).tolist()]


def _floats(df: pd.DataFrame, col: str, n: int) -> np.ndarray:
    if col not in df:
        return np.full(n, np.nan)
    return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _given_coordinates(gz: Gazetteer, res: _Result, text: list[str], lat: np.ndarray,
                       lon: np.ndarray) -> None:
    ok = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    rows = np.flatnonzero(ok)
    if not len(rows):
        return
    la, lo = lat[rows].round(4), lon[rows].round(4)
    res.lat[rows], res.lon[rows] = lat[rows], lon[rows]
    res.iso3[rows] = gz.iso3_at(lat[rows], lon[rows])
    res.name[rows] = [text[i] or f"{a:.4f}, {b:.4f}" for i, a, b in zip(rows, la, lo,
                                                                          strict=True)]
    res.kind[rows] = "coordinates"
    res.key[rows] = [f"coord:{a:.4f},{b:.4f}" for a, b in zip(la, lo, strict=True)]
    res.match[rows] = "coordinates"
    res.score[rows] = 100.0
    res.todo[rows] = False


def _user_aliases(gz: Gazetteer, res: _Result, keys: np.ndarray, hint_text: list[str],
                  aliases: Mapping[str, AliasTarget]) -> None:
    if not aliases:
        return
    hint_iso3: np.ndarray | None = None  # each hint's country, worked out once if needed
    for i in np.flatnonzero(res.todo):
        target = aliases.get(alias_key(keys[i], hint_text[i])) if hint_text[i] else None
        if target is None and (general := aliases.get(keys[i])) is not None:
            # a fix made with no country beside the name holds only where the country
            # written agrees: Hyderabad fixed to Pakistan's moved "Hyderabad, India" too
            written = ""
            if hint_text[i]:
                hint_iso3 = _hint_iso3(gz, hint_text) if hint_iso3 is None else hint_iso3
                written = hint_iso3[i]
            if not written or _target_iso3(gz, general) in ("", written):
                target = general
        if target is None:
            continue
        if target.is_explicit:
            res.name[i], res.kind[i] = target.name, target.kind or "city"
            res.lat[i], res.lon[i] = target.lat, target.lon
            res.iso3[i] = gz.iso3_at(np.array([target.lat]), np.array([target.lon]))[0]
            res.key[i] = f"coord:{target.lat:.4f},{target.lon:.4f}"
            res.match[i], res.score[i], res.todo[i] = "user", 100.0, False
        elif target.key in gz.places.index:
            res.fill_targets(gz, np.array([i]), np.array([target.key], dtype=object),
                             "user", 100.0)


def _target_iso3(gz: Gazetteer, target: AliasTarget) -> str:
    """The country of a fix's place ("" where none is known)."""
    if target.is_explicit:
        return str(gz.iso3_at(np.array([target.lat]), np.array([target.lon]))[0] or "")
    if target.key in gz.places.index:
        return str(gz.places.loc[target.key, "iso3"] or "")
    return ""


def _hint_iso3(gz: Gazetteer, hint_text: list[str]) -> np.ndarray:
    """ISO3 of each country hint: any spelling or code, or a close misspelling."""
    hints = pd.Series(hint_text, dtype=object)
    codes, uniques = pd.factorize(hints)
    countries = gz.country_keys
    spellings = countries.index.tolist()
    out = []
    for h in uniques:
        k = normalise(h)
        iso3 = countries.get(k, "") if k else ""
        if not iso3 and len(k) >= 4:
            hit = process.extractOne(k, spellings, scorer=fuzz.ratio,
                                     score_cutoff=HINT_ACCEPT)
            iso3 = countries.iloc[hit[2]] if hit else ""
        out.append(iso3)
    return np.array([*out, ""], dtype=object)[codes]


def _names(gz: Gazetteer, res: _Result, rows: np.ndarray, keys: np.ndarray,
           hints: np.ndarray) -> None:
    """Code, exact name and other spellings, all in one lookup in the name index."""
    rows = rows[keys[rows] != ""]
    if not len(rows):
        return
    which, name_rows = gz.rows_named(keys[rows].tolist())
    if not len(which):
        return
    cand = gz.names.iloc[name_rows].reset_index(drop=True)
    cand.insert(0, "row", rows[which])
    cand["hint"] = hints[rows][which]
    ordered = order_candidates(cand, cand["row"].to_numpy(), cand["hint"])
    best = ordered.drop_duplicates("row")
    match = best["name_kind"].map(_MATCH_OF_NAME).to_numpy(object)
    res.fill_targets(gz, best["row"].to_numpy(), best["target"].to_numpy(object), match, 100.0)
    _doubt_namesakes(gz, res, ordered, best)


def _doubt_namesakes(gz: Gazetteer, res: _Result, ordered: pd.DataFrame,
                     best: pd.DataFrame) -> None:
    """A city name with no country beside it that is also the name of a big city in
    another country ("Hyderabad": India 6.8 million, Pakistan 1.7 million) is drawn as
    the larger, but marked a guess for review, the other named as ``suggestion``: in a
    file about Pakistan the silent answer India was wrong (DESIGN §4, low confidence
    is never a silent answer)."""
    lead = best[(best["place_kind"] == "city").to_numpy() & (best["hint"] == "").to_numpy()]
    if lead.empty:
        return
    first = lead.set_index("row")
    rivals = ordered[ordered["row"].isin(first.index) & (ordered["place_kind"] == "city")
                     & (ordered["name_kind"] == "name")]
    top = first.loc[rivals["row"]]
    big = (rivals["iso3"].to_numpy(object) != top["iso3"].to_numpy(object)) & (
        rivals["population"].to_numpy(float) >= np.maximum(
            NAMESAKE_MIN_POPULATION, NAMESAKE_SHARE * top["population"].to_numpy(float)))
    rival = rivals[big].drop_duplicates("row")
    if rival.empty:
        return
    rows = rival["row"].to_numpy()
    res.match[rows] = "fuzzy"
    p = gz.places.loc[rival["target"].to_numpy(object)]
    res.suggestion[rows] = [place_label(n, "city", i)
                            for n, i in zip(p["name"], p["iso3"], strict=True)]


def _split_country_in_text(gz: Gazetteer, res: _Result, text: list[str], keys: np.ndarray,
                           hints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """"Karachi, Pakistan" / "Hyderabad (India)": the country becomes the hint and the
    rest is looked up again. Returns the keys and hints the fuzzy stage should use."""
    hints = hints.copy()
    changed = []
    for i in np.flatnonzero(res.todo):
        t = text[i]
        m = _IN_PARENS.match(t)
        head, tail = (m.group(1), m.group(2)) if m else (t.rpartition(",")[::2])
        if not head.strip() or not tail.strip():
            continue
        iso3 = gz.country_iso3(tail)
        if iso3:
            keys[i], hints[i] = normalise(head), iso3
            changed.append(i)
    if changed:
        _names(gz, res, np.array(changed), keys, hints)
    return keys, hints


def _fuzzy(gz: Gazetteer, res: _Result, keys: np.ndarray, hints: np.ndarray,
           report: Callable[[float], None]) -> None:
    rows = np.flatnonzero(res.todo & (np.array([len(k) for k in keys]) >= 3))
    if not len(rows):
        return
    base = gz.fuzzy_choices
    done = 0
    for hint, group in pd.Series(rows).groupby(hints[rows], sort=False):
        g_rows = group.to_numpy()
        choices = base
        if hint:
            choices = pd.concat([gz.city_choices(hint), base], ignore_index=True)
        choice_keys = choices["key"].tolist()
        # Ties go to a city of the hinted country, then a country, a region, a city.
        bonus = ((3 - choices["place_rank"].to_numpy()) * 0.01
                 + ((choices["place_kind"] == "city") & (choices["iso3"] == hint)).to_numpy()
                 * 0.05).astype(np.float32)
        targets = choices["target"].to_numpy(object)
        for start in range(0, len(g_rows), _CHUNK):
            chunk = g_rows[start:start + _CHUNK]
            scores = process.cdist(keys[chunk].tolist(), choice_keys, scorer=fuzz.ratio,
                                   score_cutoff=FUZZY_SUGGEST, dtype=np.float32, workers=-1)
            ranked = np.where(scores > 0, scores + bonus, 0)
            best = ranked.argmax(axis=1)
            best_score = scores[np.arange(len(chunk)), best]
            accept = best_score >= FUZZY_ACCEPT
            if accept.any():
                res.fill_targets(gz, chunk[accept], targets[best[accept]], "fuzzy",
                                 best_score[accept])
            suggest = ~accept & (best_score > 0)
            if suggest.any():
                s_rows = chunk[suggest]
                res.suggestion[s_rows] = gz.places.loc[targets[best[suggest]], "name"].to_numpy(
                    object)
                res.score[s_rows] = best_score[suggest]
            done += len(chunk)
            report(done / len(rows))
