"""Small inline datasets and country shapes for the map tests (no files, no network)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from loaders.model import ROLE_DTYPE, Dataset, DatasetMeta
from loaders.report import LoadReport

# key, name, kind, iso3, lat, lon
PLACES = [
    ("city:1", "Karachi", "city", "PAK", 24.86, 67.01),
    ("city:2", "Lahore", "city", "PAK", 31.55, 74.34),
    ("country:BGD", "Bangladesh", "country", "BGD", 23.7, 90.4),
    ("city:3", "Kuala Lumpur", "city", "MYS", 3.14, 101.69),
    ("country:ARE", "United Arab Emirates", "country", "ARE", 24.4, 54.4),
    ("unresolved:atlantis", "Atlantis", "", "", float("nan"), float("nan")),
    ("city:4", "Manila", "city", "PHL", 14.6, 120.98),
    ("city:5", "Lima", "city", "PER", -12.05, -77.04),
]


def make_places(rows: list[tuple] = PLACES) -> pd.DataFrame:
    """A places table in the model's shape from (key, name, kind, iso3, lat, lon) rows."""
    df = pd.DataFrame(rows, columns=["key", "name", "kind", "iso3", "lat", "lon"])
    df.insert(0, "place_id", range(len(df)))
    df["query"] = df["name"]
    df["country_hint"] = ""
    df["match"] = ["exact" if k[0] != "u" else "unresolved" for k in df["key"]]
    df["score"] = 100.0
    df["suggestion"] = ""
    df["members"] = ""
    df["place_id"] = df["place_id"].astype("int32")
    return df


def make_dataset(
    routes: list[tuple[list[int], int | None, int | None]],
    places: pd.DataFrame | None = None,
    attrs: dict[str, list[str]] | None = None,
    *,
    synthetic: bool = False,
    name: str = "test data",
) -> Dataset:
    """A Dataset from routes given as ([place ids origin..destination], count, year).

    The first stop is the origin, the last the destination, the rest transits; a route of
    one stop is an origin only.
    """
    places = make_places() if places is None else places
    recs, stops = [], []
    for rid, (route, count, year) in enumerate(routes):
        recs.append({"record_id": rid, "count": count, "year": year, "line": rid + 2})
        for seq, pid in enumerate(route):
            if seq == 0:
                role = "origin"
            elif seq == len(route) - 1:
                role = "destination"
            else:
                role = "transit"
            stops.append({"record_id": rid, "seq": seq, "role": role, "place_id": pid})
    records = pd.DataFrame(recs)
    records["count"] = records["count"].astype("Int64")
    records["year"] = records["year"].astype("Int64")
    for col, values in (attrs or {}).items():
        records[col] = pd.Series(values, dtype="str")
    st = pd.DataFrame(stops)
    st["seq"] = st["seq"].astype("int16")
    st["role"] = st["role"].astype(ROLE_DTYPE)
    st["place_id"] = st["place_id"].astype("int32")
    report = LoadReport(layout="routes", rows_read=len(records), rows_kept=len(records))
    meta = DatasetMeta(name=name, source="unit test", synthetic=synthetic)
    return Dataset(records=records, stops=st, places=places, report=report, meta=meta)


def make_countries() -> gpd.GeoDataFrame:
    """Tiny square 'countries' around the test places, in the gazetteer's shape."""
    rows = [
        ("PAK", "Pakistan", "Asia", "Southern Asia", 30.0, 70.0, box(61, 24, 77, 37)),
        ("BGD", "Bangladesh", "Asia", "Southern Asia", 23.7, 90.4, box(88, 21, 92, 26)),
        ("MYS", "Malaysia", "Asia", "South-eastern Asia", 3.5, 102.0, box(100, 1, 104, 7)),
        ("ARE", "United Arab Emirates", "Asia", "Western Asia", 24.0, 54.0, box(51, 22, 56, 26)),
        ("PHL", "Philippines", "Asia", "South-eastern Asia", 13.0, 122.0, box(117, 5, 127, 19)),
        ("PER", "Peru", "Americas", "South America", -9.0, -75.0, box(-81, -18, -69, 0)),
    ]
    cols = ["iso3", "name", "region", "subregion", "label_lat", "label_lon", "geometry"]
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=cols), geometry="geometry", crs="EPSG:4326")
