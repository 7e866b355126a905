"""Escaping for every context a dataset's text can reach on a map page (DESIGN §9).

Place names, attribute values and file names are data. Each output context needs its
own escaping, and getting one wrong lets ``<img onerror=...>``, ``${...}``, backticks,
backslashes or ``</script>`` run or break the page:

- ``html_text`` / ``html_attr``: text placed in HTML (legend, caveat, tables).
- ``script_json``: JSON embedded in a ``<script>`` element.

Tooltips on our maps avoid HTML altogether: the text travels as a JSON list of plain
strings and a small script sets it with ``textContent`` (see ``TOOLTIP_JS``).
"""

from __future__ import annotations

import html
import json
from typing import Any

# In a <script> element, "</script" ends the element and "<!--" changes parsing; in any
# JavaScript string, U+2028/U+2029 were line terminators before ES2019.
_SCRIPT_UNSAFE = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def html_text(value: object) -> str:
    """Text for an HTML element's content: ``& < > " '`` become entities."""
    return html.escape("" if value is None else str(value), quote=True)


def html_attr(value: object) -> str:
    """Text for a double- or single-quoted HTML attribute value."""
    return html_text(value).replace("`", "&#96;")


def _script_safe(text: str) -> str:
    for char, repl in _SCRIPT_UNSAFE.items():
        text = text.replace(char, repl)
    return text


def script_json(value: Any) -> str:
    """JSON safe to embed in a ``<script>`` element (``</script>`` cannot close it)."""
    return _script_safe(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


# Bound to each GeoJSON layer with ``on_each_feature``: the tooltip is the feature's
# ``tip`` property, a list of plain strings (first one bold), set with textContent so no
# dataset text is ever parsed as HTML.
TOOLTIP_JS = """function(feature, layer) {
    var tip = feature.properties && feature.properties.tip;
    if (!Array.isArray(tip) || tip.length === 0) { return; }
    layer.bindTooltip(function () {
        var box = document.createElement("div");
        box.className = "rm-tip";
        for (var i = 0; i < tip.length; i++) {
            var line = document.createElement(i === 0 ? "strong" : "div");
            line.textContent = String(tip[i]);
            box.appendChild(line);
        }
        return box;
    }, {sticky: true});
}"""
