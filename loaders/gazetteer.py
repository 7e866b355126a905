"""The offline gazetteer: countries, regions and cities with their names in many spellings.

Loaded once per process from the files in ``geodata/`` (built by
``geodata/build/build_gazetteer.py``; sources and licences in ``geodata/SOURCES.md``).
Every place has a canonical key: ``country:PAK``, ``region:GCC``, ``city:1174872``.
Names are looked up by their normalised key (:func:`loaders.normalize.normalise`).
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from rapidfuzz import fuzz, process

from geodata import data_path

if TYPE_CHECKING:
    from collections.abc import Sequence

    # geopandas and shapely cost ~0.1 s to import: only maps need them
    import geopandas as gpd
    import shapely
from loaders.normalize import normalise

PLACE_KINDS = ("country", "region", "city")  # a country name beats a region, a region a city
NAME_KINDS = ("code", "name", "alt", "translation")
# Cities offered to fuzzy matching when no country narrows the search: large ones only,
# so a misspelt country is not "corrected" to a village of the same length.
FUZZY_CITY_POPULATION = 100_000
FUZZY_CITY_ALT_POPULATION = 2_000_000  # and their other spellings above this size
CITY_NAME_WEIGHT = 1.5  # log10 bonus of a city's primary name over another's variant
CITY_COLUMNS = ["geonameid", "name", "iso3", "lat", "lon", "population", "admin1"]

T = TypeVar("T")
_lock = threading.Lock()
_cached: Gazetteer | None = None
_preloaded = threading.Event()  # a preload has ended


def _read(name: str, columns: list[str] | None = None) -> pa.Table:
    t = pq.read_table(data_path(name), columns=columns)
    schema = pa.schema([f.with_type(pa.string()) if f.type == pa.large_string() else f
                        for f in t.schema])
    return t.cast(schema)


class Gazetteer:
    """Countries, regions and cities, with a name index for the geocoder and the review UI.

    Use :func:`get_gazetteer` rather than building one: the files are read once.
    """

    def __init__(self) -> None:
        c = _read("countries.parquet").to_pandas()
        self._countries = c.set_index("iso3", drop=False)
        # not "alternatenames", the largest column: city_names.parquet has them as keys
        cities = _read("cities.parquet", CITY_COLUMNS).to_pandas()
        self._cities = cities.set_index("geonameid", drop=False)
        self._regions: dict[str, dict[str, Any]] = json.loads(
            data_path("regions.json").read_text("utf-8")
        )
        self.names = self._build_names(_read("country_names.parquet"), _read("city_names.parquet"))
        self.places = self._build_places()
        self._city_choices: dict[str, pd.DataFrame] = {}

    # ---- building the indexes -------------------------------------------------------

    def _build_names(self, country_names: pa.Table, city_names: pa.Table) -> pd.DataFrame:
        """One table of every name: key, target, place_kind, name_kind, iso3, population,
        place_rank, name_rank. Built in pyarrow: this is most of the load time."""
        region_rows = []
        for code, spec in self._regions.items():
            region_rows.append((normalise(spec["name"]), code, "name"))
            region_rows.extend((normalise(a), code, "alt") for a in spec["alt"])
        regions = pd.DataFrame(region_rows, columns=["key", "code", "name_kind"])
        regions = regions.drop_duplicates("key")  # a region's own name before others' alts
        cities = self._cities
        pos = pa.array(cities.index.get_indexer(city_names["geonameid"].to_numpy()))
        n_c, n_r, n_ci = country_names.num_rows, len(regions), city_names.num_rows
        parts = [
            pa.table({
                "key": country_names["key"],
                "target": pc.binary_join_element_wise("country:", country_names["iso3"], ""),
                "place_kind": pa.array(np.zeros(n_c, np.int8)),
                "name_kind": country_names["kind"],
                "iso3": country_names["iso3"],
                "population": pa.array(np.zeros(n_c, np.int64)),
            }),
            pa.table({
                "key": pa.array(regions["key"].tolist(), pa.string()),
                "target": pa.array(["region:" + c for c in regions["code"]], pa.string()),
                "place_kind": pa.array(np.ones(n_r, np.int8)),
                "name_kind": pa.array(regions["name_kind"].tolist(), pa.string()),
                "iso3": pa.array([""] * n_r, pa.string()),
                "population": pa.array(np.zeros(n_r, np.int64)),
            }),
            pa.table({
                "key": city_names["key"],
                "target": pc.binary_join_element_wise(
                    "city:", pc.cast(city_names["geonameid"], pa.string()), ""),
                "place_kind": pa.array(np.full(n_ci, 2, np.int8)),
                "name_kind": city_names["kind"],
                "iso3": pc.take(pa.array(cities["iso3"].to_numpy(object), pa.string()), pos),
                "population": pc.take(pa.array(cities["population"].to_numpy(np.int64)), pos),
            }),
        ]
        t = pa.concat_tables([p.cast(parts[0].schema) for p in parts])
        t = t.append_column("name_rank", pc.index_in(t["name_kind"], pa.array(NAME_KINDS)))
        names = t.to_pandas()
        names["place_rank"] = names["place_kind"]
        names["place_kind"] = np.asarray(PLACE_KINDS, dtype=object)[names["place_kind"]]
        return names

    def _build_places(self) -> pd.DataFrame:
        """Every place by target key: name, kind, iso3, lat, lon, members."""
        c, ci = self._countries, self._cities
        regions = self._regions
        frames = [
            pd.DataFrame({
                "target": ("country:" + c["iso3"]).to_numpy(object),
                "name": c["name"].to_numpy(object), "kind": "country",
                "iso3": c["iso3"].to_numpy(object),
                "lat": c["label_lat"].to_numpy(float), "lon": c["label_lon"].to_numpy(float),
                "members": "",
            }),
            pd.DataFrame({
                "target": [f"region:{k}" for k in regions],
                "name": [r["name"] for r in regions.values()], "kind": "region", "iso3": "",
                "lat": [r["lat"] for r in regions.values()],
                "lon": [r["lon"] for r in regions.values()],
                "members": [" ".join(r["members"]) for r in regions.values()],
            }),
            pd.DataFrame({
                "target": ("city:" + ci["geonameid"].astype(str)).to_numpy(object),
                "name": ci["name"].to_numpy(object), "kind": "city",
                "iso3": ci["iso3"].to_numpy(object),
                "lat": ci["lat"].to_numpy(float), "lon": ci["lon"].to_numpy(float),
                "members": "",
            }),
        ]
        return pd.concat(frames, ignore_index=True).set_index("target")

    @cached_property
    def fuzzy_choices(self) -> pd.DataFrame:
        """Names offered to fuzzy matching without a country hint: every country and region
        name (no codes), and the names of cities above FUZZY_CITY_POPULATION. One row per
        key, holding the place that key means on its own (see :meth:`best_per_key`)."""
        n = self.names
        keep = (n["place_kind"] != "city") | (n["population"] >= FUZZY_CITY_ALT_POPULATION)
        keep |= (n["name_kind"] == "name") & (n["population"] >= FUZZY_CITY_POPULATION)
        keep &= (n["name_kind"] != "code") & (n["key"].str.len() >= 3)
        return best_per_key(n[keep])

    def city_choices(self, iso3: str) -> pd.DataFrame:
        """The cities of one country, one row per key (see :func:`best_per_key`): the
        candidates a country hint adds to fuzzy matching. Computed once per country."""
        choices = self._city_choices.get(iso3)
        if choices is None:
            n = self.names
            choices = best_per_key(n[(n["place_kind"] == "city") & (n["iso3"] == iso3)], iso3)
            self._city_choices[iso3] = choices
        return choices

    @cached_property
    def _rows_by_key(self) -> tuple[pa.Array, np.ndarray, np.ndarray]:
        """The distinct keys, the name rows grouped by key, and where each group starts.

        Built in Arrow (hashing 260,000 keys without holding the interpreter's lock).
        """
        keys = pa.array(self.names["key"].array, pa.string())
        keys = keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys
        encoded = pc.dictionary_encode(keys)
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        rows = np.argsort(codes, kind="stable")  # within a key, rows keep their order
        counts = np.bincount(codes, minlength=len(encoded.dictionary))
        return encoded.dictionary, rows, np.concatenate([[0], np.cumsum(counts)])

    def rows_named(self, keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Every name row whose key is one of ``keys``: (position in ``keys``, row of
        :attr:`names`), in the order of ``keys`` and, within one key, of the names."""
        distinct, rows, starts = self._rows_by_key
        asked, wanted = pd.factorize(np.asarray(keys, dtype=object))
        # hash the few keys asked for and scan the index, not the other way round
        at = pc.index_in(distinct, value_set=pa.array(wanted, pa.string()))
        at = at.to_numpy(zero_copy_only=False).astype(float)  # NaN: not asked for
        known = np.flatnonzero(~np.isnan(at))
        group_of = np.full(len(wanted), -1, np.int64)
        group_of[at[known].astype(np.int64)] = known
        code = group_of[asked] if len(asked) else np.zeros(0, np.int64)
        hit = np.flatnonzero(code >= 0)
        group = code[hit]
        lo, hi = starts[group], starts[group + 1]
        which = np.repeat(hit, hi - lo)
        offset = np.arange(len(which)) - np.repeat(np.cumsum(hi - lo) - (hi - lo), hi - lo)
        return which, rows[np.repeat(lo, hi - lo) + offset]

    def warm(self) -> Gazetteer:
        """Build the lookups geocoding uses, so a load can have them built on another
        thread while its file is laid out."""
        _ = self._rows_by_key, self.fuzzy_choices, self.country_keys
        return self

    @cached_property
    def country_keys(self) -> pd.Series:
        """Normalised key -> ISO3 for every country spelling and code (keys are unique)."""
        n = self.names
        c = n[n["place_kind"] == "country"]
        return pd.Series(c["iso3"].to_numpy(object), index=c["key"].to_numpy(object))

    # ---- lookups ------------------------------------------------------------------------

    def lookup(self, key: str) -> pd.DataFrame:
        """Every name row whose normalised key equals ``key`` (already normalised)."""
        return self.names[self.names["key"] == key]

    def country(self, iso3: str) -> dict[str, Any] | None:
        """iso3, iso2, m49, name, official, region, subregion, lat, lon of one country."""
        iso3 = (iso3 or "").upper()
        if iso3 not in self._countries.index:
            return None
        r = self._countries.loc[iso3]
        return {
            "iso3": r["iso3"], "iso2": r["iso2"], "m49": r["m49"], "name": r["name"],
            "official": r["official"], "region": r["region"], "subregion": r["subregion"],
            "lat": float(r["label_lat"]), "lon": float(r["label_lon"]),
        }

    def country_iso3(self, text: str) -> str:
        """ISO3 of the country a hint names (code or any spelling), or "" if none."""
        return str(self.country_keys.get(normalise(text), "")) if text else ""

    def found_elsewhere(self, hint: str, iso3: str) -> bool:
        """Whether a place found in ``iso3`` is not in the country ``hint`` names (Karachi
        next to "India"): drawn as found, but a guess to review."""
        written = self.country_iso3(hint)
        return bool(written and iso3 and written != iso3)

    def region(self, code: str) -> list[str]:
        """Member ISO3 codes of a region ("GCC", "MIDDLE_EAST", or "region:GCC")."""
        code = code.removeprefix("region:").upper()
        spec = self._regions.get(code)
        return list(spec["members"]) if spec else []

    def region_codes(self, kind: str) -> list[str]:
        """Codes of the regions of ``kind``: "un_subregion", or "custom" (the Gulf,
        South Asia, the European Union, the world...)."""
        return [code for code, spec in self._regions.items() if spec["kind"] == kind]

    def resolve_key(self, key: str) -> dict[str, Any] | None:
        """name, kind, iso3, lat, lon, members of a canonical key, or None if unknown."""
        if key not in self.places.index:
            return None
        r = self.places.loc[key]
        return {"key": key, "name": r["name"], "kind": r["kind"], "iso3": r["iso3"],
                "lat": float(r["lat"]), "lon": float(r["lon"]), "members": r["members"]}

    def country_table(self) -> pd.DataFrame:
        """iso3, name, region, subregion, label_lat, label_lon of every country, shapes
        or not: naming and placing country nodes needs no polygons (0.1 s to build)."""
        cols = ["iso3", "name", "region", "subregion", "label_lat", "label_lon"]
        return self._countries[cols].reset_index(drop=True)

    def countries(self) -> gpd.GeoDataFrame:
        """Country polygons for maps: iso3, name, region, subregion, label_lat, label_lon,
        geometry (EPSG:4326). Territories too small for the 1:50m map are left out."""
        import geopandas as gpd
        import shapely

        c = self._countries
        c = c[c["geometry"].notna()]
        return gpd.GeoDataFrame(
            {col: c[col].to_numpy() for col in
             ("iso3", "name", "region", "subregion", "label_lat", "label_lon")},
            geometry=shapely.from_wkb(c["geometry"].to_numpy()),
            crs="EPSG:4326",
        )

    @cached_property
    def _country_tree(self) -> tuple[shapely.STRtree, np.ndarray]:
        import shapely

        g = self.countries()
        return shapely.STRtree(g.geometry.to_numpy()), g["iso3"].to_numpy(object)

    def iso3_at(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """ISO3 of the country containing each point ("" at sea or unknown)."""
        import shapely

        tree, iso3 = self._country_tree
        out = np.full(len(lat), "", dtype=object)
        pts = shapely.points(np.asarray(lon, float), np.asarray(lat, float))
        pt_idx, poly_idx = tree.query(pts, predicate="within")
        out[pt_idx] = iso3[poly_idx]
        return out

    def search(self, text: str, limit: int = 10, country: str | None = None) -> pd.DataFrame:
        """Candidate places for a text, best first, for the review UI.

        Columns: name, kind, iso3, lat, lon, key, score (0-100). ``country`` (any spelling
        or code) adds all of that country's cities to the candidates and ranks them first.
        """
        cols = ["name", "kind", "iso3", "lat", "lon", "key", "score"]
        key = normalise(text)
        if not key:
            return pd.DataFrame(columns=cols)
        iso3 = self.country_iso3(country) if country else ""
        choices = self.fuzzy_choices
        if iso3:
            choices = pd.concat([self.city_choices(iso3), choices], ignore_index=True)
        hits = process.extract(key, choices["key"].tolist(), scorer=fuzz.ratio,
                               limit=limit * 4, score_cutoff=50)
        # every place of each name matched, the text's own name too, in one pass over
        # the names: "Hyderbad" finds Pakistan's Hyderabad as well as India's (the
        # choices hold one place per name)
        matched = [name for name, _, _ in hits]
        same_name = self.names[self.names["key"].isin([key, *matched])].groupby("key")["target"]
        namesakes = {k: list(v) for k, v in same_name}
        rows = [(t, 100.0) for t in namesakes.get(key, [])]
        for name, score, i in hits:
            for target in [choices["target"].iat[i], *namesakes.get(name, [])]:
                rows.append((target, float(score)))
        if not rows:
            return pd.DataFrame(columns=cols)
        df = pd.DataFrame(rows, columns=["key", "score"])
        df = df.sort_values("score", ascending=False, kind="stable").drop_duplicates("key")
        df = df.join(self.places, on="key")
        if iso3:
            df["_local"] = df["iso3"] == iso3
            df = df.sort_values(["score", "_local"], ascending=False, kind="stable")
        df["score"] = df["score"].round(1)
        return df[cols].head(limit).reset_index(drop=True)


def order_candidates(cand: pd.DataFrame, group: np.ndarray,
                     hint: pd.Series | str = "") -> pd.DataFrame:
    """Sort name rows by ``group`` (one per key or per query), and within a group so the
    place a name means comes first.

    Order: a code; a city of the hinted country; a country; a region; a city. Among
    cities, size decides, a primary name counting as CITY_NAME_WEIGHT times the
    population (Islamabad before Chattogram, once called Islamabad; Kolkata before a
    village named Calcutta). Among countries and regions, an official name first.
    """
    is_city = (cand["place_kind"] == "city").to_numpy()
    hint_arr = hint.to_numpy(object) if isinstance(hint, pd.Series) else hint
    local = is_city & (cand["iso3"].to_numpy(object) == hint_arr) & (hint_arr != "")
    size = np.log10(cand["population"].to_numpy(float) + 1.0)
    size += np.where(cand["name_kind"].to_numpy(object) == "name", CITY_NAME_WEIGHT, 0.0)
    order = np.lexsort((
        cand["name_rank"].to_numpy(),
        -np.where(is_city, size, 0.0),
        cand["place_rank"].to_numpy(),
        ~local,
        (cand["name_kind"] != "code").to_numpy(),
        group,
    ))
    return cand.iloc[order]


def best_per_key(names: pd.DataFrame, hint_iso3: str = "") -> pd.DataFrame:
    """Keep one row per key: the place a name means when written alone (or beside
    ``hint_iso3``); see :func:`order_candidates`."""
    # the keys' ranks in sorted order, hashed: np.unique sorted them as fixed-width
    # unicode (12-130 ms for the 22,000 fuzzy names against 4 ms)
    group, _ = pd.factorize(names["key"].to_numpy(object), sort=True)
    return order_candidates(names, group, hint_iso3).drop_duplicates("key").reset_index(drop=True)


def preload_gazetteer() -> threading.Thread:
    """Start loading the gazetteer and its lookups on another thread; join it before
    geocoding. A load runs this while its file is read and laid out, on the other core."""
    def load() -> None:
        try:
            get_gazetteer().warm()
        finally:
            _preloaded.set()

    thread = threading.Thread(target=load, name="routemap-gazetteer", daemon=True)
    thread.start()
    return thread


def wait_for_preload(timeout: float) -> bool:
    """Wait until a preload (:func:`preload_gazetteer`) has ended, or ``timeout`` seconds
    have passed; True when one has ended. Work meant for the core a preload keeps busy
    waits here for it."""
    return _preloaded.wait(timeout)


def place_label(name: str, kind: str = "", iso3: str = "") -> str:
    """"Karachi (city, PAK)": a gazetteer place as a person tells it from its namesakes."""
    where = ", ".join(str(v) for v in (kind, iso3) if str(v or ""))
    return f"{name} ({where})" if where else str(name)


def from_gazetteer(use: Callable[[Gazetteer], T], fallback: T) -> T:
    """``use(gazetteer)``, or ``fallback`` where the gazetteer's files are missing or
    broken: maps and names go on without it (country codes for names, no shapes)."""
    try:
        return use(get_gazetteer())
    except Exception:  # a missing or broken data file must not stop a map from drawing
        return fallback


def get_gazetteer() -> Gazetteer:
    """The process-wide gazetteer, loaded on first use (thread-safe)."""
    global _cached
    if _cached is None:
        with _lock:
            if _cached is None:
                _cached = Gazetteer()
    return _cached


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km (for tests and sanity checks)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 12742.0 * math.asin(math.sqrt(a))
