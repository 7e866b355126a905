"""Render every map element's template once: what it wrote is never read as a template again.

branca's ``MacroElement.render`` wraps the text each macro produced in ``Element(text)``,
and ``Element`` compiles its argument as a Jinja template, so the page is rendered twice.
Everything a macro wrote is by then data: place names in tooltips, attribute values in
the legend, the file name in the caveat box. A dataset value such as
``{{ cycler.__init__.__globals__.os.getcwd() }}`` was evaluated as Python on the machine
drawing the map (the dashboard's server), and ``{% raw %}`` stopped the map with a
TemplateSyntaxError. The second pass also lexed the inlined Leaflet and the 1.1 MB basemap
on every export (about 50 ms).

:func:`install` replaces that one method with the same steps, keeping the rendered text
as it is. folium's style mapper relies on the second pass only for style values that are
other map elements (fill patterns); no routemap map uses those. ``offline`` installs it
on import, and every map is built on its ``base_map``, so every map renders this way, in
the exports and in the dashboard.
"""

from __future__ import annotations

from typing import Any

from branca.element import Element, Figure, MacroElement


class RenderedText(Element):
    """Text a template has already produced, written out exactly as it is."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "RenderedText"
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


def _render_macro_once(self: MacroElement, **kwargs: Any) -> None:
    """``MacroElement.render`` as branca writes it, minus the second template pass."""
    figure = self.get_root()
    if not isinstance(figure, Figure):
        raise TypeError("You cannot render this Element if it is not in a Figure.")
    macros = self._template.module.__dict__
    for part in ("header", "html", "script"):
        macro = macros.get(part)
        if macro is not None:
            getattr(figure, part).add_child(RenderedText(str(macro(self, kwargs))),
                                            name=self.get_name())
    for element in self._children.values():
        element.render(**kwargs)


_render_macro_once.installed = True  # type: ignore[attr-defined]


def install() -> None:
    """Make ``MacroElement.render`` render once (idempotent)."""
    if not getattr(MacroElement.render, "installed", False):
        MacroElement.render = _render_macro_once  # type: ignore[method-assign]
