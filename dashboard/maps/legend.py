"""Legend, caveat box and SYNTHETIC banner, always on the map (DESIGN §5 "Always on the map").

The content is described by two plain dataclasses, ``LegendSpec`` and ``Caveat``, so
the HTML map (``MapLegend``, a folium MacroElement) and the PNG export draw the same
thing. Every text is escaped here, at the one place it becomes HTML. ``present=True``
sets larger type for a shared screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from branca.element import MacroElement
from jinja2 import Template

from dashboard.maps.escape import html_attr, html_text, script_json
from dashboard.maps.suppression import below_k, records_text

PREVALENCE_NOTE = "Identified cases are not prevalence."
SYNTHETIC_TEXT = "SYNTHETIC DATA: not real cases"


@dataclass(slots=True)
class LegendSpec:
    """What the legend explains; each list holds (label, value) pairs.

    ``widths``: (label, line width in px); ``lines``: (label, colour) of arcs;
    ``dashed``: label of the dashed "reported without a number" line, if any;
    ``nodes``: (label, colour) of place circles; ``classes``: (label, fill colour) of a
    choropleth; ``notes``: extra lines (e.g. the width scale rule).
    """

    title: str = ""
    widths: list[tuple[str, float]] = field(default_factory=list)
    lines: list[tuple[str, str]] = field(default_factory=list)
    dashed: str = ""
    nodes: list[tuple[str, str]] = field(default_factory=list)
    classes: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Caveat:
    """The data caveat: source, what is shown, the prevalence note and suppression."""

    source: str = ""
    dataset: str = ""
    records: int = 0
    years: tuple[int, int] | None = None
    suppression: str = ""
    synthetic: bool = False
    extra: list[str] = field(default_factory=list)
    k: int = 0  # counts below k are withheld: the records shown too, and then their years
    no_year: int = 0  # of the records shown, those with no year

    def lines(self) -> list[str]:
        """The caveat as plain text lines, in reading order."""
        src = self.source or "not stated"
        out = [f"Source: {src}" + (f" ({self.dataset})" if self.dataset else "")]
        shown = records_text(self.records, self.k) + " shown"
        if self.years and not below_k(self.records, self.k):  # their years would date them
            a, b = self.years
            shown += f", {a}" if a == b else f", {a}–{b}"
            if self.no_year:  # "5 records shown, 2002" read as five of 2002; four had none
                shown += f" ({records_text(self.no_year, self.k)} with no year)"
        out.append(shown)
        out.append(PREVALENCE_NOTE)
        if self.suppression:
            out.append(self.suppression)
        out.extend(self.extra)
        return out


_CSS = """
.rm-box { position: absolute; z-index: 1000; background: rgba(255,255,255,0.94);
  color: #1b1b1b; border: 1px solid #888; border-radius: 4px; padding: 8px 10px;
  font: 13px/1.35 system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 34%;
  box-shadow: 0 1px 4px rgba(0,0,0,.25); cursor: auto; overflow-wrap: anywhere; }
.rm-legend { left: 10px; bottom: 24px; }
.rm-caveat { right: 10px; bottom: 24px; }
/* the title and the SYNTHETIC banner share a bar along the top, so on a narrow map
   the banner moves aside instead of lying over the title */
.rm-top { position: absolute; z-index: 1000; left: 54px; right: 10px; top: 10px;
  display: flex; align-items: flex-start; gap: 10px; pointer-events: none; }
.rm-top > .rm-box { position: static; pointer-events: auto; }
.rm-title { flex: 0 1 auto; max-width: 60%; font-weight: 600; font-size: 16px; }
.rm-top > .rm-banner { flex: none; margin: 0 auto; max-width: none; white-space: nowrap;
  background: #b00020;
  color: #fff; font-weight: 700; letter-spacing: .05em; border-color: #700014; }
.rm-box h4 { margin: 0 0 4px; font-size: 1em; }
/* the legend folds to its title on a click (a presenter uncovering the map); the
   caveat box never does */
.rm-legend h4 { cursor: pointer; }
.rm-legend h4::after { content: " \\25BE"; color: #777; }
.rm-legend.rm-folded h4 { margin: 0; }
.rm-legend.rm-folded h4::after { content: " \\25B8"; }
.rm-legend.rm-folded > :not(h4) { display: none; }
.rm-row { display: flex; align-items: center; gap: 8px; margin: 2px 0; }
.rm-swatch { display: inline-block; width: 28px; flex: none; }
.rm-dot { display: inline-block; width: 12px; height: 12px; border-radius: 50%;
  border: 1px solid #333; flex: none; }
.rm-fill { display: inline-block; width: 18px; height: 12px; border: 1px solid #666; flex: none; }
/* positioned and one line even before Leaflet's stylesheet arrives: in the dashboard it
   loads after the labels are placed, and a centred label was measured full width */
.leaflet-tooltip.rm-label { position: absolute; white-space: nowrap; background: none;
  border: 0; box-shadow: none; padding: 0;
  color: #111; font: 600 14px/1.2 system-ui, -apple-system, "Segoe UI", sans-serif;
  text-shadow: -1px -1px 0 #fff, 1px -1px 0 #fff, -1px 1px 0 #fff, 1px 1px 0 #fff,
  0 0 4px #fff, 0 0 4px #fff; pointer-events: none; }
.leaflet-tooltip.rm-label::before { display: none; }
/* presenting type is large on a 1080-line screen and keeps its share of a smaller map
   (vh is the map frame's height in the dashboard), so a laptop's map is not all boxes */
.rm-present .leaflet-tooltip.rm-label { font-size: clamp(15px, 2.75vh, 22px); }
.rm-present .rm-box { font-size: clamp(14px, 2.5vh, 20px); max-width: 40%; }
.rm-present .rm-title { font-size: clamp(18px, 3.25vh, 26px); }
.rm-present .rm-dot { width: 18px; height: 18px; }
.rm-present .rm-fill { width: 26px; height: 18px; }
/* large type on a shared screen: the legend in two columns, half as tall over the map */
.rm-present .rm-legend { max-width: 48%; column-count: 2; column-gap: 24px; }
.rm-present .rm-legend h4 { column-span: all; }
.rm-present .rm-legend > div { break-inside: avoid; }
"""


def _row(swatch: str, label: str) -> str:
    return f'<div class="rm-row">{swatch}<span>{html_text(label)}</span></div>'


def legend_html(spec: LegendSpec) -> str:
    """The legend box as escaped HTML."""
    parts = [f"<h4>{html_text(spec.title or 'Legend')}</h4>"]
    for label, px in spec.widths:
        h = max(1.0, float(px))
        sw = f'<span class="rm-swatch" style="border-top:{h:.1f}px solid #555"></span>'
        parts.append(_row(sw, label))
    for label, colour in spec.lines:
        sw = f'<span class="rm-swatch" style="border-top:4px solid {html_attr(colour)}"></span>'
        parts.append(_row(sw, label))
    if spec.dashed:
        parts.append(_row('<span class="rm-swatch" style="border-top:2px dashed #555"></span>',
                          spec.dashed))
    for label, colour in spec.nodes:
        parts.append(_row(f'<span class="rm-dot" style="background:{html_attr(colour)}"></span>',
                          label))
    for label, colour in spec.classes:
        parts.append(_row(f'<span class="rm-fill" style="background:{html_attr(colour)}"></span>',
                          label))
    parts.extend(f'<div class="rm-note">{html_text(n)}</div>' for n in spec.notes)
    return "".join(parts)


def caveat_html(caveat: Caveat) -> str:
    """The caveat box as escaped HTML."""
    return "".join(f"<div>{html_text(line)}</div>" for line in caveat.lines())


class LegendStyle(MacroElement):
    """The boxes' stylesheet, and larger type for a shared screen (``present``).

    It belongs to the base map, which the dashboard keeps while the layers over it change
    (see :func:`dashboard.maps.flow_map.flow_layers`)."""

    _template = Template(
        """{% macro header(this, kwargs) %}<style>{{ this.css }}</style>{% endmacro %}
{% macro script(this, kwargs) %}
{%- if this.present %}document.body.classList.add("rm-present");{% endif %}
{% endmacro %}"""
    )

    def __init__(self, present: bool = False):
        super().__init__()
        self._name = "LegendStyle"
        self.css = _CSS
        self.present = present


class MapLegend(MacroElement):
    """Legend, caveat, title and SYNTHETIC banner as fixed boxes over the map.

    A Leaflet layer that puts the boxes on the map when it is added and takes them off
    when it is removed, so the dashboard can swap a view's layers without reloading the
    map. The boxes' HTML is escaped here and travels as script-safe JSON; the stylesheet
    is :class:`LegendStyle`, on the base map."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }} = new (L.Layer.extend({
            onAdd: function (map) {
                var parent = map.getContainer(), top = null;
                this._boxes = {{ this.boxes }}.map(function (b) {
                    var onTop = / rm-(title|banner)$/.test(b[0]);
                    if (onTop && !top) { top = L.DomUtil.create("div", "rm-top", parent); }
                    var box = L.DomUtil.create("div", b[0], onTop ? top : parent);
                    if (b[1]) { box.setAttribute("role", b[1]); }
                    if (b[2]) { box.setAttribute("aria-label", b[2]); }
                    box.innerHTML = b[3];  // escaped on the server (legend.py)
                    L.DomEvent.disableClickPropagation(box);
                    L.DomEvent.disableScrollPropagation(box);
                    var head = b[0].indexOf("rm-legend") >= 0 && box.querySelector("h4");
                    if (head) {
                        head.setAttribute("role", "button");
                        head.setAttribute("tabindex", "0");
                        // folded stays folded for the next view in this tab (the next
                        // slide, a filter change, even on another base map): the choice
                        // is kept in the tab's session storage, apart for presenting
                        var memo = "rm-legend-folded" +
                            (document.body.classList.contains("rm-present") ? "-present" : "");
                        var remember = function (folded) {
                            try { sessionStorage.setItem(memo, folded ? "1" : ""); } catch (e) {}
                        };
                        var shut = false;
                        try { shut = sessionStorage.getItem(memo) === "1"; } catch (e) {}
                        box.classList.toggle("rm-folded", shut);
                        head.setAttribute("aria-expanded", String(!shut));
                        var fold = function () {
                            var folded = box.classList.toggle("rm-folded");
                            remember(folded);
                            head.setAttribute("aria-expanded", String(!folded));
                        };
                        head.addEventListener("click", fold);
                        head.addEventListener("keydown", function (e) {
                            if (e.key === "Enter" || e.key === " ") { e.preventDefault(); fold(); }
                        });
                    }
                    return box;
                });
                this._top = top;
            },
            onRemove: function () {
                this._boxes.forEach(function (box) { L.DomUtil.remove(box); });
                if (this._top) { L.DomUtil.remove(this._top); }
            }
        }))();
        {{ this._parent.get_name() }}.addLayer({{ this.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, spec: LegendSpec, caveat: Caveat, *, title: str = ""):
        super().__init__()
        self._name = "MapLegend"
        boxes = [["rm-box rm-legend", "region", "Legend", legend_html(spec)],
                 ["rm-box rm-caveat", "note", "", caveat_html(caveat)]]
        if title:
            boxes.append(["rm-box rm-title", "", "", html_text(title)])
        if caveat.synthetic:
            boxes.append(["rm-box rm-banner", "alert", "", html_text(SYNTHETIC_TEXT)])
        self.boxes = script_json(boxes)
