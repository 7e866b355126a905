"""Exports: standalone HTML, a PNG for slides, and flows / place totals as CSV and GeoJSON.

Everything exported has been through suppression already (it is built from a
``FlowResult``), and every text cell that a spreadsheet would run as a formula
(starting with ``= + - @``, tab or carriage return) gets a leading apostrophe; numbers
are left alone. The PNG is drawn with Pillow, without a browser: countries, arcs,
chevrons, places, title, legend, caveat and the SYNTHETIC banner, at 1920x1080.
Files are written atomically (temporary file, then rename).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import folium
import numpy as np
import pandas as pd
from PIL import Image, ImageDraw, ImageFont

from dashboard.maps.arcs import wrap_parts
from dashboard.maps.flow_map import FlowMapOptions, arc_features, caveat_for, node_features
from dashboard.maps.flows import FlowResult
from dashboard.maps.legend import SYNTHETIC_TEXT, Caveat, LegendSpec
from dashboard.maps.offline import countries_geojson, default_countries

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FLOW_COLUMNS = ["from_key", "from_name", "to_key", "to_name", "leg_role", "count", "records",
                "uncounted", "year_min", "year_max", "rolled_up"]
PLACE_COLUMNS = ["key", "name", "kind", "iso3", "lat", "lon", "out", "through", "in", "total",
                 "records", "uncounted", "year_min", "year_max", "rolled_up"]


# --------------------------------------------------------------------------- tables


def neutralise(value: Any) -> Any:
    """A text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Every text column neutralised; numeric and boolean columns untouched."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        if col == "geometry":
            continue
        out[col] = s.map(neutralise, na_action="ignore")
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def flows_table(result: FlowResult, *, shown_only: bool = False) -> pd.DataFrame:
    """Flows after suppression (and minimum count); all of them unless ``shown_only``."""
    f = result.flows[result.flows["shown"]] if shown_only else result.flows
    cols = [*FLOW_COLUMNS, *(["colour_value"] if "colour_value" in f else [])]
    return pd.DataFrame(f[cols]).reset_index(drop=True)


def places_table(result: FlowResult) -> pd.DataFrame:
    """Place totals after suppression: <NA> (an empty cell) where a value is withheld."""
    return pd.DataFrame(result.places[PLACE_COLUMNS]).reset_index(drop=True)


def _atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; exports are ordinary files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    safe = neutralise_frame(df)
    return _atomic_write(path, lambda p: safe.to_csv(p, index=False, encoding="utf-8"))


def write_flows_csv(result: FlowResult, path: str | Path, *, shown_only: bool = False) -> Path:
    """Flows as CSV (suppressed, formulas neutralised)."""
    return _write_csv(flows_table(result, shown_only=shown_only), path)


def write_places_csv(result: FlowResult, path: str | Path) -> Path:
    """Place totals as CSV (suppressed, formulas neutralised)."""
    return _write_csv(places_table(result), path)


def _json_value(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, np.integer | np.bool_ | np.floating):
        return v.item()
    return neutralise(v)


def _features(df: pd.DataFrame, geoms: list[dict | None]) -> dict:
    props = neutralise_frame(df)
    records = props.to_dict(orient="records")
    feats = [
        {"type": "Feature", "geometry": g,
         "properties": {k: _json_value(v) for k, v in rec.items()}}
        for rec, g in zip(records, geoms, strict=True)
    ]
    return {"type": "FeatureCollection", "features": feats}


def _write_json(data: dict, path: str | Path) -> Path:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return _atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def flows_geojson(result: FlowResult, *, shown_only: bool = False) -> dict:
    """Flows as a GeoJSON FeatureCollection: arcs cut at the antimeridian (RFC 7946)."""
    f = result.flows[result.flows["shown"]] if shown_only else result.flows
    geoms: list[dict | None] = []
    for g in f.geometry:
        if g is None or g.is_empty:
            geoms.append(None)
            continue
        parts = wrap_parts(np.asarray(g.coords))
        coords = [np.round(p, 5).tolist() for p in parts]
        geoms.append({"type": "LineString", "coordinates": coords[0]} if len(coords) == 1
                     else {"type": "MultiLineString", "coordinates": coords})
    return _features(flows_table(result, shown_only=shown_only), geoms)


def places_geojson(result: FlowResult) -> dict:
    """Place totals as GeoJSON points."""
    pl = result.places
    geoms = [None if np.isnan(x + y) else {"type": "Point", "coordinates": [round(x, 5),
                                                                            round(y, 5)]}
             for x, y in zip(pl["lon"].to_numpy(float), pl["lat"].to_numpy(float), strict=True)]
    return _features(places_table(result), geoms)


def write_flows_geojson(result: FlowResult, path: str | Path, *, shown_only: bool = False) -> Path:
    """Flows as a GeoJSON file (suppressed, formulas neutralised)."""
    return _write_json(flows_geojson(result, shown_only=shown_only), path)


def write_places_geojson(result: FlowResult, path: str | Path) -> Path:
    """Place totals as a GeoJSON file."""
    return _write_json(places_geojson(result), path)


def write_html(m: folium.Map, path: str | Path) -> Path:
    """The map as one HTML file; build it with ``assets="inline"`` to open offline."""
    html = m.get_root().render()
    return _atomic_write(path, lambda p: p.write_text(html, encoding="utf-8"))


# --------------------------------------------------------------------------- PNG

_FONT_FILES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
               "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf")
_BOLD_FILES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
               "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf")


def _font(size: int, bold: bool = False) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    for f in _BOLD_FILES if bold else _FONT_FILES:
        if Path(f).is_file():
            return ImageFont.truetype(f, size)
    return ImageFont.load_default(size=size)


def _hex(colour: str, alpha: float = 1.0) -> tuple[int, int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16), round(255 * alpha)


class _Projection:
    """Web Mercator fitted to lon/lat bounds inside a pixel box, like the Leaflet map."""

    def __init__(self, bounds: tuple[float, float, float, float], box: tuple[int, int, int, int]):
        x0, y0, x1, y1 = bounds
        self.mx0, self.my1 = self._merc(x0, y0)
        mx1, my0 = self._merc(x1, y1)
        bw, bh = box[2] - box[0], box[3] - box[1]
        self.scale = min(bw / max(mx1 - self.mx0, 1e-9), bh / max(self.my1 - my0, 1e-9))
        self.ox = box[0] + (bw - (mx1 - self.mx0) * self.scale) / 2
        self.oy = box[1] + (bh - (self.my1 - my0) * self.scale) / 2

    @staticmethod
    def _merc(lon: Any, lat: Any) -> tuple[Any, Any]:
        lat = np.clip(lat, -85.0, 85.0)
        return np.radians(lon), np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))

    def __call__(self, coords: Any) -> list[tuple[float, float]]:
        a = np.asarray(coords, dtype="float64").reshape(-1, 2)
        mx, my = self._merc(a[:, 0], a[:, 1])
        px = self.ox + (mx - self.mx0) * self.scale
        py = self.oy + (self.my1 - my) * self.scale
        return list(zip(px.tolist(), py.tolist(), strict=True))


def _rings(geom: dict) -> list[list]:
    if geom["type"] == "Polygon":
        return [geom["coordinates"][0]]
    if geom["type"] == "MultiPolygon":
        return [poly[0] for poly in geom["coordinates"]]
    return []


def _draw_features(draw: ImageDraw.ImageDraw, fc: dict, proj: _Projection, s: float) -> None:
    for f in fc["features"]:
        g, st = f["geometry"], f["properties"].get("style", {})
        if g is None:
            continue
        if g["type"] in ("Polygon", "MultiPolygon"):
            fill = _hex(st.get("fillColor", "#cccccc"), st.get("fillOpacity", 1.0))
            for ring in _rings(g):
                draw.polygon(proj(ring), fill=fill, outline=_hex(st.get("color", "#555555")))
        elif g["type"] in ("LineString", "MultiLineString"):
            lines = [g["coordinates"]] if g["type"] == "LineString" else g["coordinates"]
            width = max(1, round(st.get("weight", 2) * s))
            colour = _hex(st.get("color", "#333333"), st.get("opacity", 0.85))
            for line in lines:
                pts = proj(line)
                if st.get("dashArray"):
                    for a, b in list(pairwise(pts))[::2]:
                        draw.line([a, b], fill=colour, width=width)
                else:
                    draw.line(pts, fill=colour, width=width, joint="curve")
        elif g["type"] == "Point":
            (x, y), r = proj([g["coordinates"]])[0], st.get("radius", 5) * s
            draw.ellipse([x - r, y - r, x + r, y + r], fill=_hex(st.get("fillColor", "#777777"),
                         st.get("fillOpacity", 0.9)), outline=_hex("#333333"), width=max(1,
                                                                                     round(s)))


def _wrap(draw: ImageDraw.ImageDraw, rows: list[tuple[str, Any, Any]], font: Any,
          max_w: float, indent: float) -> list[tuple[str, Any, Any]]:
    """Rows whose text is wider than ``max_w`` split at spaces (swatch on the first part)."""
    out = []
    for text, kind, val in rows:
        room = max_w - (indent if kind else 0)
        words, line = text.split(" "), ""
        first = True
        for w in words:
            trial = f"{line} {w}".strip()
            if line and draw.textlength(trial, font=font) > room:
                out.append((line, kind if first else "", val))
                first, line = False, w
            else:
                line = trial
        out.append((line, kind if first else "", val))
    return out


def _box(draw: ImageDraw.ImageDraw, xy: tuple[float, float], lines: list[tuple[str, Any, Any]],
         s: float, anchor: str, max_w: float = 1e9) -> None:
    """A white box of rows (text, swatch kind, swatch value) anchored at a corner."""
    font, pad, row_h = _font(round(22 * s)), 14 * s, 32 * s
    sw = 44 * s
    lines = _wrap(draw, lines, font, max_w - 2 * pad, sw + 10 * s)
    width = max(draw.textlength(t, font=font) + (sw + 10 * s if k else 0) for t, k, _ in lines)
    w, h = width + 2 * pad, row_h * len(lines) + 2 * pad
    x = xy[0] if anchor.endswith("l") else xy[0] - w
    y = xy[1] - h if anchor.startswith("b") else xy[1]
    draw.rounded_rectangle([x, y, x + w, y + h], radius=8 * s, fill=(255, 255, 255, 240),
                           outline=(120, 120, 120, 255), width=max(1, round(s)))
    cy = y + pad
    for text, kind, val in lines:
        tx = x + pad
        mid = cy + row_h / 2
        if kind == "width":
            draw.line([(tx, mid), (tx + sw, mid)], fill=_hex("#555555"),
                      width=max(1, round(val * s)))
        elif kind == "line":
            draw.line([(tx, mid), (tx + sw, mid)], fill=_hex(val), width=round(5 * s))
        elif kind == "dash":
            for i in range(0, 4):
                draw.line([(tx + i * sw / 4, mid), (tx + i * sw / 4 + sw / 8, mid)],
                          fill=_hex("#555555"), width=round(3 * s))
        elif kind == "dot":
            r = 9 * s
            draw.ellipse([tx + sw / 2 - r, mid - r, tx + sw / 2 + r, mid + r], fill=_hex(val),
                         outline=_hex("#333333"))
        elif kind == "fill":
            draw.rectangle([tx + 6 * s, mid - 9 * s, tx + sw - 6 * s, mid + 9 * s], fill=_hex(val),
                           outline=_hex("#666666"))
        if kind:
            tx += sw + 10 * s
        draw.text((tx, mid), text, font=_font(round(22 * s), bold=kind == "title"),
                  fill=(20, 20, 20, 255), anchor="lm")
        cy += row_h


def _legend_rows(spec: LegendSpec) -> list[tuple[str, Any, Any]]:
    rows: list[tuple[str, Any, Any]] = [(spec.title or "Legend", "", None)]
    rows += [(label, "width", px) for label, px in spec.widths]
    rows += [(label, "line", c) for label, c in spec.lines]
    if spec.dashed:
        rows.append((spec.dashed, "dash", None))
    rows += [(label, "dot", c) for label, c in spec.nodes]
    rows += [(label, "fill", c) for label, c in spec.classes]
    rows += [(n, "", None) for n in spec.notes]
    return rows


def render_png(
    layers: list[dict],
    spec: LegendSpec,
    caveat: Caveat,
    path: str | Path,
    *,
    title: str = "",
    countries: Any = None,
    size: tuple[int, int] = (1920, 1080),
    bounds: tuple[float, float, float, float] | None = None,
) -> Path:
    """Draw GeoJSON layers (with ``style`` properties) and the legend boxes to a PNG.

    Drawn at twice the size and scaled down, so lines and text are smooth on a slide.
    """
    ss = 2
    W, H = size[0] * ss, size[1] * ss  # noqa: N806 -- image width/height
    s = ss * size[1] / 1080
    img = Image.new("RGBA", (W, H), _hex("#dbe6ef"))
    draw = ImageDraw.Draw(img, "RGBA")
    if bounds is None:
        pts = [c for fc in layers for f in fc["features"] if f["geometry"]
               for c in _all_coords(f["geometry"])]
        if pts:
            a = np.clip(np.asarray(pts), [-180, -80], [180, 84])
            (x0, y0), (x1, y1) = a.min(axis=0), a.max(axis=0)
            px, py = max((x1 - x0) * 0.08, 2), max((y1 - y0) * 0.12, 2)
            bounds = (x0 - px, max(y0 - py, -80), x1 + px, min(y1 + py, 84))
        else:
            bounds = (-170, -58, 180, 78)
    proj = _Projection(bounds, (0, round(70 * s), W, H))
    if countries is None:
        countries = default_countries()
    if countries is not None and len(countries):
        base = countries_geojson(countries)
        for f in base["features"]:
            f["properties"] = {"style": {"fillColor": "#f4f3ef", "color": "#b9b9b9"}}
        _draw_features(draw, base, proj, s)
    for fc in layers:
        _draw_features(draw, fc, proj, s)
    if title:
        draw.text((30 * s, 24 * s), title, font=_font(round(40 * s), bold=True),
                  fill=(20, 20, 20, 255))
    _box(draw, (20 * s, H - 20 * s), _legend_rows(spec), s, "bl", max_w=0.3 * W)
    _box(draw, (W - 20 * s, H - 20 * s), [(t, "", None) for t in caveat.lines()], s, "br",
         max_w=0.4 * W)
    if caveat.synthetic:
        f = _font(round(34 * s), bold=True)
        tw = draw.textlength(SYNTHETIC_TEXT, font=f)
        x0 = (W - tw) / 2 - 24 * s
        draw.rectangle([x0, 16 * s, x0 + tw + 48 * s, 76 * s], fill=_hex("#b00020"))
        draw.text((W / 2, 46 * s), SYNTHETIC_TEXT, font=f, fill=(255, 255, 255, 255), anchor="mm")
    out = img.convert("RGB").resize(size, Image.Resampling.LANCZOS)
    return _atomic_write(path, lambda p: out.save(p, format="PNG", optimize=True))


def _all_coords(g: dict) -> list:
    t, c = g["type"], g["coordinates"]
    if t == "Point":
        return [c]
    if t == "LineString":
        return c
    if t in ("MultiLineString", "Polygon"):
        return [p for line in c for p in line]
    if t == "MultiPolygon":
        return [p for poly in c for ring in poly for p in ring]
    return []


def write_flow_png(result: FlowResult, path: str | Path, *, title: str = "",
                   options: FlowMapOptions | None = None, countries: Any = None,
                   size: tuple[int, int] = (1920, 1080)) -> Path:
    """The flow map as a slide-ready PNG, drawn without a browser."""
    opts = options or FlowMapOptions()
    arcs, spec = arc_features(result, opts)
    nodes, node_items = node_features(result, opts)
    spec.nodes = node_items
    return render_png([arcs, nodes], spec, caveat_for(result, opts.max_nodes), path,
                      title=title or opts.title,
                      countries=countries if countries is not None else opts.countries, size=size)


def write_hotspot_png(hot: Any, path: str | Path, *, title: str = "", countries: Any = None,
                      size: tuple[int, int] = (1920, 1080)) -> Path:
    """The hotspot map as a slide-ready PNG, drawn without a browser."""
    from dashboard.maps.hotspot_map import hotspot_caveat, hotspot_features

    choro, cells, spec = hotspot_features(hot)
    return render_png([choro, cells], spec, hotspot_caveat(hot), path, title=title,
                      countries=countries, size=size)
