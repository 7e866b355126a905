"""The route-flow map: all arcs in ONE GeoJSON layer, all places in another (DESIGN §5).

One ``folium.GeoJson`` for every arc (a PolyLine per flow is ~20x slower to build and
much larger), styled from a ``style`` property per feature; width by volume on a square
root scale stated in the legend, colour by leg role (Okabe-Ito, colour-blind safe) or by
an attribute; a chevron on each arc shows direction; flows reported without a number are
thin and dashed. Tooltips are lists of plain strings set with textContent (escape.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import folium
import numpy as np
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from dashboard.maps.arcs import chevrons, wrap_parts
from dashboard.maps.escape import TOOLTIP_JS, html_text, script_json
from dashboard.maps.flows import FlowResult, located
from dashboard.maps.focus_place import place_name
from dashboard.maps.legend import Caveat, LegendSpec, LegendStyle, MapLegend
from dashboard.maps.offline import DEFAULT_PREFIX, base_map
from dashboard.maps.suppression import (
    WITHHELD_ROLE,
    figure_or_withheld,
    records_text,
    reported_without_a_number,
    years_withheld,
)
from dashboard.maps.wording import counted

# Okabe & Ito (2008), the usual colour-blind-safe qualitative palette
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#F0E442",
             "#000000")
OTHER_COLOUR = "#999999"
LEG_ROLE_COLOURS = {
    "origin→transit": "#E69F00",
    "transit→transit": "#CC79A7",
    "transit→destination": "#56B4E9",
    "origin→destination": "#0072B2",
}
NODE_COLOURS = {"origin": "#D55E00", "transit": "#F0E442", "destination": "#009E73",
                WITHHELD_ROLE: "#BBBBBB"}
NODE_LABELS = {"origin": "Origin", "transit": "Transit", "destination": "Destination",
               WITHHELD_ROLE: "Role withheld (every count below K)"}
COORD_DP = 4
FAINT = 0.3  # fill opacity of a place none of whose corridors is drawn
FAINT_SWATCH = "#F2F2F2"  # its legend dot: a pale circle with the usual outline


@dataclass(slots=True)
class MapOptions:
    """What every map shares: basemap, assets, legend text, labels, country shapes, height."""

    basemap: str = "vector"
    assets: str = "inline"
    prefix: str = DEFAULT_PREFIX
    title: str = ""
    present: bool = False
    labels: int = 10  # the largest places named on the map (permanent labels)
    countries: Any = None
    height: str = "100%"
    tiles: bool = True  # False: a light or dark basemap's colours without online tiles

    def base_map(self) -> folium.Map:
        """An empty offline map (offline.base_map) with these options, and the legend's
        stylesheet: everything a view's layers are drawn over."""
        m = base_map(assets=self.assets, prefix=self.prefix, basemap=self.basemap,
                     countries=self.countries, tiles=self.tiles, height=self.height,
                     zoom_snap=0.25)
        m.add_child(LegendStyle(self.present), name="legend_style")
        # the browser tab and a saved file's name in a list say which map it is; branca
        # puts the title into the page as it is, so it is escaped here
        m.get_root().title = html_text(self.title) if self.title else None
        return m


@dataclass(slots=True)
class FlowMapOptions(MapOptions):
    """How to draw routes: colour scheme and the width and radius scales in px."""

    colour_by: str = "role"  # "role", or "attribute" to use the query's colour_by values
    show_nodes: bool = True
    min_width: float = 1.5
    max_width: float = 14.0
    max_radius: float = 22.0
    max_nodes: int | None = 300  # places drawn: ends of drawn arcs, plus the largest N others


def width_scale(counts: np.ndarray, max_count: float, lo: float, hi: float) -> np.ndarray:
    """Line width in px: ``lo + (hi - lo) * sqrt(count / max)`` (area-like, stated)."""
    if max_count <= 0:
        return np.full(len(counts), lo)
    return lo + (hi - lo) * np.sqrt(np.clip(counts / max_count, 0.0, 1.0))


def _nice(x: float) -> int:
    if x <= 1:
        return 1
    p = 10 ** int(np.floor(np.log10(x)))
    for m in (1, 2, 5, 10):
        if m * p >= x:
            return int(m * p) if m * p <= x * 1.25 else int(max(1, (m // 2 or 1) * p))
    return int(x)


def width_legend(max_count: int, lo: float, hi: float, smallest: int = 1
                 ) -> list[tuple[str, float]]:
    """Up to three sample widths (largest, a quarter, a small value) for the legend, none
    below ``smallest`` (the least count drawn: with counts below K withheld, a sample of
    "1 case" would say such corridors are on the map)."""
    if max_count <= 0:
        return []
    nice = {_nice(max_count / 4), _nice(max(1, max_count / 25))}
    samples = {s for s in nice if s >= smallest} | {max_count}
    if len(samples) < 3 and 1 < smallest < max_count:
        samples.add(smallest)  # the thinnest line drawn, where a nice value was too small
    samples = sorted(samples, reverse=True)
    return [(counted(s, "case"),
             float(width_scale(np.array([s]), max_count, lo, hi)[0]))
            for s in samples]


def _years(lo: Any, hi: Any) -> str | None:
    if pd.isna(lo):
        return None
    return f"Years {int(lo)}" if pd.isna(hi) or lo == hi else f"Years {int(lo)}–{int(hi)}"


def _colours(flows: pd.DataFrame, opts: FlowMapOptions) -> tuple[np.ndarray, list[tuple[str, str]]]:
    if opts.colour_by == "attribute" and "colour_value" in flows:
        totals = flows.groupby("colour_value", sort=False)["count"].sum()
        top = list(totals.sort_values(ascending=False, kind="stable").index[: len(OKABE_ITO) - 1])
        palette = dict(zip(top, OKABE_ITO, strict=False))
        colours = flows["colour_value"].map(palette).fillna(OTHER_COLOUR).to_numpy(dtype=object)
        items = [(str(v), palette[v]) for v in top]
        if len(totals) > len(top):
            items.append(("Other", OTHER_COLOUR))
        return colours, items
    colours = flows["leg_role"].map(LEG_ROLE_COLOURS).fillna(OTHER_COLOUR).to_numpy(dtype=object)
    present = [r for r in LEG_ROLE_COLOURS if (flows["leg_role"] == r).any()]
    items = [(r.replace("→", " → "), LEG_ROLE_COLOURS[r]) for r in present]
    if (colours == OTHER_COLOUR).any():
        items.append(("Other leg", OTHER_COLOUR))
    return colours, items


def arc_features(result: FlowResult, opts: FlowMapOptions) -> tuple[dict, LegendSpec]:
    """The drawn arcs as a GeoJSON dict (arc + chevron per feature) and their legend."""
    flows, arcs = result.drawn_corridors
    spec = LegendSpec(title="Routes")
    if flows.empty:
        return {"type": "FeatureCollection", "features": []}, spec
    counts = flows["count"].to_numpy(dtype="float64")
    no_number = reported_without_a_number(counts, flows["uncounted"].to_numpy())
    max_count = float(counts.max())
    widths = width_scale(counts, max_count, opts.min_width, opts.max_width)
    widths[no_number] = opts.min_width
    colours, items = _colours(flows, opts)
    if opts.colour_by == "attribute" and "colour_value" in flows:
        # what the colours name: a corridor of women and men takes the value of most cases
        spec.title = f"Routes by {result.query.colour_by}"
        spec.notes.append(f"Colour: the {result.query.colour_by} of most cases on the corridor")
    heads = chevrons(arcs)
    heads[..., 0] = (heads[..., 0] + 180.0) % 360.0 - 180.0
    heads = np.round(heads, COORD_DP).tolist()
    crosses = (np.abs(arcs[..., 0]) > 180.0).any(axis=1)
    arcs_list = np.round(arcs, COORD_DP).tolist()
    k = result.withheld.threshold
    columns = [flows[c].to_numpy() for c in (
        "from_name", "to_name", "count", "records", "uncounted", "year_min", "year_max",
        "leg_role", "rolled_up")]
    cval = flows["colour_value"].to_numpy() if "colour_value" in flows else None
    features = []
    for i, (fn, tn, cnt, rec, unc, y0, y1, role, rolled) in enumerate(zip(*columns, strict=True)):
        tip = [f"{fn} → {tn}"]
        tip.append("Reported without a number" if no_number[i] else f"{int(cnt):,} cases")
        tip.append(records_text(int(rec), k))
        if unc and not no_number[i]:  # records too: withheld below K like them
            tip.append(f"{figure_or_withheld(int(unc), k)} reported without a number"
                       " (not counted)")
        yr = _years(y0, y1)
        if yr:
            tip.append(yr)
        tip.append(f"Leg: {role}")
        if cval is not None:
            tip.append(f"{result.query.colour_by} of most cases: {cval[i]}")
        if rolled:
            tip.append(f"Includes small counts rolled up to country level (K={k})")
        lines = ([np.round(part, COORD_DP).tolist() for part in wrap_parts(arcs[i])]
                 if crosses[i] else [arcs_list[i]])
        style = {"color": colours[i], "weight": round(float(widths[i]), 1), "opacity": 0.8}
        if no_number[i]:
            style["dashArray"] = "6 6"
        features.append({
            "type": "Feature",
            "geometry": {"type": "MultiLineString", "coordinates": [*lines, heads[i]]},
            "properties": {"style": style, "tip": tip},
        })
    counted_flows = counts[~no_number]
    smallest = int(counted_flows.min()) if len(counted_flows) else 1
    spec.widths = width_legend(int(max_count), opts.min_width, opts.max_width, smallest)
    spec.lines = items
    if no_number.any() or result.summary.uncounted_selected:
        spec.dashed = "Reported without a number"
    spec.notes.append("Line width ∝ √cases; chevrons show direction")
    return {"type": "FeatureCollection", "features": features}, spec


def _count_text(v: Any, k: int) -> str:
    return f"fewer than {k} (withheld)" if pd.isna(v) else f"{int(v):,}"


def _node_radius(total: np.ndarray, largest: float, max_radius: float) -> np.ndarray:
    """Circle radius in px: 3 px plus the rest of ``max_radius`` by ``sqrt(total / largest)``
    (area-like, as the legend states); the same for a place's circle and its label."""
    return 3.0 + (max_radius - 3.0) * np.sqrt(total / max(largest, 1.0))


def node_features(result: FlowResult, opts: FlowMapOptions) -> tuple[dict, list[tuple[str, str]]]:
    """Places as GeoJSON points sized by total volume and coloured by main role."""
    pl = result.drawn_place_table(opts.max_nodes)
    if pl.empty:
        return {"type": "FeatureCollection", "features": []}, []
    tot = pl["total"].to_numpy(dtype="float64")
    radius = _node_radius(tot, tot.max(), opts.max_radius)
    lon = np.round(pl["lon"].to_numpy(dtype="float64"), COORD_DP).tolist()
    lat = np.round(pl["lat"].to_numpy(dtype="float64"), COORD_DP).tolist()
    k = result.withheld.threshold
    features = []
    few_places = years_withheld(pl)
    # with a top N, the largest places off its corridors are drawn too (their totals),
    # faint: a full circle with no arc read as a big destination of the N drawn
    shown = result.drawn_corridors[0]
    # with none drawn at all (a minimum none reaches, or all withheld) every place is
    # off them; a view that never had a corridor keeps its circles full
    any_corridor = (len(shown) or result.summary.flows_total or result.withheld.corridors
                    or result.query.min_count)
    off = (~pl["key"].isin(set(shown["from_key"]) | set(shown["to_key"]))).to_numpy() \
        if any_corridor else np.zeros(len(pl), dtype=bool)
    rows = pl.rename(columns={"in": "in_"})
    for i, row in enumerate(rows.itertuples(index=False)):
        sub = ", ".join(s for s in (row.kind, row.iso3) if s)
        tip = [str(row.name) + (f" ({sub})" if sub else "")]
        tip.append(f"Out (origin): {_count_text(row.out, k)}")
        tip.append(f"Through (transit): {_count_text(row.through, k)}")
        tip.append(f"In (destination): {_count_text(row.in_, k)}")
        tip.append(f"Records: {_count_text(row.records, k)}")
        few = few_places[i]  # when its few cases were, or how many had no number, is not said
        if row.uncounted and not few:
            tip.append(f"{figure_or_withheld(int(row.uncounted), k)} reported without a number")
        yr = None if few else _years(row.year_min, row.year_max)
        if yr:
            tip.append(yr)
        if row.rolled_up:
            tip.append("Includes small counts from places in this country")
        if off[i]:
            tip.append("None of its corridors is among those drawn")
        style = {"radius": round(float(radius[i]), 1), "fill": True,
                 "fillColor": NODE_COLOURS[row.role],
                 "color": "#333333" if not off[i] else "#888888", "weight": 1,
                 "fillOpacity": 0.9 if not off[i] else FAINT}
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon[i], lat[i]]},
            "properties": {"style": style, "tip": tip},
        })
    roles = [r for r in NODE_COLOURS if (pl["role"] == r).any()]
    labels = [NODE_LABELS[r].replace(" K)", f" {k})") for r in roles]
    items = [(f"{label} (circle size ∝ √cases)" if i == 0 else label, NODE_COLOURS[r])
             for i, (label, r) in enumerate(zip(labels, roles, strict=True))]
    if off.any():
        items.append(("Faint: none of its corridors drawn", FAINT_SWATCH))
    return {"type": "FeatureCollection", "features": features}, items


def filters_line(result: FlowResult, of_corridors: bool = True) -> str:
    """"Filters: exploitation: sexual; routes through Pakistan": what narrowed the view,
    so a map passed on without its link still says what it leaves out. The minimum
    corridor count is one only for a map of corridors (``of_corridors``)."""
    q = result.query
    parts = [f"{col}: {', '.join(str(v) for v in values)}"
             for col, values in sorted(q.attributes.items()) if values]
    if q.focus:
        parts.append(f"routes through {focus_name(result)}")
    if q.min_count and of_corridors:
        parts.append(f"corridors of {q.min_count:,}+ cases")
    return "Filters: " + "; ".join(parts) if parts else ""


def focus_name(result: FlowResult) -> str:
    """The focus place's name: from the places, the nodes, else the gazetteer."""
    return place_name(result.query.focus or "", result.place_table, result.nodes)


def caveat_for(result: FlowResult, max_nodes: int | None = None, *,
               of_corridors: bool = True) -> Caveat:
    """The caveat box content for a flow result; a map of place totals, not corridors
    (``of_corridors`` False), leaves out what only corridors have."""
    s = result.summary
    extra = [line for line in [filters_line(result, of_corridors)] if line]
    n_pl = int(located(result.place_table).sum())
    if max_nodes is not None and n_pl > max_nodes:
        drawn = len(result.drawn_place_table(max_nodes))
        if drawn < n_pl:
            extra.append(f"{drawn:,} of {n_pl:,} places drawn (largest and route ends)")
    if of_corridors and s.flows_total > s.flows_shown:
        extra.append(f"{s.flows_shown:,} of {s.flows_total:,} corridors drawn (largest first)")
    if of_corridors and s.flows_unmapped:
        extra.append(f"{counted(s.flows_unmapped, 'corridor')} not mapped:"
                     " a place could not be located")
    if s.uncounted_selected:  # a count of records: withheld below K as the others are
        extra.append(f"{records_text(s.uncounted_selected, result.withheld.threshold)} "
                     "reported without a number, not counted as cases")
    if s.layout == "matrix" and s.years and s.years[0] != s.years[1]:
        # an origin-destination matrix per year is most often a stock: its years add up
        # the same people again (UN DESA's Mexico -> USA read 68 million over 7 years)
        extra.append(f"The matrix's years {s.years[0]}–{s.years[1]} are added together: "
                     "pick one year for a snapshot")
    return Caveat(source=s.source, dataset=s.name, records=s.records_selected, years=s.years,
                  suppression=result.withheld.message() if result.withheld.active else "",
                  synthetic=s.synthetic, extra=extra, k=result.withheld.threshold,
                  no_year=s.records_no_year)


def data_bounds(lon: Any, lat: Any, min_span: tuple[float, float] = (4.0, 4.0),
                lat_limits: tuple[float, float] = (-85.0, 85.0)) -> list[list[float]] | None:
    """[[south, west], [north, east]] around the points (latitudes taken within -80..84),
    at least ``min_span`` (lon, lat) degrees across (one place alone is not a street map)
    and within ``lat_limits``; None when there is no point. The slide PNG fits with it too."""
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return None
    lon, lat = lon[ok], np.clip(lat[ok], -80.0, 84.0)
    w, e, s, n = lon.min(), lon.max(), lat.min(), lat.max()
    cx, cy = (w + e) / 2, (s + n) / 2
    half_x, half_y = min_span[0] / 2, min_span[1] / 2
    w, e = min(w, cx - half_x), max(e, cx + half_x)
    s, n = max(min(s, cy - half_y), lat_limits[0]), min(max(n, cy + half_y), lat_limits[1])
    return [[float(s), float(w)], [float(n), float(e)]]


class FitView(MacroElement):
    """Open the map on ``bounds`` when the layer group it belongs to is added to a map,
    padded so the boxes over the map cover no data: the legend and caveat in the bottom
    corners, the title and banner at the top. The padding is measured from the boxes as
    drawn (their height follows the legend's rows, the type size and the wrapping), with
    ``options`` as the floor and never more than half the map's height.

    With a ``view`` name it fits only when that name changes: the dashboard swaps a
    view's layers in place and keeps where the user panned and zoomed, unless the view
    is a new one (another dataset, another focus place, another slide)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.on("add", function (e) {
            var view = {{ this.view }};
            if (view && window.__routemapView === view) { return; }
            window.__routemapView = view;
            var map = e.target._map, box = map.getContainer().getBoundingClientRect();
            var opts = {{ this.options }}, top = opts.paddingTopLeft[1];
            var bottom = opts.paddingBottomRight[1];
            map.getContainer().querySelectorAll(".rm-box").forEach(function (b) {
                var r = b.getBoundingClientRect();
                if (r.top - box.top < box.height / 2) {
                    top = Math.max(top, r.bottom - box.top + 10);
                } else {
                    bottom = Math.max(bottom, box.bottom - r.top + 10);
                }
            });
            opts.paddingTopLeft[1] = Math.min(top, box.height / 4);
            opts.paddingBottomRight[1] = Math.min(bottom, box.height / 2);
            map.fitBounds({{ this.bounds }}, opts);
        });
        {% endmacro %}"""
    )

    def __init__(self, bounds: list[list[float]], present: bool = False, view: str = "",
                 label_room: int = 0):
        super().__init__()
        self._name = "FitView"
        top, bottom = (60, 200) if present else (40, 120)
        self.bounds = script_json(bounds)
        # ``label_room`` px more on the right: names written to the right of their place
        self.options = script_json({"paddingTopLeft": [30, top],
                                    "paddingBottomRight": [30 + label_room, bottom]})
        self.view = script_json(view)


class PlaceLabels(MacroElement):
    """Permanent name labels for the largest places (Leaflet tooltips, not interactive).

    A Leaflet layer: the labels, and the handler that hides a label covering a larger
    place's label, come with it onto a map and go with it. The names travel as
    script-safe JSON and are set with ``textContent``: a place name is never parsed as
    HTML.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }} = new (L.Layer.extend({
            onAdd: function (map) {
                var labels = {{ this.data }};
                var tips = this._tips = [];
                for (var i = 0; i < labels.length; i++) {
                    var el = document.createElement("span");
                    el.textContent = String(labels[i][2]);
                    tips.push(L.tooltip({permanent: true, direction: {{ this.direction }},
                                         interactive: false, className: "rm-label",
                                         offset: [labels[i][3] + 2, 0]})
                        .setLatLng([labels[i][0], labels[i][1]]).setContent(el).addTo(map));
                }
                // largest first: a label goes right of its circle, else left of it, where
                // it covers no label already placed and no larger place's circle (a label
                // over the biggest circle read as naming it); else it is hidden
                var sides = [[{{ this.direction }}, 1], ["left", -1]];
                this._declutter = function () {
                    var shown = [], circles = [];
                    var box = map.getContainer().getBoundingClientRect();
                    var clear = function (r) {
                        return !shown.some(function (o) {
                            return r.left < o.right && o.left < r.right &&
                                   r.top < o.bottom && o.top < r.bottom;
                        }) && !circles.some(function (c) {
                            var dx = Math.max(r.left - c.x, 0, c.x - r.right);
                            var dy = Math.max(r.top - c.y, 0, c.y - r.bottom);
                            return dx * dx + dy * dy < c.r * c.r;
                        });
                    };
                    tips.forEach(function (t, i) {
                        var el = t.getElement();
                        if (!el) { return; }
                        var at = map.latLngToContainerPoint(t.getLatLng());
                        var placed = null;
                        var fit = {{ this.direction }} === "center" ? 1 : sides.length;
                        for (var s = 0; s < fit && !placed; s++) {
                            t.options.direction = sides[s][0];
                            t.options.offset = L.point(sides[s][1] * (labels[i][3] + 2), 0);
                            t.update();
                            var r = el.getBoundingClientRect();
                            if (clear(r)) { placed = r; }
                        }
                        if (!placed) {  // back where it was, hidden
                            t.options.direction = sides[0][0];
                            t.options.offset = L.point(labels[i][3] + 2, 0);
                            t.update();
                        }
                        el.style.visibility = placed ? "" : "hidden";
                        if (placed) { shown.push(placed); }
                        circles.push({x: box.left + at.x, y: box.top + at.y, r: labels[i][3]});
                    });
                };
                map.on("zoomend moveend resize", this._declutter);
                setTimeout(this._declutter, 0);
            },
            onRemove: function (map) {
                map.off("zoomend moveend resize", this._declutter);
                this._tips.forEach(function (t) { t.remove(); });
            }
        }))();
        {{ this._parent.get_name() }}.addLayer({{ this.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, rows: list[tuple[float, float, str, float]], direction: str = "right"):
        super().__init__()
        self._name = "PlaceLabels"
        self.direction = script_json(direction)
        self.data = script_json([[round(a, COORD_DP), round(b, COORD_DP), str(t), round(r, 1)]
                                 for a, b, t, r in rows])


def label_rows(result: FlowResult, opts: FlowMapOptions, n: int
               ) -> list[tuple[float, float, str, float]]:
    """(lat, lon, name, circle radius) of the ``n`` largest drawn places."""
    drawn = result.drawn_place_table(opts.max_nodes)
    pl = drawn.head(n)
    tot = pl["total"].to_numpy(dtype="float64")
    radius = _node_radius(tot, drawn["total"].to_numpy(dtype="float64").max(initial=0),
                          opts.max_radius)
    return [(float(a), float(b), str(t), float(r)) for a, b, t, r in zip(
        pl["lat"], pl["lon"], pl["name"], radius, strict=True)]


def flow_layers(result: FlowResult, options: FlowMapOptions | None = None, *,
                view: str = "") -> folium.FeatureGroup:
    """Everything the route-flow map draws for ``result`` over its base map: arcs,
    places, labels, legend and caveat, and the view that fits them (see :class:`FitView`
    for ``view``). One layer group, so the dashboard can swap it without a reload."""
    opts = options or FlowMapOptions()
    layers = folium.FeatureGroup(name="Routes and places", control=False)
    arcs, spec = arc_features(result, opts)
    folium.GeoJson(arcs, name="Routes", on_each_feature=folium.JsCode(TOOLTIP_JS)).add_to(layers)
    if opts.show_nodes:
        nodes, node_items = node_features(result, opts)
        spec.nodes = node_items
        folium.GeoJson(
            nodes, name="Places", marker=folium.CircleMarker(),
            on_each_feature=folium.JsCode(TOOLTIP_JS),
        ).add_to(layers)
    MapLegend(spec, caveat_for(result, opts.max_nodes if opts.show_nodes else None),
              title=opts.title).add_to(layers)
    rows = label_rows(result, opts, opts.labels) if opts.show_nodes and opts.labels else []
    if rows:
        PlaceLabels(rows).add_to(layers)
    if opts.show_nodes:
        pl = result.drawn_place_table(opts.max_nodes)
        lon, lat = pl["lon"].to_numpy(dtype="float64"), pl["lat"].to_numpy(dtype="float64")
    else:
        ends = result.drawn_corridors[1][:, [0, -1]].reshape(-1, 2)  # each arc's two ends
        lon, lat = ends[:, 0], ends[:, 1]
    bounds = data_bounds(lon, lat)
    if bounds is not None:
        FitView(bounds, opts.present, view,
                label_room=_label_room(rows, bounds, opts.present)).add_to(layers)
    return layers


def _label_room(rows: list[tuple[float, float, str, float]], bounds: list[list[float]],
                present: bool) -> int:
    """Pixels to keep free right of the data for the names written beside places in its
    eastern quarter (about 0.6 em a character: 14 px type, up to 22 px presenting)."""
    (_, west), (_, east) = bounds
    near_east = [name for _, lon, name, _ in rows if lon >= east - 0.25 * (east - west)]
    longest = max(map(len, near_east), default=0)
    return min(round(longest * (13 if present else 8.5)), 260)


def flow_map(result: FlowResult, options: FlowMapOptions | None = None) -> folium.Map:
    """Build the route-flow map for ``result``: arcs, places, legend, caveat, no CDN."""
    opts = options or FlowMapOptions()
    m = opts.base_map()
    flow_layers(result, opts).add_to(m)
    return m
