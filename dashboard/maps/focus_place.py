"""The place a map focuses on, from what a person types.

The dashboard offers focus places in a picker. The command line takes text, and a
place key ("city:1172451") is not something a person can guess, so ``routemap map
--focus`` also reads a place's name as the file or the gazetteer writes it, a country's
name or code, and a region's name. A name that fits several places is refused with
their keys, and one that fits none with the nearest names: a typo must not quietly
draw an empty map.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dashboard.maps.flows import QueryError, default_countries
from loaders.gazetteer import Gazetteer, from_gazetteer
from loaders.normalize import normalise

if TYPE_CHECKING:
    from loaders.model import Dataset

NEAR_SCORE = 80  # rapidfuzz WRatio at or above which a name is offered as "did you mean"


def focus_candidates(dataset: Dataset, countries: pd.DataFrame | None = None
                     ) -> pd.DataFrame:
    """Every (spelling, key, label) a focus may be given as: the dataset's places by
    name and as written, the countries they are in by name and code, and those
    countries' regions. ``spelling`` is normalised; a key may have many spellings."""
    p = dataset.places

    def col(name: str) -> np.ndarray:
        return p[name].astype(str).to_numpy() if name in p else np.full(len(p), "")

    key, name, query, kind, iso3 = (col(c) for c in ("key", "name", "query", "kind", "iso3"))
    iso3 = np.where(np.isin(iso3, ["", "nan", "None", "<NA>"]), "", iso3)
    label = [f"{n or q} ({k}{', ' + i if i and k != 'country' else ''})"
             for n, q, k, i in zip(name, query, kind, iso3, strict=True)]
    rows = [(s, k, lab) for k, lab, n, q in zip(key, label, name, query, strict=True)
            for s in {n, q} if s]

    present = sorted(set(iso3) - {""})
    if countries is None:
        countries = default_countries()
    info = (pd.DataFrame(countries).set_index("iso3")
            if countries is not None and len(countries) else pd.DataFrame())
    spellings = _country_spellings()
    for code in present:
        cname = str(info["name"].get(code, code)) if "name" in info else code
        rows += [(code, f"country:{code}", f"{cname} (country)"),
                 (cname, f"country:{code}", f"{cname} (country)")]
        rows += [(s, f"country:{code}", f"{cname} (country)") for s in spellings.get(code, [])]
        region = str(info["subregion"].get(code, "")) if "subregion" in info else ""
        if region and region != "nan":
            rows.append((region, f"region:{region}", f"{region} (region)"))
    rows += _field_regions(set(present))
    out = pd.DataFrame(rows, columns=["spelling", "key", "label"])
    out["spelling"] = [normalise(s) for s in out["spelling"]]
    out = out[out["spelling"] != ""].drop_duplicates(ignore_index=True)
    # the gazetteer holds the UN subregions too: "Southern Asia" is one region, not two
    region = out["key"].str.startswith("region:")
    twice = region & out.assign(region=region).duplicated(["spelling", "region"])
    return out[~twice].reset_index(drop=True)


def resolve_focus(dataset: Dataset, text: str, countries: pd.DataFrame | None = None) -> str:
    """The place key ``text`` names in ``dataset``; QueryError (one line) if it names
    none or several.

    A key is taken as it is. A name that fits a country and places inside it means the
    country (focusing on a country includes its places).
    """
    text = (text or "").strip()
    cand = focus_candidates(dataset, countries)
    keys = set(cand["key"])
    exact = [k for k in keys if k.casefold() == text.casefold()]
    if exact:
        return exact[0]
    hits = cand[cand["spelling"] == normalise(text)].drop_duplicates("key")
    if len(hits) > 1:
        countries_hit = [k for k in hits["key"] if k.startswith("country:")]
        inside = _country_of(dataset, hits["key"])
        if len(countries_hit) == 1 and set(inside) <= {countries_hit[0][len("country:"):], ""}:
            return countries_hit[0]
        listed = "; ".join(f"{lab} = {k}" for k, lab in zip(hits["key"], hits["label"],
                                                            strict=True))
        raise QueryError(f"focus {text!r} names {len(hits)} places in this dataset: {listed}. "
                         "Give the one you mean by its key")
    if len(hits) == 1:
        return str(hits["key"].iloc[0])
    raise QueryError(f"no place {text!r} in this dataset to focus on{_nearest(cand, text)}")


def _country_of(dataset: Dataset, keys: pd.Series) -> list[str]:
    """ISO3 of each key's country ("" for a region or a place without one)."""
    p = dataset.places
    iso = dict(zip(p["key"].astype(str), p["iso3"].astype(str), strict=True)) if "iso3" in p \
        else {}
    return [k[len("country:"):] if k.startswith("country:") else
            ("" if k.startswith("region:") else iso.get(k, "")) for k in keys]


def _field_regions(present: set[str]) -> list[tuple[str, str, str]]:
    """(spelling, key, label) of the gazetteer's regions that hold a country of the
    dataset: the Gulf, the Middle East, South Asia, as people who work on routes name
    them (DESIGN §4); the UN's subregions alone refused "Gulf" and "Middle East".
    Without the gazetteer, the UN subregions still work."""
    return from_gazetteer(lambda g: _regions_holding(g, present), [])


def _regions_holding(gazetteer: Gazetteer, present: set[str]) -> list[tuple[str, str, str]]:
    names = gazetteer.names
    regions = names[names["place_kind"] == "region"]
    rows = []
    # the UN subregions are offered already (by the subregion of each country), and the
    # world narrows nothing
    for code in gazetteer.region_codes("custom"):
        target = f"region:{code}"
        if code == "WORLD" or not present & set(gazetteer.region(code)):
            continue
        label = f"{gazetteer.places.loc[target, 'name']} (region)"
        rows += [(str(spelling), target, label)
                 for spelling in regions.loc[regions["target"] == target, "key"]]
    return rows


def _country_spellings() -> dict[str, list[str]]:
    """ISO3 -> every spelling and code the gazetteer knows for the country (none without
    the gazetteer: names and ISO3 codes are left to match), grouped once rather than
    searched once per country."""
    spellings = from_gazetteer(lambda g: g.country_keys, pd.Series(dtype=object))
    grouped: dict[str, list[str]] = {}
    for spelling, iso3 in zip(spellings.index, spellings.to_numpy(), strict=True):
        grouped.setdefault(str(iso3), []).append(spelling)
    return grouped


def place_name(key: str, *tables: pd.DataFrame | None) -> str:
    """The name of place ``key``: from the first of ``tables`` (key, name) that has it,
    else the gazetteer, else the key's own words. A focus on a country or region the file
    does not name ("country:PAK", "region:GCC") showed its key on maps and file names."""
    for table in tables:
        if table is not None and "key" in table:
            named = table.loc[table["key"].astype(str) == key, "name"]
            if len(named) and str(named.iloc[0]):
                return str(named.iloc[0])
    found = from_gazetteer(lambda g: g.resolve_key(key), None)
    return str(found["name"]) if found else key.split(":", 1)[-1]


def _nearest(cand: pd.DataFrame, text: str) -> str:
    """"; did you mean ...?" with up to three names near ``text``, else examples."""
    from rapidfuzz import fuzz, process

    # codes ("th", "la") are left out: a partial match of two letters means nothing
    names = cand[cand["spelling"].str.len() >= 4].drop_duplicates("spelling")
    found = process.extract(normalise(text), names["spelling"].tolist(), scorer=fuzz.WRatio,
                            limit=10, score_cutoff=NEAR_SCORE)
    labels: list[str] = []
    for _, _, i in found:
        entry = f"{names['label'].iloc[i]} = {names['key'].iloc[i]}"
        if entry not in labels:
            labels.append(entry)
    if labels:
        return "; did you mean " + " or ".join(labels[:3]) + "?"
    examples = [cand.loc[cand["key"].str.startswith(kind), "label"].iloc[0]
                for kind in ("city:", "country:", "region:")
                if cand["key"].str.startswith(kind).any()]
    return ("; give a place, country or region the file names"
            + (f" (e.g. {', '.join(examples)})" if examples else "") + " or a place key")
