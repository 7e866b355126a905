"""Slide-ready PNGs of the flow and hotspot maps, drawn with Pillow, without a browser.

A slide is read from across a room, so the picture is cut down to what reads: the
extent is fitted to the places drawn (never the whole world, never cutting data off),
with room left for the legend and caveat boxes so they cover no data; the largest
places are named in large type with a white halo; only the top corridors by cases
are drawn (the caveat says how many of how many); chevrons are thin, drawn in pixels.
Everything is drawn at twice the size and scaled down, so lines and text are smooth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from dashboard.maps.flow_map import (
    FlowMapOptions,
    arc_features,
    caveat_for,
    data_bounds,
    node_features,
)
from dashboard.maps.flows import FlowResult
from dashboard.maps.legend import SYNTHETIC_TEXT, Caveat, LegendSpec
from dashboard.maps.mercator import project
from dashboard.maps.offline import countries_geojson, default_countries

SLIDE_SIZE = (1920, 1080)
MAX_CORRIDORS = 60  # corridors drawn on a slide by default: more make a hairball
MAX_LABELS = 12  # places named on a slide
LABEL_PX = 24  # label type size at 1080 px high
MAX_LAT = 84.0

_FONT_FILES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
               "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf")
_BOLD_FILES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
               "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf")

Rect = tuple[float, float, float, float]


@dataclass(slots=True)
class Label:
    """A place name to write on the slide at (lon, lat), beside a circle of ``radius`` px."""

    text: str
    lon: float
    lat: float
    radius: float = 0.0


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

    def __init__(self, bounds: tuple[float, float, float, float], box: Rect):
        x0, y0, x1, y1 = bounds
        self.mx0, self.my1 = project(x0, y1)
        mx1, my0 = project(x1, y0)
        bw, bh = box[2] - box[0], box[3] - box[1]
        self.scale = min(bw / max(mx1 - self.mx0, 1e-9), bh / max(self.my1 - my0, 1e-9))
        self.ox = box[0] + (bw - (mx1 - self.mx0) * self.scale) / 2
        self.oy = box[1] + (bh - (self.my1 - my0) * self.scale) / 2

    def __call__(self, coords: Any) -> list[tuple[float, float]]:
        a = np.asarray(coords, dtype="float64").reshape(-1, 2)
        mx, my = project(a[:, 0], a[:, 1])
        px = self.ox + (mx - self.mx0) * self.scale
        py = self.oy + (self.my1 - my) * self.scale
        return list(zip(px.tolist(), py.tolist(), strict=True))


def _rings(geom: dict) -> list[list]:
    if geom["type"] == "Polygon":
        return [geom["coordinates"][0]]
    if geom["type"] == "MultiPolygon":
        return [poly[0] for poly in geom["coordinates"]]
    return []


def _chevron(draw: ImageDraw.ImageDraw, pts: list[tuple[float, float]], width: float,
             colour: tuple[int, int, int, int], s: float) -> None:
    """A thin open chevron 60% along a pixel polyline, pointing the way of travel."""
    a = np.asarray(pts)
    seg = np.linalg.norm(np.diff(a, axis=0), axis=1)
    if len(seg) == 0 or seg.sum() < 1e-6:
        return
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    at = 0.6 * cum[-1]
    i = int(np.clip(np.searchsorted(cum, at) - 1, 0, len(seg) - 1))
    f = (at - cum[i]) / max(seg[i], 1e-9)
    tip = a[i] + f * (a[i + 1] - a[i])
    d = (a[i + 1] - a[i]) / max(seg[i], 1e-9)
    size = (9.0 + 0.8 * width) * s
    for sign in (1.0, -1.0):
        ang = np.radians(150.0) * sign
        wing = np.array([d[0] * np.cos(ang) - d[1] * np.sin(ang),
                         d[0] * np.sin(ang) + d[1] * np.cos(ang)])
        end = tip + size * wing
        draw.line([tuple(end), tuple(tip)], fill=colour, width=max(1, round(2.2 * s)))


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
            longest: list[tuple[float, float]] = []
            for line in lines:
                pts = proj(line)
                longest = pts if len(pts) > len(longest) else longest
                if st.get("dashArray"):
                    for a, b in list(pairwise(pts))[::2]:
                        draw.line([a, b], fill=colour, width=width)
                else:
                    draw.line(pts, fill=colour, width=width, joint="curve")
            if f["properties"].get("arrow"):
                _chevron(draw, longest, st.get("weight", 2), _hex(st.get("color", "#333333")),
                         s)
        elif g["type"] == "Point":
            (x, y), r = proj([g["coordinates"]])[0], st.get("radius", 5) * s
            draw.ellipse([x - r, y - r, x + r, y + r],
                         fill=_hex(st.get("fillColor", "#777777"), st.get("fillOpacity", 0.9)),
                         outline=_hex("#333333"), width=max(1, round(s)))


# --------------------------------------------------------------------------- boxes

Row = tuple[str, Any, Any]


def _wrap(draw: ImageDraw.ImageDraw, rows: list[Row], font: Any, max_w: float,
          indent: float) -> list[Row]:
    """Rows whose text is wider than ``max_w`` split at spaces (swatch on the first part),
    and a word wider than a whole line (a long source URL) wherever it has to be."""
    out = []
    for text, kind, val in rows:
        room = max_w - (indent if kind else 0)
        line, first = "", True
        for word in text.split(" "):
            for w in _pieces(draw, word, font, room):
                trial = f"{line} {w}".strip()
                if line and draw.textlength(trial, font=font) > room:
                    out.append((line, kind if first else "", val))
                    first, line = False, w
                else:
                    line = trial
        out.append((line, kind if first else "", val))
    return out


def _pieces(draw: ImageDraw.ImageDraw, word: str, font: Any, room: float) -> list[str]:
    """``word`` cut into pieces that each fit in ``room`` (itself when it fits)."""
    if draw.textlength(word, font=font) <= room:
        return [word]
    pieces, piece = [], ""
    for ch in word:
        if piece and draw.textlength(piece + ch, font=font) > room:
            pieces.append(piece)
            piece = ""
        piece += ch
    return [*pieces, piece]


@dataclass(slots=True)
class _Box:
    rows: list[Row]
    w: float
    h: float


def _measure(draw: ImageDraw.ImageDraw, rows: list[Row], s: float, max_w: float) -> _Box:
    font, pad, row_h, sw = _font(round(22 * s)), 14 * s, 32 * s, 44 * s
    rows = _wrap(draw, rows, font, max_w - 2 * pad, sw + 10 * s)
    width = max(draw.textlength(t, font=font) + (sw + 10 * s if k else 0) for t, k, _ in rows)
    return _Box(rows, width + 2 * pad, row_h * len(rows) + 2 * pad)


def _draw_box(draw: ImageDraw.ImageDraw, box: _Box, x: float, y: float, s: float) -> None:
    """A white box of rows (text, swatch kind, swatch value) with its top left at (x, y)."""
    font, bold, pad, row_h, sw = (_font(round(22 * s)), _font(round(22 * s), bold=True),
                                  14 * s, 32 * s, 44 * s)
    draw.rounded_rectangle([x, y, x + box.w, y + box.h], radius=8 * s,
                           fill=(255, 255, 255, 240), outline=(120, 120, 120, 255),
                           width=max(1, round(s)))
    cy = y + pad
    for text, kind, val in box.rows:
        tx, mid = x + pad, cy + row_h / 2
        if kind == "width":
            draw.line([(tx, mid), (tx + sw, mid)], fill=_hex("#555555"),
                      width=max(1, round(val * s)))
        elif kind == "line":
            draw.line([(tx, mid), (tx + sw, mid)], fill=_hex(val), width=round(5 * s))
        elif kind == "dash":
            for i in range(4):
                draw.line([(tx + i * sw / 4, mid), (tx + i * sw / 4 + sw / 8, mid)],
                          fill=_hex("#555555"), width=round(3 * s))
        elif kind == "dot":
            r = 9 * s
            draw.ellipse([tx + sw / 2 - r, mid - r, tx + sw / 2 + r, mid + r], fill=_hex(val),
                         outline=_hex("#333333"))
        elif kind == "fill":
            draw.rectangle([tx + 6 * s, mid - 9 * s, tx + sw - 6 * s, mid + 9 * s],
                           fill=_hex(val), outline=_hex("#666666"))
        if kind and kind != "title":
            tx += sw + 10 * s
        draw.text((tx, mid), text, font=bold if kind == "title" else font,
                  fill=(20, 20, 20, 255), anchor="lm")
        cy += row_h


def _legend_rows(spec: LegendSpec) -> list[Row]:
    rows: list[Row] = [(spec.title or "Legend", "title", None)]
    rows += [(label, "width", px) for label, px in spec.widths]
    rows += [(label, "line", c) for label, c in spec.lines]
    if spec.dashed:
        rows.append((spec.dashed, "dash", None))
    rows += [(label, "dot", c) for label, c in spec.nodes]
    rows += [(label, "fill", c) for label, c in spec.classes]
    rows += [(n, "", None) for n in spec.notes]
    return rows


# --------------------------------------------------------------------------- layout


def _data_bounds(points: np.ndarray) -> tuple[float, float, float, float]:
    """lon/lat bounds of ``points`` (the whole world when there are none), at least a few
    degrees wide so one place still fits; the map's own fit rule, with a slide's spans."""
    a = np.asarray(points, dtype="float64").reshape(-1, 2)
    b = data_bounds(a[:, 0], a[:, 1], min_span=(8.0, 6.0), lat_limits=(-80.0, MAX_LAT))
    if b is None:
        return (-170.0, -58.0, 180.0, 78.0)
    (s, w), (n, e) = b
    return (w, s, e, n)


def _fit_box(bounds: tuple[float, float, float, float], W: float, H: float,  # noqa: N803
             top: float, legend: _Box, caveat: _Box, s: float) -> Rect:
    """The pixel box the data is fitted into: the candidate (boxes below the data, beside
    it, or one of each) that lets the data be drawn largest, so no box covers data."""
    m, gap = 20 * s, 16 * s
    lw, lh, cw, ch = legend.w + m + gap, legend.h + m + gap, caveat.w + m + gap, caveat.h + m + gap
    candidates = [
        (m, top, W - m, H - max(lh, ch)),  # both boxes below
        (lw, top, W - cw, H - m),  # both boxes beside
        (lw, top, W - m, H - ch),  # legend beside, caveat below
        (m, top, W - cw, H - lh),  # legend below, caveat beside
    ]
    mx0, my0 = project(bounds[0], bounds[1])
    mx1, my1 = project(bounds[2], bounds[3])
    dx, dy = max(mx1 - mx0, 1e-9), max(my1 - my0, 1e-9)
    pad = 50 * s  # room for circles and labels at the edge

    def scale(b: Rect) -> float:
        return min((b[2] - b[0] - 2 * pad) / dx, (b[3] - b[1] - 2 * pad) / dy)

    best = max(candidates, key=scale)
    return (best[0] + pad, best[1] + pad, best[2] - pad, best[3] - pad)


def _overlaps(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _draw_labels(draw: ImageDraw.ImageDraw, labels: Sequence[Label], proj: _Projection,
                 s: float, blocked: list[Rect], frame: Rect) -> int:
    """Write each label beside its place (right, left, above, below: the first spot that
    overlaps no other label or box); a label with no free spot is left out. Returns how
    many were written."""
    font = _font(round(LABEL_PX * s), bold=True)
    halo = max(2, round(4 * s))
    taken = list(blocked)
    written = 0
    for lab in labels:
        (x, y), r = proj([[lab.lon, lab.lat]])[0], lab.radius * s + 6 * s
        text = lab.text if len(lab.text) <= 40 else lab.text[:39] + "…"
        x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=font, anchor="lm", stroke_width=halo)
        w, h = x1 - x0, y1 - y0
        spots = [(x + r, y - h / 2), (x - r - w, y - h / 2), (x - w / 2, y - r - h),
                 (x - w / 2, y + r)]
        if lab.radius <= 0:  # a country's name: centred on its label point first
            spots.insert(0, (x - w / 2, y - h / 2))
        for sx, sy in spots:
            rect = (sx, sy, sx + w, sy + h)
            inside = (rect[0] >= frame[0] and rect[1] >= frame[1] and rect[2] <= frame[2]
                      and rect[3] <= frame[3])
            if inside and not any(_overlaps(rect, t) for t in taken):
                draw.text((sx - x0, sy + h / 2), text, font=font, anchor="lm",
                          fill=(20, 20, 20, 255), stroke_width=halo,
                          stroke_fill=(255, 255, 255, 255))
                taken.append(rect)
                written += 1
                break
    return written


def render_png(
    layers: list[dict],
    spec: LegendSpec,
    caveat: Caveat,
    path: str | Path,
    *,
    title: str = "",
    countries: Any = None,
    size: tuple[int, int] = SLIDE_SIZE,
    fit: Any = None,
    labels: Sequence[Label] = (),
) -> Path:
    """Draw GeoJSON layers (with ``style`` properties), labels and the boxes to a PNG.

    The view is fitted to ``fit`` (lon/lat points: the places drawn), else to every
    coordinate of the layers.
    """
    ss = 2
    W, H = size[0] * ss, size[1] * ss  # noqa: N806 -- image width/height
    s = ss * size[1] / 1080
    img = Image.new("RGBA", (W, H), _hex("#dbe6ef"))
    draw = ImageDraw.Draw(img, "RGBA")
    legend = _measure(draw, _legend_rows(spec), s, 0.3 * W)
    cav = _measure(draw, [(t, "", None) for t in caveat.lines()], s, 0.36 * W)
    header = _header(draw, title, caveat.synthetic, W, s)
    top = header.bottom + 10 * s if (title or caveat.synthetic) else 20 * s
    if fit is None:
        fit = [c for fc in layers for f in fc["features"] if f["geometry"]
               for c in _all_coords(f["geometry"])]
    bounds = _data_bounds(np.asarray(fit, dtype="float64"))
    proj = _Projection(bounds, _fit_box(bounds, W, H, top, legend, cav, s))
    if countries is None:
        countries = default_countries()
    if countries is not None and len(countries):
        base = countries_geojson(countries)
        style = {"style": {"fillColor": "#f4f3ef", "color": "#b9b9b9"}}
        _draw_features(draw, {"features": [{**f, "properties": style}
                                           for f in base["features"]]}, proj, s)
    for fc in layers:
        _draw_features(draw, fc, proj, s)
    m = 20 * s
    legend_xy = (m, H - m - legend.h)
    cav_xy = (W - m - cav.w, H - m - cav.h)
    blocked = [(*legend_xy, legend_xy[0] + legend.w, legend_xy[1] + legend.h),
               (*cav_xy, cav_xy[0] + cav.w, cav_xy[1] + cav.h)]
    if title:
        for i, line in enumerate(header.lines):
            draw.text((30 * s, 24 * s + i * header.line_h), line, font=header.font,
                      fill=(20, 20, 20, 255), stroke_width=round(3 * s),
                      stroke_fill=(255, 255, 255, 255))
        blocked.append((0, 0, header.title_end, header.bottom))
    if header.banner is not None:
        x0, y0, x1, y1 = header.banner
        draw.rectangle([x0, y0, x1, y1], fill=_hex("#b00020"))
        draw.text(((x0 + x1) / 2, (y0 + y1) / 2), SYNTHETIC_TEXT, font=_banner_font(s),
                  fill=(255, 255, 255, 255), anchor="mm")
        blocked.append((x0, 0, x1, y1 + 4 * s))
    _draw_labels(draw, labels, proj, s, blocked, (m, m, W - m, H - m))
    _draw_box(draw, legend, *legend_xy, s)
    _draw_box(draw, cav, *cav_xy, s)
    out = img.convert("RGB").resize(size, Image.Resampling.LANCZOS)
    from dashboard.maps.exports import _atomic_write  # lazy: exports re-exports this module

    return _atomic_write(Path(path), lambda p: out.save(p, format="PNG", optimize=True))


@dataclass(slots=True)
class _Header:
    lines: list[str]  # the title, wrapped
    font: Any
    line_h: float
    title_end: float  # x where the widest title line ends
    banner: tuple[float, float, float, float] | None  # the SYNTHETIC banner's box
    bottom: float


def _banner_font(s: float) -> Any:
    return _font(round(34 * s), bold=True)


def _header(draw: ImageDraw.ImageDraw, title: str, synthetic: bool, W: float,  # noqa: N803
            s: float) -> _Header:
    """Where the title and the SYNTHETIC banner go, never one over the other.

    The banner sits in the middle; a title that would reach it pushes it to the right,
    and a title too long for the room beside it is set smaller and wrapped (two lines
    at most, the rest cut with an ellipsis): a slide must show both whole.
    """
    margin, gap = 30 * s, 30 * s
    banner_w = draw.textlength(SYNTHETIC_TEXT, font=_banner_font(s)) + 48 * s if synthetic else 0
    room = W - 2 * margin - (banner_w + gap if synthetic else 0)
    for size in (40, 34, 30):
        font = _font(round(size * s), bold=True)
        lines = [t for t, _, _ in _wrap(draw, [(title, "", None)], font, room, 0)] if title else []
        if len(lines) <= 2:
            break
    if len(lines) > 2:
        last = " ".join(lines[1:])
        while last and draw.textlength(last + "…", font=font) > room:
            last = last[:-1]
        lines = [lines[0], last.rstrip() + "…"]
    line_h = round(size * 1.3) * s
    title_end = margin + max((draw.textlength(t, font=font) for t in lines), default=0)
    banner = None
    if synthetic:
        x0 = (W - banner_w) / 2
        if lines and title_end + gap > x0:
            x0 = W - margin - banner_w
        banner = (x0, 16 * s, x0 + banner_w, 76 * s)
    bottom = max(80 * s, 24 * s + len(lines) * line_h + 6 * s)
    return _Header(lines, font, line_h, title_end, banner, bottom)


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


# --------------------------------------------------------------------------- flow map


def top_corridors(result: FlowResult, n: int | None) -> FlowResult:
    """``result`` with only its ``n`` largest drawn corridors marked shown (by cases)."""
    shown = result.shown_flows
    if n is None or len(shown) <= n:
        return result
    flows = result.flows.copy()
    keep = shown.sort_values(["count", "records"], ascending=False, kind="stable").index[:n]
    flows["shown"] = flows.index.isin(keep)
    return result.with_flows(flows)


def write_flow_png(result: FlowResult, path: str | Path, *, title: str = "",
                   options: FlowMapOptions | None = None, countries: Any = None,
                   size: tuple[int, int] = SLIDE_SIZE,
                   max_corridors: int | None = MAX_CORRIDORS,
                   max_labels: int = MAX_LABELS) -> Path:
    """The flow map as a slide: the top ``max_corridors`` corridors, the places they join
    (and the largest others), the ``max_labels`` largest places named, fitted to them."""
    opts = replace(options or FlowMapOptions(), max_nodes=max_labels)
    slide = top_corridors(result, max_corridors)
    arcs, spec = arc_features(slide, opts)
    for f in arcs["features"]:  # chevrons are drawn in pixels, thin, by the renderer
        f["geometry"] = {**f["geometry"], "coordinates": f["geometry"]["coordinates"][:-1]}
        f["properties"]["arrow"] = True
    arcs["features"].reverse()  # largest last, on top
    nodes, node_items = node_features(slide, opts)
    spec.nodes = node_items
    cav = caveat_for(slide, opts.max_nodes)
    drawn = len(slide.shown_flows)
    if drawn < len(result.shown_flows):
        cav.extra = [e for e in cav.extra if "corridors drawn" not in e]
        cav.extra.insert(0, f"top {drawn:,} of {result.summary.flows_total:,} corridors shown"
                            " (largest first)")
    pl = slide.drawn_places(opts.max_nodes)
    radius = [f["properties"]["style"]["radius"] for f in nodes["features"]]
    labels = [Label(str(n), float(x), float(y), r) for n, x, y, r in zip(
        pl["name"], pl["lon"], pl["lat"], radius, strict=True)][:max_labels]
    fit = np.column_stack([pl["lon"].to_numpy(float), pl["lat"].to_numpy(float)])
    return render_png([arcs, nodes], spec, cav, path, title=title or opts.title,
                      countries=countries if countries is not None else opts.countries,
                      size=size, fit=fit, labels=labels)


# --------------------------------------------------------------------------- hotspots


def write_hotspot_png(hot: Any, path: str | Path, *, title: str = "", countries: Any = None,
                      size: tuple[int, int] = SLIDE_SIZE, max_labels: int = 10) -> Path:
    """The hotspot map as a slide: fitted to the countries with data, the largest named."""
    from dashboard.maps.hotspot_map import (
        country_labels,
        hotspot_bounds,
        hotspot_caveat,
        hotspot_features,
    )

    choro, cells, spec = hotspot_features(hot)
    labels = [Label(*row) for row in country_labels(hot, max_labels)]
    return render_png([choro, cells], spec, hotspot_caveat(hot), path, title=title,
                      countries=countries, size=size, fit=hotspot_bounds(hot), labels=labels)
