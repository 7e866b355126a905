"""The exported map in a real headless Chromium: it draws, needs no network, runs no data.

Uses Debian's /usr/bin/chromium through Playwright (never a downloaded browser). Every
request is recorded and anything that is not file:// is aborted, so "no outbound request"
is measured, not assumed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _browser import NEEDS_BROWSER
from _maps_data import PLACES, make_countries, make_dataset, make_places

from dashboard.maps.exports import write_html
from dashboard.maps.flow_map import FlowMapOptions, flow_map
from dashboard.maps.flows import FlowQuery, compute_flows
from dashboard.maps.hotspot_map import HotspotOptions, compute_hotspots, hotspot_map

EVIL = ("<img src=x onerror=window.__pwned=1>${window.__pwned=1}`\\`</script>"
        "<svg onload=window.__pwned=1>{{ dict(pw=1)|first }}ned{% raw %}")

pytestmark = NEEDS_BROWSER  # the session `browser` fixture is in conftest.py


def open_page(browser, path: Path):
    """Open ``path`` with the network cut; returns (page, requests attempted, page errors)."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    requests: list[str] = []
    errors: list[str] = []

    def route(r):
        requests.append(r.request.url)
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_timeout(400)
    return page, requests, errors


def evil_dataset():
    places = make_places([(k, f"{EVIL} {n}", kind, iso, lat, lon)
                          for k, n, kind, iso, lat, lon in PLACES])
    routes = [([0, 4, 3], 10, 2015), ([1, 3], 7, 2016), ([2, 0], 6, 2018), ([6, 7], 8, 2020),
              ([7, 6], None, 2020)]
    return make_dataset(routes, places, attrs={"gender": [EVIL, "f", EVIL, "m", "f"]},
                        synthetic=True, name=f"{EVIL}.csv")


OPEN_ALL_TOOLTIPS = """() => {
    const map = Object.keys(window).filter(k => k.startsWith('map_')).map(k => window[k])
        .find(v => v && typeof v.eachLayer === 'function');
    let opened = 0;
    const texts = [];
    map.eachLayer(l => {
        if (l.getTooltip && l.getTooltip()) {
            const at = l.getLatLng ? l.getLatLng() : l.getBounds().getCenter();
            l.openTooltip(at);
            const el = l.getTooltip().getElement();
            if (el) { texts.push(el.textContent); opened++; }
            l.closeTooltip();
        }
    });
    return {opened, texts};
}"""


def test_flow_map_draws_offline_and_hostile_text_stays_text(browser, tmp_path):
    ds = evil_dataset()
    countries = make_countries()
    r = compute_flows(ds, FlowQuery(suppress=0, colour_by="gender"), countries=countries)
    m = flow_map(r, FlowMapOptions(colour_by="attribute", countries=countries, title=EVIL))
    out = write_html(m, tmp_path / "map.html")
    page, requests, errors = open_page(browser, out)
    assert page.evaluate("typeof window.L") == "object"
    assert page.locator(".leaflet-overlay-pane path").count() >= 5 + 7  # arcs + places
    assert page.locator(".leaflet-basemap-pane path").count() == len(countries)
    # hover every place circle with the mouse, then open every tooltip through Leaflet
    circles = page.locator(".leaflet-overlay-pane path.leaflet-interactive")
    for i in range(circles.count()):
        box = circles.nth(i).bounding_box()
        if box and box["width"] < 60:
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.wait_for_timeout(30)
    result = page.evaluate(OPEN_ALL_TOOLTIPS)
    assert result["opened"] >= 12
    assert any(EVIL in t for t in result["texts"])  # shown as text, exactly as written
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("img").count() == 0  # no injected element anywhere in the page
    assert EVIL in page.locator(".rm-caveat").inner_text()
    assert EVIL in page.locator(".rm-title").inner_text()
    assert page.title() == EVIL  # the tab names the map, as text
    # permanent place labels: the largest places, named as text, never parsed as HTML
    labels = page.evaluate("Array.from(document.querySelectorAll('.leaflet-tooltip.rm-label'))"
                           ".map(e => e.textContent)")
    assert len(labels) == 7  # every located place (fewer than the 10 labelled)
    assert all(t.startswith(EVIL) for t in labels)
    assert any(t.endswith("Kuala Lumpur") for t in labels)
    assert page.locator(".rm-banner").is_visible()
    # a long title and the SYNTHETIC banner side by side, however narrow the map
    for width in (1280, 800):
        page.set_viewport_size({"width": width, "height": 600})
        page.wait_for_timeout(50)
        t, b = (page.locator(c).bounding_box() for c in (".rm-title", ".rm-banner"))
        assert t["x"] + t["width"] <= b["x"]
        assert b["x"] + b["width"] <= width
    assert errors == []
    assert [u for u in requests if not u.startswith("file://")] == []
    page.close()


VIEW_HOLDS = """(points) => {
    const map = Object.keys(window).filter(k => k.startsWith('map_')).map(k => window[k])
        .find(v => v && typeof v.eachLayer === 'function');
    const b = map.getBounds();
    return {inside: points.filter(p => b.contains(p)).length,
            width: b.getEast() - b.getWest()};
}"""


def test_flow_map_opens_fitted_to_the_places_drawn(browser, tmp_path):
    countries = make_countries()
    ds = make_dataset([([0, 4, 3], 10, 2015), ([2, 0], 6, 2018)])  # Pakistan .. Malaysia
    r = compute_flows(ds, FlowQuery(suppress=0), countries=countries)
    m = flow_map(r, FlowMapOptions(countries=countries))
    page, _, errors = open_page(browser, write_html(m, tmp_path / "fit.html"))
    pts = [[24.86, 67.01], [24.4, 54.4], [3.14, 101.69], [23.7, 90.4]]
    view = page.evaluate(VIEW_HOLDS, pts)
    assert view["inside"] == len(pts)  # Kuala Lumpur is on screen, not off an edge
    assert view["width"] < 120  # fitted to the region, not the world
    # the names beside the places fit too: Kuala Lumpur's, the easternmost, is not cut off
    frame = page.locator(".leaflet-container").bounding_box()
    labels = page.locator(".leaflet-tooltip.rm-label")
    assert labels.count() == 4
    for i in range(labels.count()):
        box = labels.nth(i).bounding_box()
        assert box["x"] + box["width"] <= frame["x"] + frame["width"], labels.nth(i).inner_text()
    assert errors == []
    page.close()


def test_hotspot_map_draws_offline(browser, tmp_path):
    hot = compute_hotspots(evil_dataset(), FlowQuery(suppress=0), countries=make_countries())
    m = hotspot_map(hot, HotspotOptions(countries=make_countries()))
    page, requests, errors = open_page(browser, write_html(m, tmp_path / "hot.html"))
    assert page.locator(".leaflet-overlay-pane path").count() >= 3
    page.evaluate(OPEN_ALL_TOOLTIPS)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert errors == []
    assert [u for u in requests if not u.startswith("file://")] == []
    page.close()


def test_tiles_are_the_only_outbound_requests_and_the_vector_fallback_draws(browser, tmp_path):
    r = compute_flows(evil_dataset(), FlowQuery(suppress=0), countries=make_countries())
    m = flow_map(r, FlowMapOptions(basemap="light", countries=make_countries()))
    page, requests, errors = open_page(browser, write_html(m, tmp_path / "tiles.html"))
    outside = [u for u in requests if not u.startswith("file://")]
    assert outside  # tiles were asked for (and refused: no network in tests)
    assert all("basemaps.cartocdn.com/light_all/" in u for u in outside)
    assert page.locator(".leaflet-basemap-pane path").count() == len(make_countries())
    assert errors == []
    page.close()


def test_a_long_source_url_wraps_inside_the_caveat_box(browser, tmp_path):
    url = "https://data.example.org/" + "casefiles" * 20 + ".csv"  # no hyphen to break at
    countries = make_countries()
    r = compute_flows(make_dataset([([0, 4, 3], 10, 2015)], name=url), FlowQuery(suppress=0),
                      countries=countries)
    out = write_html(flow_map(r, FlowMapOptions(countries=countries)), tmp_path / "map.html")
    page, _, errors = open_page(browser, out)
    caveat = page.locator(".rm-caveat")
    assert url in caveat.inner_text().replace("\n", "")
    fits = caveat.evaluate("e => e.scrollWidth <= e.clientWidth")
    box, frame = caveat.bounding_box(), page.locator(".leaflet-container").bounding_box()
    assert fits  # the URL breaks inside the box instead of running out of it
    assert box["x"] >= frame["x"]
    assert box["x"] + box["width"] <= frame["x"] + frame["width"]
    assert errors == []
    page.close()


UNDER_A_BOX = """() => {
    const boxes = Array.from(document.querySelectorAll('.rm-box'))
        .map(b => b.getBoundingClientRect());
    const hidden = [];
    document.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive').forEach(p => {
        const r = p.getBoundingClientRect();
        if (r.width > 60 || Math.abs(r.width - r.height) > 2) { return; }  // arcs
        const x = r.left + r.width / 2, y = r.top + r.height / 2;
        if (boxes.some(b => b.left <= x && x <= b.right && b.top <= y && y <= b.bottom)) {
            hidden.push([Math.round(x), Math.round(y)]);
        }
    });
    return hidden;
}"""


@pytest.mark.parametrize(("level", "present"), [("place", False), ("region", False),
                                                ("country", True)])
def test_no_place_opens_under_the_legend_or_caveat(browser, tmp_path, level, present):
    from loaders.load import load_dataset

    r = compute_flows(load_dataset("demo"), FlowQuery(level=level))
    out = write_html(flow_map(r, FlowMapOptions(present=present)), tmp_path / "demo.html")
    page, _, errors = open_page(browser, out)
    page.wait_for_timeout(300)
    assert page.locator(".rm-legend").count() == 1
    assert page.evaluate(UNDER_A_BOX) == []
    assert errors == []
    page.close()



def test_the_legend_folds_to_its_title_and_back_the_caveat_stays(browser, tmp_path):
    from loaders.load import load_dataset

    r = compute_flows(load_dataset("demo"), FlowQuery())
    out = write_html(flow_map(r, FlowMapOptions(present=True)), tmp_path / "demo.html")
    page, _, errors = open_page(browser, out)
    legend, head = page.locator(".rm-legend"), page.locator(".rm-legend h4")
    tall = legend.bounding_box()["height"]
    head.click()  # a presenter uncovers the map
    assert legend.bounding_box()["height"] < tall / 4
    assert head.get_attribute("aria-expanded") == "false"
    assert head.is_visible()
    head.focus()
    page.keyboard.press("Enter")  # and brings it back from the keyboard
    assert legend.bounding_box()["height"] == tall
    assert head.get_attribute("aria-expanded") == "true"
    page.locator(".rm-caveat").click()
    assert page.locator(".rm-caveat").get_attribute("aria-expanded") is None  # never folds
    assert "not prevalence" in page.locator(".rm-caveat").inner_text()
    assert errors == []
    page.close()


def test_a_label_moves_left_rather_than_lie_over_a_larger_place(browser, tmp_path):
    """At region level 'Northern Africa' was drawn across the circle of Western Asia,
    the largest destination, which lost its own label: the map read as if North Africa
    were it. A label now takes the left side where the right covers a larger circle."""
    places = make_places([("city:1", "Alpha", "city", "PAK", 25.0, 50.0),
                          ("city:2", "Beta", "city", "PAK", 25.0, 50.25),
                          ("city:3", "Gamma", "city", "ARE", 29.0, 54.0)])
    ds = make_dataset([([1, 2], 100, 2019), ([0, 2], 10, 2019)], places)
    r = compute_flows(ds, FlowQuery(suppress=0), countries=make_countries())
    out = write_html(flow_map(r, FlowMapOptions(countries=make_countries())),
                     tmp_path / "map.html")
    page, requests, errors = open_page(browser, out)
    got = page.evaluate("""() => {
        const map = Object.keys(window).filter(k => k.startsWith('map_')).map(k => window[k])
            .find(v => v && typeof v.eachLayer === 'function');
        const box = map.getContainer().getBoundingClientRect();
        const at = {Alpha: [25.0, 50.0], Beta: [25.0, 50.25]};
        const out = {};
        document.querySelectorAll('.leaflet-tooltip.rm-label').forEach(el => {
            const r = el.getBoundingClientRect(), name = el.textContent;
            const p = at[name] && map.latLngToContainerPoint(at[name]);
            out[name] = {visible: el.style.visibility !== 'hidden', left: r.left, right: r.right,
                         x: p ? box.left + p.x : null};
        });
        return out;
    }""")
    assert got["Gamma"]["visible"]
    assert got["Beta"]["visible"]
    assert got["Alpha"]["visible"]
    assert got["Alpha"]["right"] <= got["Alpha"]["x"]  # to the left of its own circle
    assert got["Beta"]["left"] >= got["Beta"]["x"]  # the larger keeps the right side
    assert errors == []
    assert [u for u in requests if not u.startswith("file://")] == []
    page.close()
