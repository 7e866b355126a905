"""Hotspots: a country choropleth for one role, hexagon bins for city-level places, and the
ranked table behind them (DESIGN §5 "Hotspots").

Data first (``compute_hotspots`` -> ``HotspotResult`` of GeoDataFrames and a table), drawing
later (``hotspot_map``). Classes come from mapclassify (Fisher-Jenks by default) and a
viridis palette (colour-blind safe, readable in greyscale). Density is drawn as plain
GeoJSON hexagons, so no heat-map plugin (and no CDN) is needed; cells below the
suppression threshold are withheld like any other small count.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from dashboard.maps.escape import TOOLTIP_JS
from dashboard.maps.fisher_jenks import fisher_jenks_bins
from dashboard.maps.flow_map import (
    FitView,
    MapOptions,
    PlaceLabels,
    caveat_for,
    data_bounds,
)
from dashboard.maps.flows import FlowQuery, FlowResult, QueryError, compute_flows
from dashboard.maps.legend import Caveat, LegendSpec, MapLegend
from dashboard.maps.mercator import EARTH_RADIUS_M, project, unproject
from dashboard.maps.offline import countries_geojson, default_countries
from dashboard.maps.suppression import total_or_withheld, withheld_line
from dashboard.maps.wording import counted
from loaders.model import Dataset

HOTSPOT_ROLES = {"origin": "out", "transit": "through", "destination": "in", "all": "total"}
ROLE_WORDS = {"origin": "as origin", "transit": "in transit", "destination": "as destination",
              "all": "in all roles"}
VIRIDIS = {
    1: ["#21918c"],
    2: ["#5ec962", "#3b528b"],
    3: ["#fde725", "#21918c", "#440154"],
    4: ["#fde725", "#35b779", "#31688e", "#440154"],
    5: ["#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"],
    6: ["#fde725", "#7ad151", "#22a884", "#2a788e", "#414487", "#440154"],
    7: ["#fde725", "#8fd744", "#35b779", "#21918c", "#31688e", "#443983", "#440154"],
}
WITHHELD_COLOUR = "#bdbdbd"
SCHEMES = ("fisher_jenks", "quantiles", "equal_interval")


@dataclass(slots=True)
class HotspotResult:
    """Country values and classes, hexagon cells, and the ranked table."""

    role: str
    countries: gpd.GeoDataFrame  # iso3, name, value (Int64, <NA> withheld), cls, geometry
    cells: gpd.GeoDataFrame  # value, places, geometry (hexagons)
    table: pd.DataFrame  # rank, place, kind, iso3, value, records, years
    bins: list[float]
    flows: FlowResult  # the place-level result behind the table and cells
    country_flows: FlowResult
    notes: list[str] = field(default_factory=list)
    hex_km: float = 150.0


@dataclass(slots=True)
class HotspotOptions(MapOptions):
    """How to draw the hotspot map (``labels`` names the countries with the largest values)."""

    show_cells: bool = True


def classify(values: np.ndarray, k: int = 5, scheme: str = "fisher_jenks") -> tuple[np.ndarray,
                                                                                    list[float]]:
    """Class index (0..k-1) per value and the upper bounds; k shrinks to the distinct values.

    Natural breaks (the default) are mapclassify's, computed by :mod:`fisher_jenks`;
    mapclassify itself is imported only for the other schemes, as its import (scipy's
    statistics and scikit-learn's clustering) took 0.75 s of a hotspot map.
    """
    values = np.asarray(values, dtype="float64")
    if len(values) == 0:
        return np.zeros(0, dtype=int), []
    k = max(1, min(k, len(np.unique(values)), max(VIRIDIS)))
    if k == 1:
        return np.zeros(len(values), dtype=int), [float(values.max())]
    if scheme == "fisher_jenks":
        bins = fisher_jenks_bins(values, k)
        # class i holds bins[i-1] < value <= bins[i], as mapclassify's bin1d
        return np.searchsorted(bins, values, side="left"), [float(b) for b in bins]
    import mapclassify

    if scheme == "quantiles":
        c = mapclassify.Quantiles(values, k=k)
    else:
        c = mapclassify.EqualInterval(values, k=k)
    return np.asarray(c.yb, dtype=int), [float(b) for b in c.bins]


def _hex_cells(lon: np.ndarray, lat: np.ndarray, weight: np.ndarray, names: np.ndarray,
               size_km: float) -> gpd.GeoDataFrame:
    """Pointy-top hexagons of ``size_km`` radius in Web Mercator, summing ``weight``."""
    ux, uy = project(lon, lat)
    x, y = ux * EARTH_RADIUS_M, uy * EARTH_RADIUS_M
    s = size_km * 1000.0
    q = (np.sqrt(3) / 3 * x - y / 3) / s
    r = (2 / 3 * y) / s
    # cube rounding: the nearest hexagon centre
    cx, cz = q, r
    cy = -cx - cz
    rx, ry, rz = np.round(cx), np.round(cy), np.round(cz)
    dx, dy, dz = np.abs(rx - cx), np.abs(ry - cy), np.abs(rz - cz)
    fix_x = (dx > dy) & (dx > dz)
    fix_y = ~fix_x & (dy > dz)
    rx = np.where(fix_x, -ry - rz, rx)
    rz = np.where(~fix_x & ~fix_y, -rx - ry, rz)
    cell = pd.DataFrame({"q": rx.astype(np.int64), "r": rz.astype(np.int64), "w": weight,
                         "name": names})
    agg = cell.groupby(["q", "r"], sort=False).agg(
        value=("w", "sum"), places=("name", lambda v: list(v)))
    agg = agg.reset_index()
    hx = s * (np.sqrt(3) * agg["q"].to_numpy() + np.sqrt(3) / 2 * agg["r"].to_numpy())
    hy = s * 1.5 * agg["r"].to_numpy()
    ang = np.radians(60 * np.arange(6) - 30)
    px = hx[:, None] + s * np.cos(ang)[None, :]
    py = hy[:, None] + s * np.sin(ang)[None, :]
    plon, plat = unproject(px / EARTH_RADIUS_M, py / EARTH_RADIUS_M)
    # closed on the first corner itself: a seventh corner computed at 330 degrees can
    # differ from the one at -30 in the last bit, and shapely then adds an eighth point
    rings = np.stack([plon, plat], axis=-1)[:, [0, 1, 2, 3, 4, 5, 0]]
    polys = shapely.polygons(rings) if len(agg) else np.zeros(0, dtype=object)
    return gpd.GeoDataFrame(
        {"value": agg["value"].to_numpy(dtype=np.int64), "places": agg["places"].to_numpy()},
        geometry=gpd.GeoSeries(polys, crs="EPSG:4326"),
    )


def compute_hotspots(
    dataset: Dataset,
    query: FlowQuery | None = None,
    *,
    role: str = "destination",
    countries: gpd.GeoDataFrame | None = None,
    classes: int = 5,
    scheme: str = "fisher_jenks",
    hex_km: float = 150.0,
) -> HotspotResult:
    """Country values for ``role`` (origin/transit/destination/all), hexagons, ranked table."""
    if role not in HOTSPOT_ROLES:
        raise QueryError(f"unknown role {role!r}; use origin, transit, destination or all")
    if scheme not in SCHEMES:
        raise QueryError(f"unknown classification {scheme!r}; use one of {', '.join(SCHEMES)}")
    q = query or FlowQuery()
    if countries is None:
        countries = default_countries()
    col = HOTSPOT_ROLES[role]
    # only totals are needed, no arcs
    places_res = compute_flows(dataset, replace(q, top=0, level="place"), countries=countries)
    country_res = compute_flows(dataset, replace(q, top=0, level="country"), countries=countries)

    cp = country_res.places
    cp = cp[cp["key"].str.startswith("country:")]
    values = cp[col] if col != "total" else total_or_withheld(cp)
    vals = pd.DataFrame({"iso3": cp["iso3"].to_numpy(), "value": pd.array(values, dtype="Int64")})
    vals = vals[(vals["value"].fillna(1) > 0)]
    if countries is not None and len(countries):
        shapes = countries[["iso3", "name", "geometry"]]
        cgdf = shapes.merge(vals, on="iso3", how="inner")
    else:
        cgdf = gpd.GeoDataFrame(vals.assign(name=vals["iso3"]), geometry=gpd.GeoSeries(
            [None] * len(vals), crs="EPSG:4326"))
    known = cgdf["value"].notna().to_numpy()
    cls = np.full(len(cgdf), -1)
    yb, bins = classify(cgdf["value"].to_numpy(dtype="float64", na_value=np.nan)[known],
                        classes, scheme)
    cls[known] = yb
    cgdf = cgdf.assign(cls=cls)

    pl = places_res.places
    v = pl[col] if col != "total" else total_or_withheld(pl)
    table = pd.DataFrame({
        "place": pl["name"].to_numpy(), "kind": pl["kind"].to_numpy(),
        "iso3": pl["iso3"].to_numpy(), "value": pd.array(v, dtype="Int64"),
        "records": pl["records"].to_numpy(), "year_min": pl["year_min"].to_numpy(),
        "year_max": pl["year_max"].to_numpy(), "key": pl["key"].to_numpy(),
    })
    table = table[table["value"].fillna(1) > 0]
    # a withheld value's place keeps its years to itself (they would date its few cases)
    table.loc[table["value"].isna(), ["year_min", "year_max"]] = np.nan
    table = table.sort_values("value", ascending=False, na_position="last", kind="stable")
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    table = table.reset_index(drop=True)

    city = pl[pl["kind"].isin(["city", "coordinates", "admin"]) & pl.geometry.notna()]
    w = city[col].astype("Int64")
    has = (w.notna() & (w > 0)).to_numpy(dtype=bool)
    city, w = city[has], w[has]
    cells = _hex_cells(city["lon"].to_numpy(), city["lat"].to_numpy(), w.to_numpy(dtype=np.int64),
                       city["name"].to_numpy(), hex_km)
    notes = []
    k = q.suppress
    if k > 1 and len(cells):
        small = cells["value"] < k
        if small.any():
            notes.append(f"{int(small.sum())} density cells below {k} withheld")
        cells = cells[~small].reset_index(drop=True)
    return HotspotResult(role, cgdf, cells, table, bins, places_res, country_res, notes, hex_km)


def _class_labels(bins: list[float], lowest: int = 1) -> list[str]:
    """"5–12", "13–40", ...: the first class starts at the least value shown (counts
    below K are withheld, so "1–12" would say they are on the map)."""
    labels, lo = [], max(1, lowest)
    for b in bins:
        hi = int(np.floor(b))
        labels.append(f"{lo:,}–{hi:,}" if hi > lo else f"{hi:,}")
        lo = hi + 1
    return labels


def hotspot_features(hot: HotspotResult, show_cells: bool = True) -> tuple[dict, dict,
                                                                           LegendSpec]:
    """(choropleth FeatureCollection, hexagon FeatureCollection, legend) with styles and tips."""
    palette = VIRIDIS[max(1, len(hot.bins))] if hot.bins else VIRIDIS[1]
    role_word = ROLE_WORDS[hot.role]
    feats = []
    if len(hot.countries) and hot.countries.geometry.notna().any():
        # the whole frame (countries_geojson skips missing shapes): its memo then serves
        # the map and the slide PNG of one result
        gj = countries_geojson(hot.countries)
        by_iso = hot.countries.set_index("iso3")
        for f in gj["features"]:
            row = by_iso.loc[f["properties"]["iso3"]]
            withheld = pd.isna(row["value"])
            colour = WITHHELD_COLOUR if withheld else palette[int(row["cls"])]
            k = hot.flows.withheld.threshold
            count = (f"{int(row['value']):,} cases" if not withheld
                     else f"withheld (a part of it is below {k})" if hot.role == "all"
                     else f"fewer than {k} (withheld)")
            f["properties"] = {
                "style": {"fillColor": colour, "fillOpacity": 0.85, "color": "#555555",
                          "weight": 0.8},
                "tip": [str(row["name"]), f"{count} {role_word}"],
            }
            feats.append(f)
    cell_feats = []
    if show_cells and len(hot.cells):
        cyb, cbins = classify(hot.cells["value"].to_numpy(), len(palette))
        cpal = VIRIDIS[max(1, len(cbins))]
        coords = shapely.get_coordinates(hot.cells.geometry.to_numpy()).reshape(-1, 7, 2)
        coords = np.round(coords, 4).tolist()
        for i, (val, names) in enumerate(zip(hot.cells["value"], hot.cells["places"],
                                             strict=True)):
            shown = ", ".join(str(n) for n in names[:3]) + (" …" if len(names) > 3 else "")
            cell_feats.append({
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [coords[i]]},
                "properties": {
                    "style": {"fillColor": cpal[int(cyb[i])], "fillOpacity": 0.75,
                              "color": "#222222", "weight": 0.6},
                    "tip": [f"{int(val):,} cases {role_word} in this area", shown],
                },
            })
    spec = LegendSpec(title=f"Cases {role_word}")
    valued = hot.countries["value"].dropna()
    spec.classes = list(zip(_class_labels(hot.bins, int(valued.min()) if len(valued) else 1),
                            palette, strict=False))
    if (hot.countries["cls"] < 0).any():
        spec.classes.append(("Withheld (small count)", WITHHELD_COLOUR))
    if cell_feats:
        spec.notes.append(f"Hexagons: city-level places, {2 * hot.hex_km:,.0f} km across")
    return ({"type": "FeatureCollection", "features": feats},
            {"type": "FeatureCollection", "features": cell_feats}, spec)


def hotspot_caveat(hot: HotspotResult) -> Caveat:
    """The caveat box for a hotspot map (no corridor lines: they are not drawn here)."""
    cav = caveat_for(hot.country_flows, of_corridors=False)
    cav.extra += hot.notes
    cav.suppression = withheld_message(hot) if hot.flows.withheld.active else ""
    return cav


def withheld_message(hot: HotspotResult) -> str:
    """What suppression withheld from this map and its ranked list, in one line.

    A hotspot map draws totals, not corridors: it counts the country-level totals (the
    shading) and the place totals (the ranked list and density cells) withheld; the
    corridors withheld behind them are no part of this map."""
    w = hot.flows.withheld
    if not w.active:
        return "No small-count suppression applied."
    # the totals of the role on this map, not of every role the flows withheld
    n_shading = int(hot.countries["value"].isna().sum())
    n_places = int(hot.table["value"].isna().sum())
    parts = [counted(n, noun) for n, noun in ((n_shading, "country-level total"),
                                              (n_places, "place total")) if n]
    # the corridors behind the totals are no part of this map, nor is their roll-up
    return withheld_line(" and ".join(parts), replace(w, rolled_up_corridors=0))


def _largest_part(geom: Any) -> Any:
    """The part of a (multi-)shape with the largest area: the mainland, not an island."""
    return max(getattr(geom, "geoms", [geom]), key=lambda p: p.area)


def label_points(geoms: Any) -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) inside the largest part of each shape: a label spot, and a fit point that
    stays on one side of the antimeridian (Russia, the USA and Fiji cross it)."""
    lon, lat = [], []
    for g in geoms:
        if g is None or g.is_empty:
            lon.append(np.nan)
            lat.append(np.nan)
            continue
        p = shapely.point_on_surface(_largest_part(g))
        lon.append(p.x)
        lat.append(p.y)
    return np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")


def hotspot_bounds(hot: HotspotResult) -> np.ndarray:
    """lon/lat points that the hotspot slide and map fit: each classed country's largest
    part (its bounds, unless it runs round the world) and the density cells."""
    pts = []
    for g in hot.countries.geometry:
        if g is None or g.is_empty:
            continue
        big = _largest_part(g)
        x0, y0, x1, y1 = big.bounds
        if x1 - x0 > 180.0:  # a ring wrapped at the antimeridian: fall back to a point
            p = shapely.point_on_surface(big)
            x0 = x1 = p.x
            y0 = y1 = p.y
        pts += [(x0, y0), (x1, y1)]
    if len(hot.cells):
        c = shapely.get_coordinates(shapely.centroid(hot.cells.geometry.to_numpy()))
        pts += [tuple(xy) for xy in c]
    return np.asarray(pts, dtype="float64").reshape(-1, 2)


def country_labels(hot: HotspotResult, n: int) -> list[tuple[str, float, float]]:
    """(name, lon, lat) of the ``n`` countries with the largest values, largest first;
    withheld values and countries without a label point are left out."""
    c = hot.countries
    if not n or not len(c):
        return []
    vals = c["value"].to_numpy(dtype="float64", na_value=np.nan)
    lon, lat = label_points(c.geometry)
    order = [i for i in np.argsort(-np.nan_to_num(vals, nan=-1), kind="stable")
             if np.isfinite(vals[i]) and np.isfinite(lon[i])][:n]
    return [(str(c["name"].iloc[i]), float(lon[i]), float(lat[i])) for i in order]


def hotspot_layers(hot: HotspotResult, options: HotspotOptions | None = None, *,
                   view: str = "") -> folium.FeatureGroup:
    """Everything the hotspot map draws over its base map: choropleth, optional hexagon
    density, country labels, legend and caveat, and the view that fits them. One layer
    group, as :func:`dashboard.maps.flow_map.flow_layers`."""
    opts = options or HotspotOptions()
    layers = folium.FeatureGroup(name="Hotspots", control=False)
    choro, cells, spec = hotspot_features(hot, opts.show_cells)
    folium.GeoJson(choro, name="Countries by count",
                   on_each_feature=folium.JsCode(TOOLTIP_JS)).add_to(layers)
    if cells["features"]:
        folium.GeoJson(cells, name="City density",
                       on_each_feature=folium.JsCode(TOOLTIP_JS)).add_to(layers)
    MapLegend(spec, hotspot_caveat(hot), title=opts.title).add_to(layers)
    rows = country_labels(hot, opts.labels)
    if rows:
        PlaceLabels([(lat, lon, name, 0.0) for name, lon, lat in rows],
                    direction="center").add_to(layers)
    pts = hotspot_bounds(hot)
    bounds = data_bounds(pts[:, 0], pts[:, 1])
    if bounds is not None:
        FitView(bounds, opts.present, view).add_to(layers)
    return layers


def hotspot_map(hot: HotspotResult, options: HotspotOptions | None = None) -> folium.Map:
    """The hotspot map: choropleth, optional hexagon density, legend and caveat, no CDN."""
    opts = options or HotspotOptions()
    m = opts.base_map()
    hotspot_layers(hot, opts).add_to(m)
    return m
