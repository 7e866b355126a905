"""Offline map assets and basemaps: no CDN, ever (DESIGN §5 "Offline").

folium's Map pulls Leaflet, jQuery, Bootstrap, Font Awesome and awesome-markers from
CDNs. Our maps use none but Leaflet, so ``base_map`` empties the Map's ``default_js``
and ``default_css`` and adds Leaflet from the XStatic-Leaflet package instead, in one of
two modes:

``inline``  Leaflet's JS and CSS (its images as data: URIs) inside the HTML: a file that
            opens anywhere with no network (exports, ``routemap map``).
``served``  Leaflet's URLs under a prefix such as ``/app/static`` (Streamlit's static
            file serving; ``export_static_assets`` copies the files there), set as the
            Map's ``default_js``/``default_css``: a plain page renders them as
            ``<script src>``/``<link>``, and streamlit-folium, which drops header links,
            loads exactly these lists (its ``js_links``/``css_links``) and nothing else.
            Use this mode with ``st_folium``: an inline Leaflet would load twice there.

Basemaps: ``vector`` (default) draws the gazetteer's country shapes, needing nothing
from outside; ``light`` and ``dark`` add CARTO raster tiles (the only network use, and
only when asked), with the vector shapes below them as a fallback when tiles cannot load.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import weakref
from functools import cache
from pathlib import Path
from typing import Any

import folium
import numpy as np
from branca.element import MacroElement
from jinja2 import Template

from dashboard.maps import render_once
from dashboard.maps.flows import default_countries

render_once.install()  # dataset text in a rendered map must never run as a template

ASSET_MODES = ("inline", "served")
BASEMAPS = ("vector", "light", "dark", "none")
DEFAULT_PREFIX = "/app/static"  # absolute: st_folium renders inside a component iframe
ASSET_DIR = "leaflet"  # sub-folder of the static folder that holds Leaflet
BASEMAP_FILE = "basemap.json"  # the gazetteer's country shapes, for ``served`` maps

TILES = {
    "light": "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}.png",
    "dark": "https://{s}.basemaps.cartocdn.com/dark_all/{z}/{x}/{y}.png",
}
TILE_ATTRIBUTION = "© OpenStreetMap contributors © CARTO"
SEA = {"vector": "#dbe6ef", "light": "#dbe6ef", "dark": "#1f2630", "none": "#ffffff"}
LAND = {"vector": ("#f4f3ef", "#b9b9b9"), "light": ("#f4f3ef", "#b9b9b9"),
        "dark": ("#3a3f47", "#5a6270"), "none": ("#f4f3ef", "#b9b9b9")}

# the few style rules our own elements need (tooltips, legend, caveat box)
_MAP_CSS = """
.rm-tip strong { display: block; margin-bottom: 2px; }
.rm-tip div { white-space: nowrap; }
.leaflet-tooltip { font: 13px/1.35 system-ui, sans-serif; }
"""


def leaflet_dir() -> Path:
    """Folder of the XStatic-Leaflet files (leaflet.js, leaflet.css, images/)."""
    import xstatic.pkg.leaflet as xleaflet

    return Path(xleaflet.BASE_DIR)


def _strip_source_map(js: str) -> str:
    return re.sub(r"//# sourceMappingURL=\S+\s*$", "", js)


@cache
def _inline_assets() -> tuple[str, str]:
    """(leaflet.css with images as data: URIs, leaflet.js), read once per process."""
    base = leaflet_dir()
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match[str]) -> str:
        path = base / match.group(1)
        if not path.is_file():
            return match.group(0)
        b64 = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{b64})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, css)
    js = _strip_source_map((base / "leaflet.js").read_text(encoding="utf-8"))
    # cannot happen with Leaflet 1.9, but an inlined script must never close its element
    css = css.replace("</", "<\\/")
    js = re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE)
    return css, js


def export_static_assets(dest_dir: str | Path) -> list[Path]:
    """Copy Leaflet's JS, CSS and images to ``dest_dir/leaflet/`` for ``served`` mode.

    The dashboard serves ``dest_dir`` as Streamlit static files (``app/static/...``).
    Returns the files written.
    """
    src = leaflet_dir()
    dest = Path(dest_dir) / ASSET_DIR
    (dest / "images").mkdir(parents=True, exist_ok=True)
    written = []
    for name in ("leaflet.js", "leaflet.css"):
        text = (src / name).read_text(encoding="utf-8")
        if name.endswith(".js"):
            text = _strip_source_map(text)
        (dest / name).write_text(text, encoding="utf-8")
        written.append(dest / name)
    for img in sorted((src / "images").glob("*.png")):
        shutil.copyfile(img, dest / "images" / img.name)
        written.append(dest / "images" / img.name)
    (dest / "routemap.css").write_text(_MAP_CSS, encoding="utf-8")
    written.append(dest / "routemap.css")
    countries = default_countries()
    if countries is not None and len(countries):
        text = json.dumps(countries_geojson(countries), ensure_ascii=False,
                          separators=(",", ":"))
        (dest / BASEMAP_FILE).write_text(text, encoding="utf-8")
        written.append(dest / BASEMAP_FILE)
    return written


def served_urls(prefix: str = DEFAULT_PREFIX) -> tuple[str, str]:
    """(leaflet.js URL, leaflet.css URL) under ``prefix`` for ``served`` mode."""
    base = prefix.rstrip("/") + "/" + ASSET_DIR
    return f"{base}/leaflet.js", f"{base}/leaflet.css"


class OfflineAssets(MacroElement):
    """Our CSS, plus Leaflet inlined (``inline`` mode), in the page header."""

    _template = Template(
        """{% macro header(this, kwargs) %}{{ this.head }}{% endmacro %}"""
    )

    def __init__(self, mode: str = "inline", sea: str = "#fff"):
        super().__init__()
        if mode not in ASSET_MODES:
            raise ValueError(f"asset mode must be one of {ASSET_MODES}")
        self._name = "OfflineAssets"
        extra = f"{_MAP_CSS}.leaflet-container {{ background: {sea}; }}"
        if mode == "inline":
            css, js = _inline_assets()
            self.head = f"<style>{css}\n{extra}</style>\n<script>{js}</script>"
        else:
            self.head = f"<style>{extra}</style>"


def base_map(
    *,
    assets: str = "inline",
    prefix: str = DEFAULT_PREFIX,
    basemap: str = "vector",
    countries: Any = None,
    tiles: bool = True,
    location: tuple[float, float] = (20.0, 30.0),
    zoom_start: int = 2,
    **map_kwargs: Any,
) -> folium.Map:
    """A folium Map with no CDN link: Leaflet from XStatic, plus the chosen basemap.

    ``countries`` (a GeoDataFrame of country polygons) draws the vector basemap; by
    default it comes from the gazetteer when that is available. ``tiles=False`` keeps a
    light or dark basemap's colours but leaves its online tiles out.
    """
    if basemap not in BASEMAPS:
        raise ValueError(f"basemap must be one of {', '.join(BASEMAPS)}")
    m = folium.Map(location=location, zoom_start=zoom_start, tiles=None, **map_kwargs)
    # instance attributes shadow folium's class-level CDN lists
    if assets == "served":
        js_url, css_url = served_urls(prefix)
        m.default_js = [("leaflet", js_url)]
        m.default_css = [("leaflet_css", css_url)]
    else:
        m.default_js = []
        m.default_css = []
    m.add_child(OfflineAssets(assets, SEA[basemap]), name="offline_assets")
    if basemap != "none":
        _add_countries(m, countries, assets, prefix, *LAND[basemap])
    if tiles and basemap in TILES:
        folium.TileLayer(
            tiles=TILES[basemap], attr=TILE_ATTRIBUTION, name=f"{basemap} tiles",
            max_zoom=18, subdomains="abcd", control=False,
        ).add_to(m)
    return m


def _add_countries(m: folium.Map, countries: Any, assets: str, prefix: str, fill: str,
                   stroke: str) -> None:
    """The vector basemap in its own pane below everything else, if there are shapes."""
    default = _is_default(countries)
    if not default:
        countries = default_countries() if countries is None else countries
        if countries is None or not len(countries):
            return
    folium.map.CustomPane("basemap", z_index=150, pointer_events=False).add_to(m)
    if default and assets == "served":
        # the browser fetches (and caches) the static file instead of ~550 KB in every map
        m.add_child(_ServedBasemap(prefix, fill, stroke))
    elif default:
        # the committed basemap file, as is: simplifying the world's shapes again costs
        # ~0.2 s of every exported map
        m.add_child(_InlineBasemap(fill, stroke))
    else:
        layer = folium.GeoJson(countries_geojson(countries), name="Countries", pane="basemap",
                               interactive=False, control=False)
        m.add_child(layer)
        m.add_child(_StaticStyle(layer, fill, stroke))


@cache
def _default_iso3() -> tuple[str, ...] | None:
    countries = default_countries()
    return None if countries is None else tuple(countries["iso3"].astype(str))


def _is_default(countries: Any) -> bool:
    """True if ``countries`` is (a copy of) the gazetteer's countries, or None for them:
    the shapes the static basemap file holds."""
    if not static_basemap_path().is_file():
        return False
    if countries is None:
        # no need to load the gazetteer's shapes to know: 0.4 s in a process that has
        # not loaded them already
        return True
    default = _default_iso3()
    return (default is not None and len(countries) == len(default)
            and tuple(countries["iso3"].astype(str)) == default)


def static_basemap_path() -> Path:
    """The committed basemap file the dashboard serves (dashboard/static/leaflet/)."""
    return Path(__file__).resolve().parents[1] / "static" / ASSET_DIR / BASEMAP_FILE


def _land_style(fill: str, stroke: str) -> str:
    """The basemap's one Leaflet style (JSON) for every country shape."""
    return json.dumps({"fillColor": fill, "fillOpacity": 1.0, "color": stroke, "weight": 0.6})


class _ServedBasemap(MacroElement):
    """The vector basemap fetched from the app's own static files (same origin)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        fetch({{ this.url }}).then(function (r) { return r.json(); }).then(function (gj) {
            L.geoJSON(gj, {pane: "basemap", interactive: false, style: {{ this.style }}})
                .addTo({{ this._parent.get_name() }});
        }).catch(function () {});
        {% endmacro %}"""
    )

    def __init__(self, prefix: str, fill: str, stroke: str):
        super().__init__()
        self._name = "ServedBasemap"
        self.url = json.dumps(f"{prefix.rstrip('/')}/{ASSET_DIR}/{BASEMAP_FILE}")
        self.style = _land_style(fill, stroke)


@cache
def _static_basemap_text() -> str:
    # "</" cannot end the script it is written into; JSON is otherwise valid JavaScript
    return static_basemap_path().read_text(encoding="utf-8").replace("</", "<\\/")


class _InlineBasemap(MacroElement):
    """The committed vector basemap written into the page (standalone HTML exports)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        L.geoJSON({{ this.data }}, {pane: "basemap", interactive: false, style: {{ this.style }}})
            .addTo({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, fill: str, stroke: str):
        super().__init__()
        self._name = "InlineBasemap"
        self.data = _static_basemap_text()
        self.style = _land_style(fill, stroke)


class _StaticStyle(MacroElement):
    """One style for every feature of a GeoJSON layer, set in JavaScript (no per-feature data)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        {{ this.layer.get_name() }}.setStyle({{ this.style }});
        {% endmacro %}"""
    )

    def __init__(self, layer: folium.GeoJson, fill: str, stroke: str):
        super().__init__()
        self.layer = layer
        self.style = _land_style(fill, stroke)


_GEOJSON_MEMO: dict[tuple[int, int, float, float], tuple[weakref.ref, dict]] = {}
_GEOJSON_MEMO_SIZE = 8


def countries_geojson(countries: Any, tolerance: float = 0.05, grid: float = 0.01) -> dict:
    """Country shapes as a small GeoJSON dict: simplified, snapped to ``grid`` degrees.

    Only iso3 and name are kept as properties; the shapes are the vector basemap and the
    hotspot choropleth, so they must stay small (DESIGN §10: a map under 2 MB).
    Memoised per frame (while it lives) and settings: simplifying the world's shapes on
    every redraw cost ~100 ms. Callers get their own feature and properties dicts, so
    restyling them cannot change the memo; the geometries are shared, never to be mutated.
    """
    key = (id(countries), len(countries), tolerance, grid)
    hit = _GEOJSON_MEMO.get(key)
    if hit is None or hit[0]() is not countries:
        fc = _build_countries_geojson(countries, tolerance, grid)
        try:
            ref = weakref.ref(countries)
        except TypeError:
            return fc
        while len(_GEOJSON_MEMO) >= _GEOJSON_MEMO_SIZE:
            _GEOJSON_MEMO.pop(next(iter(_GEOJSON_MEMO)))
        _GEOJSON_MEMO[key] = hit = (ref, fc)
    fc = hit[1]
    return {"type": fc["type"], "features": [
        {"type": "Feature", "properties": dict(f["properties"]), "geometry": f["geometry"]}
        for f in fc["features"]]}


def _build_countries_geojson(countries: Any, tolerance: float, grid: float) -> dict:
    import shapely  # only for shapes given: a flow map of a file inlines the basemap file

    geoms = np.asarray(countries.geometry.values, dtype=object)
    ok = ~shapely.is_missing(geoms)
    geoms = shapely.simplify(geoms[ok], tolerance, preserve_topology=True)
    geoms = shapely.set_precision(geoms, grid)
    iso = countries["iso3"].astype(str).to_numpy()[ok] if "iso3" in countries else None
    name = countries["name"].astype(str).to_numpy()[ok] if "name" in countries else None
    features = []
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            continue
        props = {}
        if iso is not None:
            props["iso3"] = iso[i]
        if name is not None:
            props["name"] = name[i]
        features.append(
            {"type": "Feature", "properties": props, "geometry": json.loads(shapely.to_geojson(g))}
        )
    return {"type": "FeatureCollection", "features": features}
